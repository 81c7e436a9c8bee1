"""Public functions of the inpatient module: other modules (claims, statistics) read stays through these."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.inpatient import rules, service
from his.inpatient.models import Bed, MedicationOrder, Occupancy, SheetEntry, Stay
from his.inpatient.schemas import (
    BedOut,
    BoardOut,
    MedicationAlertOut,
    MedicationOrderOut,
    OccupancyOut,
    SheetDayOut,
    SheetEntryOut,
    SheetOrderOut,
    StayOut,
)
from his.kernel.clock import local_date
from his.kernel.errors import NotFound
from his.kernel.i18n import lazy as _
from his.orders import api as orders
from his.outpatient.checks import ActiveDrug
from his.patients import api as patients


def _occupancy_out(row: Occupancy, beds: dict[int, Bed]) -> OccupancyOut:
    return OccupancyOut(
        bed_code=beds[row.bed_id].code,
        department_code=row.department_code,
        started_at=row.started_at,
        released_at=row.released_at,
        release_reason=row.release_reason,
        by_user=row.by_user,
    )


async def stay_out(session: AsyncSession, row: Stay) -> StayOut:
    occupancies = await service.occupancies_of(session, row.id)
    beds = {o.bed_id: await session.get(Bed, o.bed_id) for o in occupancies}
    known = {k: v for k, v in beds.items() if v is not None}
    patient = await patients.get_patient(session, patient_id=row.patient_id)
    open_bed = next((known[o.bed_id].code for o in occupancies if o.released_at is None), None)
    return StayOut(
        id=row.id,
        code=row.code,
        patient_id=row.patient_id,
        patient_code=patient.code,
        patient_name=patient.full_name,
        source=row.source,
        source_visit_id=row.source_visit_id,
        department_code=row.department_code,
        doctor=row.doctor,
        doctor_name=row.doctor_name,
        status=row.status,
        admitted_at=row.admitted_at,
        admission_icd10=row.admission_icd10,
        admission_diagnosis=row.admission_diagnosis,
        reason=row.reason,
        card_number=row.card_number,
        weight_kg=row.weight_kg,
        bed_code=open_bed,
        discharged_at=row.discharged_at,
        discharge_icd10=row.discharge_icd10,
        discharge_diagnosis=row.discharge_diagnosis,
        treatment_method=row.treatment_method,
        discharge_note=row.discharge_note,
        outcome=row.outcome,
        discharge_kind=row.discharge_kind,
        bed_days=row.bed_days,
        discharged_by=row.discharged_by,
        discharged_by_name=row.discharged_by_name,
        occupancies=[_occupancy_out(o, known) for o in occupancies],
    )


async def get_stay(session: AsyncSession, *, stay_id: int) -> StayOut:
    return await stay_out(session, await service.get_stay_row(session, stay_id))


async def get_stay_by_code(session: AsyncSession, *, code: str) -> StayOut:
    row = await service.find_stay_by_code(session, code)
    if row is None:
        raise NotFound(_("Unknown inpatient stay {id}"), id=code)
    return await stay_out(session, row)


async def current_stays(session: AsyncSession, *, department_code: str | None = None) -> list[StayOut]:
    return [await stay_out(session, row) for row in await service.current_stays(session, department_code)]


async def stays_between(
    session: AsyncSession, *, date_from: date, date_to: date, department_code: str | None = None
) -> list[StayOut]:
    """The stays in hospital on some day of the period (statistics: admissions, discharges, length of stay)."""
    rows = await service.stays_between(session, date_from, date_to, department_code)
    return [await stay_out(session, row) for row in rows]


async def stays_of_patient(session: AsyncSession, *, patient_id: int) -> list[StayOut]:
    return [await stay_out(session, row) for row in await service.stays_of_patient(session, patient_id)]


async def departments_with_beds(session: AsyncSession) -> list[str]:
    return await service.departments_with_beds(session)


async def bed_board(session: AsyncSession, *, department_code: str) -> BoardOut:
    """Every bed of the department with its status and occupant, the counts by status, and the stays of the
    department waiting for a bed."""
    department = await catalogs.get_department(session, code=department_code)
    if department is None:
        raise NotFound(_("Unknown department {code}"), code=department_code)
    beds = await service.beds_of(session, department_code)
    wards = await service.ward_names(session)
    open_rows = await service.open_occupancies(session, [b.id for b in beds])
    stays = {s.id: s for s in await service.current_stays(session, department_code)}
    names: dict[int, str] = {}
    out: list[BedOut] = []
    for bed in beds:
        occ = open_rows.get(bed.id)
        stay = (stays.get(occ.stay_id) or await service.get_stay_row(session, occ.stay_id)) if occ else None
        if stay is not None and stay.patient_id not in names:
            names[stay.patient_id] = (await patients.get_patient(session, patient_id=stay.patient_id)).full_name
        ward = wards[bed.ward_id]
        out.append(
            BedOut(
                code=bed.code,
                ward_code=ward.code,
                ward_name=ward.name,
                department_code=bed.department_code,
                kind=bed.kind,
                service_code=bed.service_code,
                status=bed.status,
                stay_id=stay.id if stay else None,
                stay_code=stay.code if stay else None,
                patient_id=stay.patient_id if stay else None,
                patient_name=names.get(stay.patient_id) if stay else None,
                since=occ.started_at if occ else None,
            )
        )
    counts = Counter(b.status for b in out)
    bedded = {o.stay_id for o in open_rows.values()}
    waiting_rows = [s for s in stays.values() if s.id not in bedded]
    waiting = [await stay_out(session, s) for s in waiting_rows]
    return BoardOut(
        department_code=department.code,
        department_name=department.name,
        beds=out,
        counts={status: counts.get(status, 0) for status in rules.BED_STATUSES},
        waiting=waiting,
    )


def entry_out(row: SheetEntry) -> SheetEntryOut:
    return SheetEntryOut(
        id=row.id,
        day=row.day,
        written_at=row.written_at,
        author=row.author,
        author_name=row.author_name,
        progress=row.progress,
        care_orders=row.care_orders,
        pulse=row.pulse,
        temperature=row.temperature,
        systolic=row.systolic,
        diastolic=row.diastolic,
        respiratory_rate=row.respiratory_rate,
        spo2=row.spo2,
    )


async def treatment_sheet(session: AsyncSession, *, stay_id: int, today: date | None = None) -> list[SheetDayOut]:
    """The treatment sheet by day: the notes, vital signs and care orders written, the orders of his.orders
    placed for the stay that day, and the medication orders given that day (up to `today` while the patient is in
    hospital; without `today`, every planned day)."""
    stay = await service.get_stay_row(session, stay_id)
    entries = await service.sheet_entries(session, stay.id)
    placed = await orders.orders_of_context(session, context_type="inpatient", context_id=stay.id)
    days: dict[date, SheetDayOut] = {}

    def day_of(day: date) -> SheetDayOut:
        if day not in days:
            days[day] = SheetDayOut(day=day, entries=[], orders=[])
        return days[day]

    for entry in entries:
        day_of(entry.day).entries.append(entry_out(entry))
    for row in await service.medication_orders(session, stay.id):
        medication = medication_order_out(row)
        last = medication.last_day
        until = local_date(stay.discharged_at) if stay.discharged_at is not None else (today or last)
        for day in rules.medication_days(medication.start_day, last, until):
            day_of(day).medications.append(medication)
    for order in placed:
        day_of(local_date(order.ordered_at)).orders.append(
            SheetOrderOut(
                code=order.code,
                service_code=order.service_code,
                name=order.service_name,
                status=order.status,
                placed_at=order.ordered_at,
            )
        )
    return [days[d] for d in sorted(days)]


def _plain(value: Decimal) -> Decimal:
    """1.000 -> 1, 0.500 -> 0.5 (never 1E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def medication_order_out(row: MedicationOrder) -> MedicationOrderOut:
    return MedicationOrderOut(
        id=row.id,
        stay_id=row.stay_id,
        patient_id=row.patient_id,
        drug_code=row.drug_code,
        drug_name=row.drug_name,
        substances=[part.strip() for part in row.substances.split(" + ") if part.strip()],
        unit=row.unit,
        route=row.route,
        dose_per_time=_plain(row.dose_per_time),
        times_per_day=row.times_per_day,
        start_day=row.start_day,
        days=row.days,
        last_day=service.order_last_day(row),
        instructions=row.instructions,
        status=row.status,
        ordered_at=row.ordered_at,
        ordered_by=row.ordered_by,
        ordered_by_name=row.ordered_by_name,
        alerts=msgspec.json.decode(row.alerts or "[]", type=list[MedicationAlertOut]),
        stopped_at=row.stopped_at,
        stopped_by=row.stopped_by,
        stop_reason=row.stop_reason,
    )


async def medication_orders_of_stay(session: AsyncSession, *, stay_id: int) -> list[MedicationOrderOut]:
    """Every medication order of the stay, running and stopped, oldest first."""
    stay = await service.get_stay_row(session, stay_id)
    return [medication_order_out(row) for row in await service.medication_orders(session, stay.id)]


async def active_medications_of_patient(session: AsyncSession, *, patient_id: int, on: date) -> list[ActiveDrug]:
    """The patient's running inpatient medication orders as decision support sees active medications
    (`prescription_code` is "<stay code>/<order id>")."""
    return [service.active_drug(row, stay.code) for row, stay in await service.running_orders(session, on, patient_id)]


async def active_medications_of_everyone(session: AsyncSession, *, on: date) -> dict[int, list[ActiveDrug]]:
    """Every inpatient's running medication orders by patient id (whole-hospital screening)."""
    by_patient: dict[int, list[ActiveDrug]] = {}
    for row, stay in await service.running_orders(session, on):
        by_patient.setdefault(row.patient_id, []).append(service.active_drug(row, stay.code))
    return by_patient


async def medication_orders_after(
    session: AsyncSession, *, after_id: int, limit: int = 200
) -> list[tuple[MedicationOrderOut, StayOut]]:
    """Medication orders with an id above `after_id`, oldest first, each with its stay (a reader that keeps its
    own cursor: decision support takes in the orders written over its alerts)."""
    rows = await service.medication_orders_after(session, after_id, limit)
    stays: dict[int, StayOut] = {}
    out = []
    for row in rows:
        if row.stay_id not in stays:
            stays[row.stay_id] = await get_stay(session, stay_id=row.stay_id)
        out.append((medication_order_out(row), stays[row.stay_id]))
    return out
