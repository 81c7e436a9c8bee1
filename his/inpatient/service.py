"""Use cases of the inpatient module: the only code that writes its tables. Every change is audited in the
caller's transaction.

A bed is never given to two stays: the bed row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite
serialises writers with BEGIN IMMEDIATE) before its status is read, and the partial unique index
uq_inpatient_occupancy_bed_open refuses a second open occupancy whatever the code does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import api as billing
from his.billing.schemas import AccountIn, ChargeIn, PayerFacts
from his.catalogs import api as catalogs
from his.catalogs.schemas import DrugEntry
from his.inpatient import rules
from his.inpatient.models import Bed, MedicationOrder, Occupancy, SheetEntry, Stay, Ward
from his.inpatient.schemas import (
    AdmitIn,
    BedIn,
    DischargeIn,
    MedicationAlertOut,
    MedicationOrderIn,
    SheetEntryIn,
    WardIn,
)
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.outpatient.checks import (
    ActiveDrug,
    BlockedByChecks,
    CheckAlert,
    DiagnosisFact,
    DraftLine,
    PatientFacts,
    PrescriptionChecks,
    PrescriptionDraft,
    unresolved_hard_stops,
)
from his.patients import api as patients
from his.patients.schemas import PatientOut
from his.reception import api as reception


@dataclass(frozen=True, slots=True)
class Doctor:
    username: str
    full_name: str


async def _audit(kernel: Kernel, session: AsyncSession, actor: AuditActor, entry: AuditEntry) -> None:
    await append_audit(session, kernel.clock, actor, entry)


# ---------------------------------------------------------------- wards and beds


async def add_ward(kernel: Kernel, session: AsyncSession, actor: AuditActor, data: WardIn) -> Ward:
    if await catalogs.get_department(session, code=data.department_code) is None:
        raise InvalidInput(_("Unknown department {code}"), field="department_code", code=data.department_code)
    if await session.scalar(select(Ward).where(Ward.code == data.code)) is not None:
        raise Conflict(_("Ward {code} already exists"), code=data.code)
    ward = Ward(code=data.code, department_code=data.department_code, name=data.name.strip())
    session.add(ward)
    await session.flush()
    await _audit(kernel, session, actor, AuditEntry(action="ward.add", object_type="ward", object_id=ward.code))
    return ward


async def add_bed(kernel: Kernel, session: AsyncSession, actor: AuditActor, data: BedIn) -> Bed:
    ward = await session.scalar(select(Ward).where(Ward.code == data.ward_code))
    if ward is None:
        raise NotFound(_("Unknown ward {code}"), code=data.ward_code)
    if await catalogs.get_service(session, code=data.service_code) is None:
        raise InvalidInput(_("Unknown bed-day service {code}"), field="service_code", code=data.service_code)
    if await session.scalar(select(Bed).where(Bed.code == data.code)) is not None:
        raise Conflict(_("Bed {code} already exists"), code=data.code)
    bed = Bed(
        code=data.code,
        ward_id=ward.id,
        department_code=ward.department_code,
        kind=data.kind,
        service_code=data.service_code,
        status="free",
        updated_at=kernel.clock.now(),
    )
    session.add(bed)
    await session.flush()
    await _audit(kernel, session, actor, AuditEntry(action="bed.add", object_type="bed", object_id=bed.code))
    return bed


async def wards_of(session: AsyncSession, department_code: str) -> list[Ward]:
    return list(await session.scalars(select(Ward).where(Ward.department_code == department_code).order_by(Ward.code)))


async def beds_of(session: AsyncSession, department_code: str) -> list[Bed]:
    rows = await session.scalars(select(Bed).where(Bed.department_code == department_code).order_by(Bed.code))
    return list(rows)


async def ward_names(session: AsyncSession) -> dict[int, Ward]:
    return {w.id: w for w in await session.scalars(select(Ward))}


async def departments_with_beds(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(Ward.department_code).distinct().order_by(Ward.department_code)))


async def open_occupancies(session: AsyncSession, bed_ids: list[int]) -> dict[int, Occupancy]:
    if not bed_ids:
        return {}
    rows = await session.scalars(
        select(Occupancy).where(Occupancy.bed_id.in_(bed_ids), Occupancy.released_at.is_(None))
    )
    return {row.bed_id: row for row in rows}


async def _locked_bed(session: AsyncSession, code: str) -> Bed:
    bed = await session.scalar(select(Bed).where(Bed.code == code).with_for_update())
    if bed is None:
        raise NotFound(_("Unknown bed {code}"), code=code)
    return bed


async def _first_free_bed(session: AsyncSession, department_code: str) -> Bed:
    # SKIP LOCKED: concurrent admissions to one department each take a different free bed instead of queueing.
    bed = await session.scalar(
        select(Bed)
        .where(Bed.department_code == department_code, Bed.status == "free")
        .order_by(Bed.code)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if bed is None:
        raise Conflict(_("No free bed in department {department}"), department=department_code)
    return bed


async def set_bed_status(kernel: Kernel, session: AsyncSession, actor: AuditActor, code: str, status: str) -> Bed:
    bed = await _locked_bed(session, code)
    problem = rules.manual_change_problem(bed.status, status)
    if problem is not None:
        raise Conflict(problem, status=status)
    before = bed.status
    bed.status = status
    bed.updated_at = kernel.clock.now()
    await session.flush()
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(action="bed.status", object_type="bed", object_id=bed.code, detail=f"{before}->{status}"),
    )
    return bed


# ---------------------------------------------------------------- stays


async def get_stay_row(session: AsyncSession, stay_id: int) -> Stay:
    stay = await session.get(Stay, stay_id)
    if stay is None:
        raise NotFound(_("Unknown inpatient stay {id}"), id=stay_id)
    return stay


async def find_stay_by_code(session: AsyncSession, code: str) -> Stay | None:
    row: Stay | None = await session.scalar(select(Stay).where(Stay.code == code))
    return row


async def occupancies_of(session: AsyncSession, stay_id: int) -> list[Occupancy]:
    rows = await session.scalars(select(Occupancy).where(Occupancy.stay_id == stay_id).order_by(Occupancy.id))
    return list(rows)


async def current_stays(session: AsyncSession, department_code: str | None = None) -> list[Stay]:
    query = select(Stay).where(Stay.status == "admitted").order_by(Stay.admitted_at)
    if department_code:
        query = query.where(Stay.department_code == department_code)
    return list(await session.scalars(query))


async def stays_between(
    session: AsyncSession, date_from: date, date_to: date, department_code: str | None = None
) -> list[Stay]:
    """Stays that were in hospital on some day of the period (Viet Nam days): admitted before its end, not
    discharged before its start (open stays: still in)."""
    zone = vietnam_zone()
    start = datetime.combine(date_from, datetime.min.time(), zone)
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time(), zone)
    query = (
        select(Stay)
        .where(Stay.admitted_at < end, or_(Stay.discharged_at.is_(None), Stay.discharged_at >= start))
        .order_by(Stay.admitted_at, Stay.id)
    )
    if department_code:
        query = query.where(Stay.department_code == department_code)
    return list(await session.scalars(query))


async def stays_of_patient(session: AsyncSession, patient_id: int) -> list[Stay]:
    rows = await session.scalars(select(Stay).where(Stay.patient_id == patient_id).order_by(Stay.id.desc()))
    return list(rows)


async def _patient_of_source(session: AsyncSession, data: AdmitIn) -> tuple[int, Decimal | None]:
    """The admitted patient (and the weight measured at the examination), after checking the admission's origin."""
    if data.source == "direct":
        if data.patient_id is None:
            raise InvalidInput(_("Choose the patient"), field="patient_id")
        await patients.get_patient(session, patient_id=data.patient_id)
        return data.patient_id, None
    if data.visit_id is None:
        raise InvalidInput(_("Choose the visit the patient is admitted from"), field="visit_id")
    if data.source == "outpatient":
        encounter = await outpatient.find_encounter(session, visit_id=data.visit_id)
        if encounter is None or encounter.disposition != "admit":
            raise Conflict(_("The examination of visit {id} does not end in an admission"), id=data.visit_id)
        return encounter.patient_id, encounter.vitals.weight_kg
    visit = await reception.get_visit(session, visit_id=data.visit_id)
    if visit.kind != "emergency":
        raise Conflict(_("Visit {id} is not an emergency visit"), id=data.visit_id)
    exam = await outpatient.find_encounter(session, visit_id=data.visit_id)
    return visit.patient_id, exam.vitals.weight_kg if exam else None


async def _open_account(kernel: Kernel, session: AsyncSession, actor: AuditActor, stay: Stay) -> None:
    """The stay's billing account (encounter_ref = the stay code), paid by the card valid on admission."""
    day = local_date(stay.admitted_at)
    card = await patients.active_card(session, patient_id=stay.patient_id, on=day)
    patient = await patients.get_patient(session, patient_id=stay.patient_id, on=day)
    route = "emergency" if stay.source == "emergency" else "registered"
    if card is not None and stay.source == "outpatient" and stay.source_visit_id is not None:
        route = (await reception.get_visit(session, visit_id=stay.source_visit_id)).route or route
    payer = PayerFacts(
        route=route,  # type: ignore[arg-type]
        hospital_level=kernel.settings.hospital.level,
        care_type="inpatient",
        card_number=card.card_number if card else None,
        benefit_level=card.benefit_level if card else None,
        card_valid_from=card.valid_from if card else None,
        card_valid_to=card.valid_to if card else None,
        registered_facility=card.initial_facility_code if card else None,
        five_years_since=card.five_years_since if card else None,
    )
    stay.card_number = card.card_number if card else None
    await billing.open_account(
        session,
        kernel=kernel,
        actor=actor,
        data=AccountIn(
            encounter_ref=stay.code,
            patient_id=stay.patient_id,
            payer=payer,
            patient_code=patient.code,
            patient_name=patient.full_name,
        ),
    )


async def admit(kernel: Kernel, session: AsyncSession, actor: AuditActor, doctor: Doctor, data: AdmitIn) -> Stay:
    """Creates the stay, its billing account and (unless bed_code is "none") its first bed occupancy."""
    patient_id, measured_weight = await _patient_of_source(session, data)
    weight = data.weight_kg if data.weight_kg is not None else measured_weight
    if weight is not None and not Decimal("0.3") <= weight <= Decimal(400):
        raise InvalidInput(_("The weight must be between 0.3 and 400 kg"), field="weight_kg")
    department = await catalogs.get_department(session, code=data.department_code)
    if department is None:
        raise InvalidInput(_("Unknown department {code}"), field="department_code", code=data.department_code)
    icd = await catalogs.get_icd10(session, code=data.icd10_code.strip())
    if icd is None:
        raise InvalidInput(_("Unknown ICD-10 code {code}"), field="icd10_code", code=data.icd10_code)
    if await session.scalar(select(Stay.id).where(Stay.patient_id == patient_id, Stay.status == "admitted")):
        raise Conflict(_("The patient is already admitted"))
    now = kernel.clock.now()
    stay = Stay(
        code=f"tmp-{patient_id}-{now.timestamp()}",
        patient_id=patient_id,
        source=data.source,
        source_visit_id=data.visit_id if data.source != "direct" else None,
        department_code=department.code,
        doctor=doctor.username,
        doctor_name=doctor.full_name,
        status="admitted",
        admitted_at=now,
        admission_icd10=icd.code,
        admission_diagnosis=(data.diagnosis_text.strip() or icd.name)[:500],
        reason=data.reason.strip(),
        weight_kg=weight,
    )
    session.add(stay)
    await session.flush()
    hospital = await get_hospital(session, kernel.settings.hospital)
    stay.code = rules.stay_code(hospital.facility_code, local_date(now), stay.id)
    await session.flush()
    await _open_account(kernel, session, actor, stay)
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="stay.admit",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(patient_id),
            detail=f"{data.source} {department.code} {icd.code}",
        ),
    )
    if data.bed_code != "none":
        await assign_bed(kernel, session, actor, stay, data.bed_code or None)
    return stay


async def _occupy(kernel: Kernel, session: AsyncSession, actor: AuditActor, stay: Stay, bed: Bed) -> Occupancy:
    if bed.status not in rules.ASSIGNABLE:
        raise Conflict(rules.MSG_BED_TAKEN, bed=bed.code, status=bed.status)
    now = kernel.clock.now()
    occupancy = Occupancy(
        stay_id=stay.id, bed_id=bed.id, department_code=bed.department_code, started_at=now, by_user=actor.username
    )
    session.add(occupancy)
    bed.status = "occupied"
    bed.updated_at = now
    stay.department_code = bed.department_code
    try:
        await session.flush()
    except IntegrityError as error:  # the partial unique index: someone else holds the bed
        raise Conflict(rules.MSG_BED_TAKEN, bed=bed.code, status="occupied") from error
    return occupancy


async def assign_bed(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, stay: Stay, bed_code: str | None
) -> Occupancy:
    """Puts a stay that has no bed into `bed_code` (or the first free bed of its department)."""
    if stay.status != "admitted":
        raise Conflict(rules.MSG_STAY_CLOSED, code=stay.code)
    current = await session.scalar(
        select(Occupancy).where(Occupancy.stay_id == stay.id, Occupancy.released_at.is_(None))
    )
    if current is not None:
        raise Conflict(_("The patient already has a bed: use a transfer"))
    bed = await _locked_bed(session, bed_code) if bed_code else await _first_free_bed(session, stay.department_code)
    occupancy = await _occupy(kernel, session, actor, stay, bed)
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="stay.bed", object_type="stay", object_id=stay.code, patient_id=str(stay.patient_id), detail=bed.code
        ),
    )
    return occupancy


async def _release(kernel: Kernel, session: AsyncSession, stay: Stay, reason: str, at: datetime) -> Bed | None:
    """Closes the open occupancy of the stay; its bed goes to cleaning."""
    current = await session.scalar(
        select(Occupancy).where(Occupancy.stay_id == stay.id, Occupancy.released_at.is_(None))
    )
    if current is None:
        return None
    bed = await session.scalar(select(Bed).where(Bed.id == current.bed_id).with_for_update())
    assert bed is not None
    current.released_at = at
    current.release_reason = reason
    bed.status = "cleaning"
    bed.updated_at = kernel.clock.now()
    await session.flush()
    return bed


async def transfer(kernel: Kernel, session: AsyncSession, actor: AuditActor, stay: Stay, bed_code: str) -> Occupancy:
    """Moves the stay to another bed, of this or another department; the history keeps both occupancies."""
    if stay.status != "admitted":
        raise Conflict(rules.MSG_STAY_CLOSED, code=stay.code)
    # Lock the target first: when it is taken nothing has changed yet.
    target = await _locked_bed(session, bed_code)
    if target.status not in rules.ASSIGNABLE:
        raise Conflict(rules.MSG_BED_TAKEN, bed=target.code, status=target.status)
    source = await _release(kernel, session, stay, "transfer", kernel.clock.now())
    occupancy = await _occupy(kernel, session, actor, stay, target)
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="stay.transfer",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(stay.patient_id),
            detail=f"{source.code if source else '-'}->{target.code}",
        ),
    )
    return occupancy


# ---------------------------------------------------------------- treatment sheet


async def add_sheet_entry(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, author: Doctor, stay: Stay, data: SheetEntryIn
) -> SheetEntry:
    if stay.status != "admitted":
        raise Conflict(rules.MSG_STAY_CLOSED, code=stay.code)
    now = kernel.clock.now()
    day = data.day or local_date(now)
    if day < local_date(stay.admitted_at) or day > local_date(now):
        raise InvalidInput(_("The day is outside the stay"), field="day")
    if data.temperature is not None and not Decimal(30) <= data.temperature <= Decimal(45):
        raise InvalidInput(_("The temperature must be between 30 and 45 °C"), field="temperature")
    if not (data.progress.strip() or data.care_orders.strip() or data.pulse or data.temperature):
        raise InvalidInput(_("Write a progress note, an order or a vital sign"), field="progress")
    entry = SheetEntry(
        stay_id=stay.id,
        day=day,
        written_at=now,
        author=author.username,
        author_name=author.full_name,
        progress=data.progress.strip(),
        care_orders=data.care_orders.strip(),
        pulse=data.pulse,
        temperature=data.temperature,
        systolic=data.systolic,
        diastolic=data.diastolic,
        respiratory_rate=data.respiratory_rate,
        spo2=data.spo2,
    )
    session.add(entry)
    await session.flush()
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="stay.sheet",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(stay.patient_id),
            detail=str(day),
        ),
    )
    return entry


async def sheet_entries(session: AsyncSession, stay_id: int) -> list[SheetEntry]:
    rows = await session.scalars(
        select(SheetEntry).where(SheetEntry.stay_id == stay_id).order_by(SheetEntry.day, SheetEntry.id)
    )
    return list(rows)


# ---------------------------------------------------------------- discharge


async def _beds_by_day(session: AsyncSession, stay: Stay, until: datetime) -> list[rules.DayBed]:
    """Every (day, bed-day service, price) the stay lay in, from its occupancy history."""
    out: list[rules.DayBed] = []
    prices: dict[str, int] = {}
    for occ in await occupancies_of(session, stay.id):
        bed = await session.get(Bed, occ.bed_id)
        assert bed is not None
        if bed.service_code not in prices:
            service = await catalogs.get_service(session, code=bed.service_code, as_of=local_date(occ.started_at))
            prices[bed.service_code] = service.hospital_price if service else 0
        day, last = local_date(occ.started_at), local_date(occ.released_at or until)
        while day <= last:
            out.append(rules.DayBed(day=day, service_code=bed.service_code, price=prices[bed.service_code]))
            day += timedelta(days=1)
    return out


async def _post_bed_days(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, stay: Stay, charged: list[rules.DayBed]
) -> None:
    for bed_day in charged:
        service = await catalogs.get_service(session, code=bed_day.service_code, as_of=bed_day.day)
        if service is None:
            raise InvalidInput(_("Unknown bed-day service {code}"), code=bed_day.service_code)
        await billing.post_charge(
            session,
            kernel=kernel,
            actor=actor,
            encounter_ref=stay.code,
            charge=ChargeIn(
                source_kind="bed",
                code=service.code,
                name=service.name,
                quantity=Decimal(1),
                unit_price_hospital=service.hospital_price,
                unit_price_bhyt=service.bhyt_price,
                in_bhyt_list=service.bhyt_price is not None,
                service_date=bed_day.day,
                source_ref=f"bed-day:{stay.code}:{bed_day.day.isoformat()}",
            ),
        )


async def discharge(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, doctor: Doctor, stay: Stay, data: DischargeIn
) -> Stay:
    """Discharges the stay: the bed goes to cleaning, bed days are charged, the discharge paper's facts kept."""
    if stay.status != "admitted":
        raise Conflict(rules.MSG_STAY_CLOSED, code=stay.code)
    now = kernel.clock.now()
    at = data.discharged_at or now
    if at > now + timedelta(minutes=5):
        raise InvalidInput(_("The discharge time is in the future"), field="discharged_at")
    for field, message in rules.discharge_problems(
        admitted_at=stay.admitted_at,
        discharged_at=at,
        outcome=data.outcome,
        kind=data.kind,
        icd10=data.icd10_code,
        method=data.treatment_method,
    ):
        raise InvalidInput(message, field=field)
    icd = await catalogs.get_icd10(session, code=data.icd10_code.strip())
    if icd is None:
        raise InvalidInput(_("Unknown ICD-10 code {code}"), field="icd10_code", code=data.icd10_code)
    beds = await _beds_by_day(session, stay, at)
    await _release(kernel, session, stay, "discharge", at)
    days = rules.bed_days(
        stay.admitted_at,
        at,
        admitted_on=local_date(stay.admitted_at),
        discharged_on=local_date(at),
        outcome=data.outcome,
        kind=data.kind,
    )
    await _post_bed_days(kernel, session, actor, stay, rules.charged_beds(days, local_date(at), beds))
    stay.status = "discharged"
    stay.discharged_at = at
    stay.discharge_icd10 = icd.code
    stay.discharge_diagnosis = (data.diagnosis_text.strip() or icd.name)[:500]
    stay.treatment_method = data.treatment_method.strip()
    stay.discharge_note = data.note.strip()
    stay.outcome = data.outcome
    stay.discharge_kind = data.kind
    stay.bed_days = days
    stay.discharged_by = doctor.username
    stay.discharged_by_name = doctor.full_name
    await _stop_on_discharge(session, stay, at, doctor.username)
    await session.flush()
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="stay.discharge",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(stay.patient_id),
            detail=f"{icd.code} outcome={data.outcome} days={days}",
        ),
    )
    return stay


def local_day(value: datetime) -> date:
    return local_date(value)


# ---------------------------------------------------------------- medication orders


class MedicationBlocked(BlockedByChecks):
    """An order refused: decision support raised hard stops that carry no override reason."""

    def __init__(self, alerts: list[CheckAlert], blocking: list[CheckAlert]) -> None:
        message = _("Decision support stopped this order: {count} alerts need a change or an override reason")
        super().__init__(message, alerts, blocking)


@dataclass(frozen=True, slots=True)
class MedicationLine:
    """A drug of the catalog as it is about to be ordered."""

    drug: DrugEntry
    dose_per_time: Decimal
    times_per_day: int
    days: int
    route: str


def substances_text(drug: DrugEntry) -> str:
    """ "Amoxicilin 500 mg + Acid clavulanic 125 mg", as prescriptions write it."""
    return " + ".join(f"{s.substance} {s.strength}".strip() for s in drug.substances)


def _substance_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(" + ") if part.strip()]


def order_last_day(row: MedicationOrder) -> date:
    return rules.medication_last_day(
        row.start_day, row.days, local_date(row.stopped_at) if row.stopped_at is not None else None
    )


def active_drug(row: MedicationOrder, stay_code: str) -> ActiveDrug:
    """The order as decision support sees a running medication: `prescription_code` names the stay and order."""
    until = order_last_day(row) + timedelta(days=1)
    return ActiveDrug(row.drug_code, row.drug_name, _substance_list(row.substances), f"{stay_code}/{row.id}", until)


async def medication_orders(session: AsyncSession, stay_id: int) -> list[MedicationOrder]:
    rows = await session.scalars(
        select(MedicationOrder).where(MedicationOrder.stay_id == stay_id).order_by(MedicationOrder.id)
    )
    return list(rows)


async def medication_orders_after(session: AsyncSession, after_id: int, limit: int) -> list[MedicationOrder]:
    rows = await session.scalars(
        select(MedicationOrder).where(MedicationOrder.id > after_id).order_by(MedicationOrder.id).limit(limit)
    )
    return list(rows)


async def running_orders(
    session: AsyncSession, on: date, patient_id: int | None = None
) -> list[tuple[MedicationOrder, Stay]]:
    """Orders not stopped, of stays not discharged, whose last day is not before `on` (orders starting later
    count: they are planned), oldest first."""
    query = (
        select(MedicationOrder, Stay)
        .join(Stay, Stay.id == MedicationOrder.stay_id)
        .where(MedicationOrder.status == "active", Stay.status == "admitted")
        .order_by(MedicationOrder.patient_id, MedicationOrder.id)
    )
    if patient_id is not None:
        query = query.where(MedicationOrder.patient_id == patient_id)
    return [(row, stay) for row, stay in (await session.execute(query)).all() if order_last_day(row) >= on]


def _age_days(patient: PatientOut, on: date) -> int | None:
    return (on - patient.birth_date).days if patient.birth_date is not None and patient.birth_date <= on else None


def _age_years(patient: PatientOut, on: date) -> int | None:
    if patient.birth_date is not None:
        years = on.year - patient.birth_date.year
        return years - 1 if (on.month, on.day) < (patient.birth_date.month, patient.birth_date.day) else years
    return on.year - patient.birth_year if patient.birth_year <= on.year else None


async def medication_draft(
    session: AsyncSession, stay: Stay, lines: list[MedicationLine], on: date
) -> PrescriptionDraft:
    """What decision support checks: the patient (age, sex, weight on admission, pregnancy as examined before
    admission), the admission diagnosis, the stay's other running orders, and the new lines."""
    patient = await patients.get_patient(session, patient_id=stay.patient_id, on=on)
    pregnant = None
    if stay.source_visit_id is not None and stay.source == "outpatient":
        encounter = await outpatient.find_encounter(session, visit_id=stay.source_visit_id)
        pregnant = encounter.pregnant if encounter is not None else None
    running = [active_drug(row, stay.code) for row, _stay in await running_orders(session, on, stay.patient_id)]
    return PrescriptionDraft(
        patient=PatientFacts(
            patient_id=patient.id,
            sex=patient.sex,
            age_days=_age_days(patient, on),
            age_years=_age_years(patient, on),
            weight_kg=stay.weight_kg,
            pregnant=pregnant,
            allergies=None,
        ),
        diagnoses=[DiagnosisFact(stay.admission_icd10, True)],
        active_drugs=running,
        lines=[
            DraftLine(
                drug_code=line.drug.code,
                drug_name=line.drug.name,
                substances=[s.substance for s in line.drug.substances],
                route=line.route,
                unit=line.drug.unit,
                dose_per_time=line.dose_per_time,
                times_per_day=line.times_per_day,
                days=line.days,
                quantity=0,
            )
            for line in lines
        ],
        on=on,
    )


async def medication_line(
    session: AsyncSession,
    drug_code: str,
    dose_per_time: Decimal,
    times_per_day: int,
    days: int,
    route: str,
    on: date,
    *,
    partial: bool = False,
) -> MedicationLine:
    """The order's line, refused (InvalidInput naming the field) when the drug or its numbers are unusable.
    `partial`: an order still being written, whose dose or times a day may be missing (0: not checked yet)."""
    for problem in rules.medication_problems(dose_per_time, times_per_day, days):
        missing = (problem.field == "dose_per_time" and dose_per_time == 0) or (
            problem.field == "times_per_day" and times_per_day == 0
        )
        if not (partial and missing):
            raise InvalidInput(problem.message, field=problem.field, **problem.params)
    drug = await catalogs.get_drug(session, code=drug_code.strip(), as_of=on)
    if drug is None:
        raise InvalidInput(_("No drug {code} in force"), field="drug_code", code=drug_code.strip()[:40])
    return MedicationLine(drug, dose_per_time, times_per_day, days, route.strip()[:64] or drug.route)


async def order_medication(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    doctor: Doctor,
    stay: Stay,
    data: MedicationOrderIn,
    checks: PrescriptionChecks,
) -> tuple[MedicationOrder, list[CheckAlert]]:
    """Checks a medication order with decision support and writes it; answers it with every alert seen.
    MedicationBlocked when a hard stop has no override reason in `data.overrides`."""
    if stay.status != "admitted":
        raise Conflict(rules.MSG_STAY_CLOSED, code=stay.code)
    now = kernel.clock.now()
    today = local_date(now)
    start = data.start_day or today
    if start < local_date(stay.admitted_at) or start > today + timedelta(days=1):
        raise InvalidInput(_("An order starts between the admission day and tomorrow"), field="start_day")
    line = await medication_line(
        session, data.drug_code, data.dose_per_time, data.times_per_day, data.days, data.route, start
    )
    alerts = await checks.run(await medication_draft(session, stay, [line], start))
    reasons = {item.key: item.reason.strip()[:500] for item in data.overrides}
    blocking = unresolved_hard_stops(alerts, reasons)
    if blocking:
        raise MedicationBlocked(alerts, blocking)
    seen = [
        MedicationAlertOut(
            a.severity, a.kind, a.message, a.source, a.ref, reasons.get(a.ref, "") if a.severity == "hard_stop" else ""
        )
        for a in alerts
    ]
    row = MedicationOrder(
        stay_id=stay.id,
        patient_id=stay.patient_id,
        drug_code=line.drug.code,
        drug_name=line.drug.name,
        substances=substances_text(line.drug)[:500],
        unit=line.drug.unit[:32],
        route=line.route,
        dose_per_time=line.dose_per_time,
        times_per_day=line.times_per_day,
        start_day=start,
        days=line.days,
        instructions=data.instructions.strip()[:300],
        status="active",
        ordered_at=now,
        ordered_by=doctor.username,
        ordered_by_name=doctor.full_name,
        alerts=msgspec.json.encode(seen).decode(),
    )
    session.add(row)
    await session.flush()
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="medication.order",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(stay.patient_id),
            detail=(
                f"order {row.id}: {row.drug_code} {row.dose_per_time} {row.unit} x{row.times_per_day}/day "
                f"{row.days} days from {start}; alerts "
                + (", ".join(f"{a.severity}:{a.ref}" for a in alerts) or "none")
            )[:500],
        ),
    )
    for alert in alerts:
        if alert.severity == "hard_stop":
            await _audit(
                kernel,
                session,
                actor,
                AuditEntry(
                    action="medication.override",
                    outcome="overridden",
                    object_type="stay",
                    object_id=stay.code,
                    patient_id=str(stay.patient_id),
                    detail=f"order {row.id}; {alert.source}: {alert.ref}; reason: {reasons[alert.ref]}"[:500],
                ),
            )
    return row, alerts


async def stop_medication(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, doctor: Doctor, stay: Stay, order_id: int, reason: str
) -> MedicationOrder:
    row = await session.get(MedicationOrder, order_id)
    if row is None or row.stay_id != stay.id:
        raise NotFound(_("Unknown medication order {id}"), id=order_id)
    if row.status != "active":
        raise Conflict(_("The order is already stopped"))
    if not reason.strip():
        raise InvalidInput(_("Give the reason for stopping"), field="reason")
    row.status = "stopped"
    row.stopped_at = kernel.clock.now()
    row.stopped_by = doctor.username
    row.stop_reason = reason.strip()[:300]
    await session.flush()
    await _audit(
        kernel,
        session,
        actor,
        AuditEntry(
            action="medication.stop",
            object_type="stay",
            object_id=stay.code,
            patient_id=str(stay.patient_id),
            detail=f"order {row.id}: {row.drug_code}; {row.stop_reason}"[:500],
        ),
    )
    return row


async def _stop_on_discharge(session: AsyncSession, stay: Stay, at: datetime, by: str) -> None:
    """Running orders end with the stay (the discharge prescription is a new, outpatient one)."""
    for row in await medication_orders(session, stay.id):
        if row.status == "active":
            row.status = "stopped"
            row.stopped_at = at
            row.stopped_by = by
            row.stop_reason = "discharge"
