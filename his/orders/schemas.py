"""Shapes of orders, results and the patient's clinical record, for other modules and the HTTP API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from his.outpatient.schemas import DiagnosisOut, PrescriptionOut

Priority = Literal["stat", "urgent", "routine"]
ContextType = Literal["outpatient", "inpatient"]
Reason = Annotated[str, msgspec.Meta(max_length=300)]

# ---------------------------------------------------------------- input


class OrderItemIn(msgspec.Struct, forbid_unknown_fields=True):
    service_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    priority: Priority | None = None  # default: the request's priority


class PlaceIn(msgspec.Struct, forbid_unknown_fields=True):
    """Orders for one care context. Outpatient: `context_id` is the reception visit id (the patient and the
    visit code come from the visit). Inpatient: the stay id, with `patient_id` and `visit_code` given."""

    context_type: ContextType
    context_id: int
    items: list[OrderItemIn] = msgspec.field(default_factory=list)
    panels: list[Annotated[str, msgspec.Meta(min_length=1, max_length=40)]] = msgspec.field(default_factory=list)
    priority: Priority = "routine"
    clinical_note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    patient_id: int | None = None
    visit_code: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    # Why a test or procedure the patient had ordered within the repeat window is ordered again.
    repeat_reason: Annotated[str, msgspec.Meta(max_length=300)] = ""


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class ResultIn(msgspec.Struct, forbid_unknown_fields=True):
    """One result line. Numeric: `value` is a number, limits optional (defaults: the analyte's definition)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    kind: Literal["numeric", "text"] = "numeric"
    value: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    code: Annotated[str, msgspec.Meta(max_length=20)] = ""
    unit: Annotated[str, msgspec.Meta(max_length=40)] = ""
    ref_low: Decimal | None = None
    ref_high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None


class ResultsIn(msgspec.Struct, forbid_unknown_fields=True):
    items: list[ResultIn] = msgspec.field(default_factory=list)
    report: Annotated[str, msgspec.Meta(max_length=20000)] = ""


class PanelIn(msgspec.Struct, forbid_unknown_fields=True):
    code: str
    name: str
    services: list[str]
    specimen: str = ""


class AnalyteIn(msgspec.Struct, forbid_unknown_fields=True):
    service_code: str
    code: str
    name: str
    unit: str = ""
    ref_low: Decimal | None = None
    ref_high: Decimal | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None


class DefinitionsIn(msgspec.Struct, forbid_unknown_fields=True):
    panels: list[PanelIn] = msgspec.field(default_factory=list)
    analytes: list[AnalyteIn] = msgspec.field(default_factory=list)


# ---------------------------------------------------------------- output


class PanelOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    specimen: str
    services: list[str]


class AnalyteOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    unit: str
    ref_low: Decimal | None
    ref_high: Decimal | None
    critical_low: Decimal | None
    critical_high: Decimal | None
    reference_range: str


class OrderableOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    group: str
    category: str
    hospital_price: int
    bhyt_price: int | None


class HistoryOut(msgspec.Struct, frozen=True):
    from_status: str | None
    to_status: str
    at: datetime
    by_username: str
    by_name: str
    reason: str | None


class ResultOut(msgspec.Struct, frozen=True):
    position: int
    code: str
    name: str
    kind: str
    value: str
    value_numeric: Decimal | None
    unit: str
    reference_range: str
    flag: str  # "" | L | H | LL | HH
    entered_by: str
    entered_at: datetime


class LatestResultOut(msgspec.Struct, frozen=True):
    """The newest numeric result of an analyte for a patient (decision support reads creatinine this way)."""

    code: str
    value: Decimal
    unit: str
    entered_at: datetime
    order_code: str


class AttachmentOut(msgspec.Struct, frozen=True):
    id: int
    file_name: str
    content_type: str
    size: int
    uploaded_by: str
    uploaded_at: datetime


class OrderOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    context_type: str
    context_id: int
    visit_code: str | None
    patient_id: int
    patient_code: str
    patient_name: str
    service_code: str
    service_name: str
    category: str
    panel_code: str | None
    priority: str
    specimen: str
    clinical_note: str
    status: str
    ordered_by: str
    ordered_by_name: str
    ordered_at: datetime
    hospital_price: int
    bhyt_price: int | None
    charge_id: int | None
    report: str
    resulted_at: datetime | None
    verified_at: datetime | None
    verified_by: str | None
    cancelled_reason: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    flag: str  # the worst flag of its results
    results: list[ResultOut]
    attachments: list[AttachmentOut]
    history: list[HistoryOut]


class ChangeOut(msgspec.Struct, frozen=True):
    id: int
    order_id: int
    patient_id: int
    kind: str
    at: datetime


class EncounterRecord(msgspec.Struct, frozen=True):
    visit_id: int
    visit_code: str
    day: date
    room_code: str
    doctor_name: str | None
    status: str
    reason: str
    diagnoses: list[DiagnosisOut]


class StayRecord(msgspec.Struct, frozen=True):
    """An inpatient stay as the clinical record shows it."""

    stay_id: int
    code: str
    department_code: str
    status: str
    admitted_at: datetime
    admission_icd10: str
    admission_diagnosis: str
    discharged_at: datetime | None
    discharge_icd10: str | None
    discharge_diagnosis: str | None
    bed_code: str | None


class PatientRecordOut(msgspec.Struct, frozen=True):
    """The clinical data repository's view of one patient (level 2): what the care team shares."""

    patient_id: int
    patient_code: str
    full_name: str
    sex: str
    birth_date: date | None
    birth_year: int
    encounters: list[EncounterRecord]
    orders: list[OrderOut]
    medications: list[PrescriptionOut]
    stays: list[StayRecord] = msgspec.field(default_factory=list)
