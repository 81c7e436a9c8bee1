"""Shapes of the outpatient examination and the prescription, for other modules and the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import msgspec

from his.outpatient.checks import CheckAlert

# ---------------------------------------------------------------- input


class ExamIn(msgspec.Struct, forbid_unknown_fields=True):
    """The examination record; a field left out is kept, a field sent as null is cleared."""

    reason: str | msgspec.UnsetType = msgspec.UNSET
    history: str | msgspec.UnsetType = msgspec.UNSET
    exam_notes: str | msgspec.UnsetType = msgspec.UNSET
    pulse: int | msgspec.UnsetType | None = msgspec.UNSET
    temperature: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    systolic: int | msgspec.UnsetType | None = msgspec.UNSET
    diastolic: int | msgspec.UnsetType | None = msgspec.UNSET
    respiratory_rate: int | msgspec.UnsetType | None = msgspec.UNSET
    spo2: int | msgspec.UnsetType | None = msgspec.UNSET
    height_cm: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    weight_kg: Decimal | msgspec.UnsetType | None = msgspec.UNSET
    pregnant: bool | msgspec.UnsetType | None = msgspec.UNSET


class DiagnosisIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    is_main: bool = False
    text: str | None = None  # default: the ICD-10 name


class DiagnosesIn(msgspec.Struct, forbid_unknown_fields=True):
    items: list[DiagnosisIn]


class DispositionIn(msgspec.Struct, forbid_unknown_fields=True):
    disposition: str  # home | admit | transfer | follow_up
    follow_up_date: date | None = None
    note: str = ""


class LineIn(msgspec.Struct, forbid_unknown_fields=True):
    drug_code: str
    dose_per_time: Decimal  # in the drug's dispensing unit
    times_per_day: int
    days: int
    quantity: int | None = None  # default: dose × times × days, rounded up
    instructions: str = ""  # "sau ăn", "trước khi ngủ"


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    key: str  # the alert's key (CheckAlert.key, or its kind)
    reason: str


class PrescriptionIn(msgspec.Struct, forbid_unknown_fields=True):
    lines: list[LineIn]
    advice: str = ""
    follow_up_date: date | None = None  # default: the encounter's follow-up appointment
    # Defaults from the patient's record and the examination; given here when the record lacks them.
    personal_id: str | None = None
    weight_kg: Decimal | None = None
    adult_name: str | None = None
    adult_id: str | None = None
    overrides: list[OverrideIn] = msgspec.field(default_factory=list)


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


# ---------------------------------------------------------------- output


class VitalsOut(msgspec.Struct, frozen=True):
    pulse: int | None
    temperature: Decimal | None
    systolic: int | None
    diastolic: int | None
    respiratory_rate: int | None
    spo2: int | None
    height_cm: Decimal | None
    weight_kg: Decimal | None
    bmi: Decimal | None


class DiagnosisOut(msgspec.Struct, frozen=True):
    position: int
    code: str
    is_main: bool
    text: str


class LineOut(msgspec.Struct, frozen=True):
    position: int
    drug_code: str
    drug_name: str
    substances: str
    drug_class: str
    form: str
    route: str
    unit: str
    dose_per_time: Decimal
    times_per_day: int
    days: int
    quantity: int
    instructions: str
    usage: str  # the printed line: "Ngày uống 2 lần, mỗi lần 1 viên, sau ăn"


class OverrideOut(msgspec.Struct, frozen=True):
    key: str
    kind: str
    message: str
    source: str
    reason: str
    overridden_by: str
    overridden_at: datetime


class PrescriptionOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    type_letter: str
    status: str
    issued_at: datetime
    visit_id: int
    visit_code: str
    doctor: str
    doctor_name: str
    patient_id: int
    patient_code: str
    patient_name: str
    patient_sex: str
    birth_date: date | None
    birth_year: int
    age_months: int | None
    weight_kg: Decimal | None
    personal_id: str | None
    adult_name: str | None
    adult_id: str | None
    address: str
    card_number: str | None
    diagnosis_text: str
    advice: str
    follow_up_date: date | None
    cancelled_at: datetime | None
    cancelled_reason: str | None
    sent_at: datetime | None
    lines: list[LineOut]
    overrides: list[OverrideOut]


class EncounterOut(msgspec.Struct, frozen=True):
    id: int
    visit_id: int
    visit_code: str
    patient_id: int
    room_code: str
    doctor: str
    doctor_name: str
    status: str  # open | finished
    started_at: datetime
    finished_at: datetime | None
    reason: str
    history: str
    exam_notes: str
    vitals: VitalsOut
    pregnant: bool | None
    disposition: str | None
    follow_up_date: date | None
    disposition_note: str
    diagnoses: list[DiagnosisOut]
    prescriptions: list[PrescriptionOut]


class FindingOut(msgspec.Struct, frozen=True):
    field: str
    message: str  # translated


class ExamOut(msgspec.Struct, frozen=True):
    encounter: EncounterOut
    warnings: list[FindingOut]  # abnormal vital signs, for the doctor's attention


class IssuedOut(msgspec.Struct, frozen=True):
    prescription: PrescriptionOut
    alerts: list[CheckAlert]  # every decision-support alert seen when signing (overridden hard stops too)


class WorklistItem(msgspec.Struct, frozen=True):
    visit_id: int
    visit_code: str
    ticket_number: int
    patient_id: int
    patient_code: str
    patient_name: str
    visit_status: str  # waiting | in_exam | finished | cancelled
    encounter_status: str | None  # open | finished, None before the doctor opens it
    doctor: str | None


class PrescriptionBlockedOut(msgspec.Struct):
    """RFC 9457 problem details of a refused signature: the hard stops to override (with a reason) or fix."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    alerts: list[CheckAlert]
