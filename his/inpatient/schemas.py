"""Transfer shapes of the inpatient module: what his.inpatient.api and the HTTP API take and return."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from his.outpatient.checks import CheckAlert

Source = Literal["outpatient", "emergency", "direct"]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


class WardIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    department_code: Code
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class BedIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    ward_code: Code
    service_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] = "standard"


class AdmitIn(msgspec.Struct, forbid_unknown_fields=True):
    """An admission. outpatient: `visit_id` of an examination whose disposition is "admit"; emergency: `visit_id`
    of an emergency reception visit; direct: `patient_id`. `bed_code` empty: the first free bed of the department;
    `bed_code` "none": no bed yet (the ward nurse assigns one on the board)."""

    source: Source
    department_code: Code
    icd10_code: Annotated[str, msgspec.Meta(min_length=1, max_length=16)]
    reason: Annotated[str, msgspec.Meta(max_length=500)] = ""
    visit_id: int | None = None
    patient_id: int | None = None
    diagnosis_text: Annotated[str, msgspec.Meta(max_length=500)] = ""
    bed_code: Annotated[str, msgspec.Meta(max_length=32)] = ""
    weight_kg: Decimal | None = None  # default: the weight measured at the examination the patient comes from


class BedMoveIn(msgspec.Struct, forbid_unknown_fields=True):
    """Assign a bed (the stay has none) or transfer. `from_bed_code`: the bed the caller saw the patient in ("" for
    none); when the patient's bed is another by now (somebody else moved them), 409 instead of a second move."""

    bed_code: Code
    from_bed_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class BedStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["free", "cleaning", "reserved", "out_of_service"]


class SheetEntryIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date | None = None  # default: today
    progress: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    care_orders: Annotated[str, msgspec.Meta(max_length=20_000)] = ""
    pulse: Annotated[int, msgspec.Meta(ge=20, le=300)] | None = None
    temperature: Decimal | None = None  # °C, 30 to 45 (checked by the service)
    systolic: Annotated[int, msgspec.Meta(ge=40, le=300)] | None = None
    diastolic: Annotated[int, msgspec.Meta(ge=20, le=200)] | None = None
    respiratory_rate: Annotated[int, msgspec.Meta(ge=4, le=80)] | None = None
    spo2: Annotated[int, msgspec.Meta(ge=40, le=100)] | None = None


class DischargeIn(msgspec.Struct, forbid_unknown_fields=True):
    icd10_code: Annotated[str, msgspec.Meta(max_length=16)]
    treatment_method: Annotated[str, msgspec.Meta(max_length=1500)]
    outcome: Annotated[str, msgspec.Meta(max_length=1)] = "2"  # KET_QUA_DTRI
    kind: Annotated[str, msgspec.Meta(max_length=1)] = "1"  # MA_LOAI_RV
    diagnosis_text: Annotated[str, msgspec.Meta(max_length=500)] = ""
    note: Annotated[str, msgspec.Meta(max_length=1500)] = ""
    discharged_at: datetime | None = None  # default: now


class BedOut(msgspec.Struct, frozen=True):
    code: str
    ward_code: str
    ward_name: str
    department_code: str
    kind: str
    service_code: str
    status: str
    stay_id: int | None
    stay_code: str | None
    patient_id: int | None
    patient_name: str | None
    since: datetime | None


class BoardOut(msgspec.Struct, frozen=True):
    department_code: str
    department_name: str
    beds: list[BedOut]
    counts: dict[str, int]
    waiting: list[StayOut]  # admitted to this department, no bed yet


class OccupancyOut(msgspec.Struct, frozen=True):
    bed_code: str
    department_code: str
    started_at: datetime
    released_at: datetime | None
    release_reason: str | None
    by_user: str


class StayOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    patient_id: int
    patient_code: str
    patient_name: str
    source: str
    source_visit_id: int | None
    department_code: str
    doctor: str
    doctor_name: str
    status: str
    admitted_at: datetime
    admission_icd10: str
    admission_diagnosis: str
    reason: str
    card_number: str | None
    weight_kg: Decimal | None
    bed_code: str | None
    discharged_at: datetime | None
    discharge_icd10: str | None
    discharge_diagnosis: str | None
    treatment_method: str | None
    discharge_note: str | None
    outcome: str | None
    discharge_kind: str | None
    bed_days: int | None
    discharged_by: str | None
    discharged_by_name: str | None
    occupancies: list[OccupancyOut]


class SheetEntryOut(msgspec.Struct, frozen=True):
    id: int
    day: date
    written_at: datetime
    author: str
    author_name: str
    progress: str
    care_orders: str
    pulse: int | None
    temperature: Decimal | None
    systolic: int | None
    diastolic: int | None
    respiratory_rate: int | None
    spo2: int | None


class SheetOrderOut(msgspec.Struct, frozen=True):
    """An order of his.orders placed for the stay, as the sheet lists it."""

    code: str
    service_code: str
    name: str
    status: str
    placed_at: datetime


class OverrideIn(msgspec.Struct, forbid_unknown_fields=True):
    """The reason to order over a decision-support hard stop, by the alert's key."""

    key: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    reason: Annotated[str, msgspec.Meta(max_length=500)]


class MedicationOrderIn(msgspec.Struct, forbid_unknown_fields=True):
    """A medication order: a drug of the catalog in force, `dose_per_time` in the drug's unit, `times_per_day`,
    for `days` days from `start_day` (default today). `route` empty: the catalog's route."""

    drug_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    dose_per_time: Decimal
    times_per_day: int
    days: int = 1
    route: Annotated[str, msgspec.Meta(max_length=64)] = ""
    instructions: Annotated[str, msgspec.Meta(max_length=300)] = ""
    start_day: date | None = None
    overrides: list[OverrideIn] = []


class MedicationStopIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(max_length=300)]


class MedicationAlertOut(msgspec.Struct, frozen=True):
    """An alert the doctor saw when ordering; a hard stop ordered over carries its reason."""

    severity: str
    kind: str
    message: str
    source: str
    key: str
    override_reason: str = ""


class MedicationOrderOut(msgspec.Struct, frozen=True):
    id: int
    stay_id: int
    patient_id: int
    drug_code: str
    drug_name: str
    substances: list[str]
    unit: str
    route: str
    dose_per_time: Decimal
    times_per_day: int
    start_day: date
    days: int
    last_day: date  # the last day given: start + days - 1, or the day it was stopped
    instructions: str
    status: str  # active | stopped
    ordered_at: datetime
    ordered_by: str
    ordered_by_name: str
    alerts: list[MedicationAlertOut]
    stopped_at: datetime | None
    stopped_by: str | None
    stop_reason: str | None


class MedicationOrderedOut(msgspec.Struct, frozen=True):
    order: MedicationOrderOut
    alerts: list[CheckAlert]  # every decision-support alert seen (overridden hard stops too)


class MedicationCheckOut(msgspec.Struct, frozen=True):
    alerts: list[CheckAlert]


class MedicationBlockedOut(msgspec.Struct):
    """RFC 9457 problem details of a refused order: the hard stops to override (with a reason) or fix."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    alerts: list[CheckAlert]


class SheetDayOut(msgspec.Struct, frozen=True):
    day: date
    entries: list[SheetEntryOut]
    orders: list[SheetOrderOut]
    medications: list[MedicationOrderOut] = []  # the medication orders given that day
