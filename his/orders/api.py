"""The public face of orders for other modules (inpatient, EMR, decision support, interfaces): keyword-only
functions returning msgspec Structs, never ORM rows. The one place where rows become Structs.

Reads here are not audited: the caller audits the read of patient data it shows (as the HTTP handlers do).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.audit.service import AuditActor
from his.kernel.errors import NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.orders import rules, service
from his.orders.models import Analyte, Attachment, Order, Result, StatusChange
from his.orders.schemas import (
    AnalyteOut,
    AttachmentOut,
    EncounterRecord,
    HistoryOut,
    LatestResultOut,
    OrderOut,
    PanelOut,
    PatientRecordOut,
    PlaceIn,
    ResultOut,
    StayRecord,
)
from his.outpatient import api as outpatient
from his.outpatient.schemas import PrescriptionOut
from his.patients import api as patients
from his.reception import api as reception

__all__ = [
    "get_order",
    "orders_of_context",
    "orders_of_patient",
    "panels",
    "patient_record",
    "place_orders",
]


def _plain(value: object) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def result_out(row: Result) -> ResultOut:
    reference = rules.Reference(row.ref_low, row.ref_high, row.critical_low, row.critical_high)
    value = row.value_text if row.kind == "text" else _plain(row.value_numeric) if row.value_numeric is not None else ""
    return ResultOut(
        position=row.position,
        code=row.code,
        name=row.name,
        kind=row.kind,
        value=value,
        value_numeric=row.value_numeric.normalize() if row.value_numeric is not None else None,
        unit=row.unit,
        reference_range=reference.text(),
        flag=row.flag,
        entered_by=row.entered_by,
        entered_at=row.entered_at,
    )


def history_out(row: StatusChange) -> HistoryOut:
    return HistoryOut(row.from_status, row.to_status, row.at, row.by_username, row.by_name, row.reason)


def attachment_out(row: Attachment) -> AttachmentOut:
    return AttachmentOut(row.id, row.file_name, row.content_type, row.size, row.uploaded_by, row.uploaded_at)


def analyte_out(row: Analyte) -> AnalyteOut:
    reference = rules.Reference(row.ref_low, row.ref_high, row.critical_low, row.critical_high)
    return AnalyteOut(
        code=row.code,
        name=row.name,
        unit=row.unit,
        ref_low=row.ref_low.normalize() if row.ref_low is not None else None,
        ref_high=row.ref_high.normalize() if row.ref_high is not None else None,
        critical_low=row.critical_low.normalize() if row.critical_low is not None else None,
        critical_high=row.critical_high.normalize() if row.critical_high is not None else None,
        reference_range=reference.text(),
    )


async def orders_out(session: AsyncSession, rows: Sequence[Order]) -> list[OrderOut]:
    ids = [row.id for row in rows]
    results = await service.results_of(session, ids)
    history = await service.history_of(session, ids)
    attachments = await service.attachments_of(session, ids)
    return [
        OrderOut(
            id=row.id,
            code=row.code or "",
            context_type=row.context_type,
            context_id=row.context_id,
            visit_code=row.visit_code,
            patient_id=row.patient_id,
            patient_code=row.patient_code,
            patient_name=row.patient_name,
            service_code=row.service_code,
            service_name=row.service_name,
            category=row.category,
            panel_code=row.panel_code,
            priority=row.priority,
            specimen=row.specimen,
            clinical_note=row.clinical_note,
            status=row.status,
            ordered_by=row.ordered_by,
            ordered_by_name=row.ordered_by_name,
            ordered_at=row.ordered_at,
            hospital_price=row.hospital_price,
            bhyt_price=row.bhyt_price,
            charge_id=row.charge_id,
            report=row.report,
            resulted_at=row.resulted_at,
            verified_at=row.verified_at,
            verified_by=row.verified_by,
            cancelled_reason=row.cancelled_reason,
            acknowledged_at=row.acknowledged_at,
            acknowledged_by=row.acknowledged_by,
            flag=rules.worst_flag([r.flag for r in results[row.id]]),
            results=[result_out(r) for r in results[row.id]],
            attachments=[attachment_out(a) for a in attachments[row.id]],
            history=[history_out(h) for h in history[row.id]],
        )
        for row in rows
    ]


async def order_out(session: AsyncSession, row: Order) -> OrderOut:
    return (await orders_out(session, [row]))[0]


async def get_order(session: AsyncSession, *, order_id: int) -> OrderOut:
    """An order with its results, attachments and history; NotFound if there is none."""
    return await order_out(session, await service.get_order_row(session, order_id))


async def find_order(session: AsyncSession, *, code: str) -> OrderOut | None:
    """An order by its number ("YL00000042", what a scanner reads from the specimen label)."""
    row = await service.find_order_by_code(session, code)
    return None if row is None else await order_out(session, row)


async def orders_of_context(session: AsyncSession, *, context_type: str, context_id: int) -> list[OrderOut]:
    """The orders of an outpatient visit (by visit id) or an inpatient stay (by stay id), oldest first."""
    return await orders_out(session, await service.orders_of_context(session, context_type, context_id))


async def orders_of_patient(session: AsyncSession, *, patient_id: int) -> list[OrderOut]:
    """Every order of the patient, newest first."""
    return await orders_out(session, await service.orders_of_patient(session, patient_id))


async def place_orders(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, username: str, full_name: str, data: PlaceIn
) -> list[OrderOut]:
    """Places orders for a care context (the inpatient module orders for a stay this way)."""
    rows = await service.place_orders(kernel, session, actor, service.Staff(username, full_name), data)
    return await orders_out(session, rows)


async def panels(session: AsyncSession) -> list[PanelOut]:
    """The active order sets, by name."""
    return [PanelOut(p.code, p.name, p.specimen, codes) for p, codes in await service.panel_rows(session)]


async def analytes(session: AsyncSession, *, service_code: str) -> list[AnalyteOut]:
    """What a laboratory service reports, with units and reference limits (empty when undefined)."""
    return [analyte_out(row) for row in await service.analytes_of(session, service_code)]


# ---------------------------------------------------------------- the clinical data repository


async def _stays(session: AsyncSession, patient_id: int) -> list[StayRecord]:
    # Imported here: the inpatient module reads this module's api for its treatment sheet.
    from his.inpatient import api as inpatient

    return [
        StayRecord(
            stay_id=s.id,
            code=s.code,
            department_code=s.department_code,
            status=s.status,
            admitted_at=s.admitted_at,
            admission_icd10=s.admission_icd10,
            admission_diagnosis=s.admission_diagnosis,
            discharged_at=s.discharged_at,
            discharge_icd10=s.discharge_icd10,
            discharge_diagnosis=s.discharge_diagnosis,
            bed_code=s.bed_code,
        )
        for s in await inpatient.stays_of_patient(session, patient_id=patient_id)
    ]


async def patient_record(session: AsyncSession, *, patient_id: int) -> PatientRecordOut:
    """One patient's shared record: the outpatient examinations (and visits with orders but no examination yet),
    their diagnoses, every order with its results, and the prescriptions. NotFound for an unknown patient."""
    try:
        patient = await patients.get_patient(session, patient_id=patient_id)
    except NotFound:
        raise NotFound(_("No patient {id}"), id=patient_id) from None
    orders = await orders_of_patient(session, patient_id=patient_id)
    encounters: list[EncounterRecord] = []
    medications: list[PrescriptionOut] = []
    examined = {e.visit_id: e for e in await outpatient.encounters_of_patient(session, patient_id=patient_id)}
    visit_ids = sorted(set(examined) | {o.context_id for o in orders if o.context_type == "outpatient"}, reverse=True)
    for visit_id in visit_ids:
        visit = await reception.get_visit(session, visit_id=visit_id)
        encounter = examined.get(visit_id) or await outpatient.find_encounter(session, visit_id=visit_id)
        encounters.append(
            EncounterRecord(
                visit_id=visit.id,
                visit_code=visit.code,
                day=visit.ticket_day,
                room_code=visit.room_code,
                doctor_name=encounter.doctor_name if encounter else None,
                status=encounter.status if encounter else visit.status,
                reason=encounter.reason if encounter else "",
                diagnoses=list(encounter.diagnoses) if encounter else [],
            )
        )
        if encounter is not None:
            medications.extend(encounter.prescriptions)
    return PatientRecordOut(
        stays=await _stays(session, patient_id),
        patient_id=patient.id,
        patient_code=patient.code,
        full_name=patient.full_name,
        sex=patient.sex,
        birth_date=patient.birth_date,
        birth_year=patient.birth_year,
        encounters=encounters,
        orders=orders,
        medications=medications,
    )


async def latest_numeric_result(
    session: AsyncSession, *, patient_id: int, codes: Sequence[str], since: datetime
) -> LatestResultOut | None:
    """The patient's newest numeric result of one of these analytes entered since `since` (orders not cancelled),
    or None."""
    for result, order in await service.latest_numeric_results(session, patient_id, codes, since):
        if result.value_numeric is not None:
            return LatestResultOut(result.code, result.value_numeric, result.unit, result.entered_at, order.code or "")
    return None
