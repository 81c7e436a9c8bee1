"""Outpatient use cases: open the examination, record it, diagnose, prescribe, finish. The only writer of the
outpatient tables; every change is audited in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.catalogs.schemas import DrugEntry
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import Clock, local_date
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.hospital import get_hospital
from his.kernel.i18n import lazy as _
from his.outpatient import rules
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
from his.outpatient.models import Diagnosis, Encounter, Prescription, PrescriptionLine, PrescriptionOverride
from his.outpatient.schemas import DiagnosisIn, DispositionIn, ExamIn, PrescriptionIn
from his.patients import api as patients
from his.patients.schemas import PatientOut
from his.reception import api as reception
from his.settings import HospitalDefaults

VITAL_FIELDS = ("pulse", "temperature", "systolic", "diastolic", "respiratory_rate", "spo2", "height_cm", "weight_kg")
TEXT_LIMITS = {"reason": 500, "history": 20_000, "exam_notes": 20_000}
CODE_ATTEMPTS = 8
# The catalogs' diagnosis-rule messages (his.catalogs.api.check_diagnosis), which this module shows to doctors.
# They are plain constants there, out of the extractor's reach, so their translations live in this module's
# catalog; tests/outpatient/test_translations.py keeps this list equal to the catalogs' constants.
CATALOG_DIAGNOSIS_MESSAGES = (
    _("Code {code} is valid for female patients only"),
    _("Code {code} is valid for male patients only"),
    _("Code {code} is valid for patients aged {min_age_days} to {max_age_days} days only"),
    _("Code {code} is valid for patients aged {min_age_days} days or more only"),
    _("Code {code} is valid for patients aged {max_age_days} days or less only"),
    _("Code {code} cannot be used as the main diagnosis"),
    _(
        "Code {code} is an asterisk (manifestation) code and cannot be the main diagnosis; "
        "code the underlying disease as main"
    ),
)


@dataclass(frozen=True, slots=True)
class Doctor:
    username: str
    full_name: str


class PrescriptionBlocked(BlockedByChecks):
    """Signing refused: decision support raised hard stops that carry no override reason."""

    def __init__(self, alerts: list[CheckAlert], blocking: list[CheckAlert]) -> None:
        message = _("Decision support stopped this prescription: {count} alerts need a change or an override reason")
        super().__init__(message, alerts, blocking)


def _refuse(findings: Sequence[rules.Finding]) -> None:
    """Raises the first problem as InvalidInput naming its field (the form shows it beside that field)."""
    for finding in findings:
        raise InvalidInput(finding.message, field=finding.field, **finding.params)


async def _audit(session: AsyncSession, clock: Clock, actor: AuditActor, entry: AuditEntry) -> None:
    await append_audit(session, clock, actor, entry)


# ---------------------------------------------------------------- reading


async def find_encounter_row(session: AsyncSession, visit_id: int) -> Encounter | None:
    row: Encounter | None = await session.scalar(select(Encounter).where(Encounter.visit_id == visit_id))
    return row


async def encounters_of_patient(session: AsyncSession, patient_id: int, limit: int) -> list[Encounter]:
    rows = await session.scalars(
        select(Encounter)
        .where(Encounter.patient_id == patient_id)
        .order_by(Encounter.started_at.desc(), Encounter.id.desc())
        .limit(limit)
    )
    return list(rows)


async def get_encounter_row(session: AsyncSession, visit_id: int) -> Encounter:
    row = await find_encounter_row(session, visit_id)
    if row is None:
        raise NotFound(_("Visit {id} has no examination yet"), id=visit_id)
    return row


async def encounters_of_visits(session: AsyncSession, visit_ids: Sequence[int]) -> dict[int, Encounter]:
    if not visit_ids:
        return {}
    rows = await session.scalars(select(Encounter).where(Encounter.visit_id.in_(visit_ids)))
    return {row.visit_id: row for row in rows}


async def diagnoses_of(session: AsyncSession, encounter_id: int) -> list[Diagnosis]:
    rows = await session.scalars(
        select(Diagnosis).where(Diagnosis.encounter_id == encounter_id).order_by(Diagnosis.position)
    )
    return list(rows)


async def prescriptions_of(session: AsyncSession, encounter_id: int) -> list[Prescription]:
    rows = await session.scalars(
        select(Prescription).where(Prescription.encounter_id == encounter_id).order_by(Prescription.id)
    )
    return list(rows)


async def get_prescription_row(
    session: AsyncSession, *, code: str | None = None, prescription_id: int | None = None
) -> Prescription:
    if code is not None:
        row: Prescription | None = await session.scalar(select(Prescription).where(Prescription.code == code))
    else:
        row = await session.get(Prescription, prescription_id)
    if row is None:
        raise NotFound(_("No prescription {code}"), code=code if code is not None else str(prescription_id))
    return row


async def lines_of(session: AsyncSession, prescription_id: int) -> list[PrescriptionLine]:
    rows = await session.scalars(
        select(PrescriptionLine)
        .where(PrescriptionLine.prescription_id == prescription_id)
        .order_by(PrescriptionLine.position)
    )
    return list(rows)


async def overrides_of(session: AsyncSession, prescription_id: int) -> list[PrescriptionOverride]:
    rows = await session.scalars(
        select(PrescriptionOverride)
        .where(PrescriptionOverride.prescription_id == prescription_id)
        .order_by(PrescriptionOverride.id)
    )
    return list(rows)


async def encounter_of(session: AsyncSession, encounter_id: int) -> Encounter:
    row = await session.get(Encounter, encounter_id)
    if row is None:  # pragma: no cover - a prescription always has its encounter (foreign key)
        raise NotFound(_("No examination {id}"), id=encounter_id)
    return row


# ---------------------------------------------------------------- opening


def _require_open(encounter: Encounter) -> None:
    if encounter.status != "open":
        raise Conflict(_("This examination is finished; it can no longer be changed"))


async def open_encounter(
    session: AsyncSession, clock: Clock, actor: AuditActor, doctor: Doctor, visit_id: int
) -> Encounter:
    """Starts the examination of a visit (the visit goes from waiting to in_exam); opening it again returns it."""
    existing = await find_encounter_row(session, visit_id)
    if existing is not None:
        return existing
    visit = await reception.get_visit(session, visit_id=visit_id)
    if visit.status == "waiting":
        await reception.change_status(session, clock, actor, visit_id=visit_id, status="in_exam")
    elif visit.status != "in_exam":
        raise Conflict(_("A visit that is {status} cannot be examined"), status=visit.status)
    now = clock.now()
    encounter = Encounter(
        visit_id=visit.id,
        visit_code=visit.code,
        patient_id=visit.patient_id,
        room_code=visit.room_code,
        doctor=doctor.username,
        doctor_name=doctor.full_name,
        status="open",
        started_at=now,
        updated_at=now,
        reason="",
        history="",
        exam_notes="",
        disposition_note="",
    )
    session.add(encounter)
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="encounter.open",
            object_type="encounter",
            object_id=visit.code,
            patient_id=str(visit.patient_id),
            detail=f"room {visit.room_code} ticket {visit.ticket_number}",
        ),
    )
    return encounter


async def call_next(
    session: AsyncSession, clock: Clock, actor: AuditActor, doctor: Doctor, *, room_code: str
) -> Encounter:
    """Opens the examination of the first patient still waiting in the room today."""
    queue = await reception.room_queue(session, room_code=room_code, day=local_date(clock.now()))
    for visit in (visit for visit in queue if visit.status == "waiting"):
        try:
            # A savepoint per candidate: if another doctor took this patient a moment ago (their examination is
            # there, or their insert wins the unique index on the visit), try the next one. open_encounter alone
            # would hand the colleague's examination back: opening an examination again returns it.
            async with session.begin_nested():
                if await find_encounter_row(session, visit.id) is None:
                    return await open_encounter(session, clock, actor, doctor, visit.id)
        except (Conflict, IntegrityError):
            continue
    raise NotFound(_("Nobody is waiting in room {room}"), room=room_code)


# ---------------------------------------------------------------- recording


def _age_days(patient: PatientOut, on: date) -> int | None:
    return (on - patient.birth_date).days if patient.birth_date is not None and patient.birth_date <= on else None


def _age_years(patient: PatientOut, on: date) -> int | None:
    if patient.birth_date is not None:
        return rules.months_between(patient.birth_date, on) // 12
    return on.year - patient.birth_year if patient.birth_year <= on.year else None


def vitals_of(encounter: Encounter) -> rules.Vitals:
    return rules.Vitals(**{name: getattr(encounter, name) for name in VITAL_FIELDS})


async def record_exam(
    session: AsyncSession, clock: Clock, actor: AuditActor, visit_id: int, data: ExamIn
) -> tuple[Encounter, list[rules.Finding]]:
    """Saves the reason, history, notes and vital signs; refuses impossible values (the field named) and
    answers the abnormal ones as warnings."""
    encounter = await get_encounter_row(session, visit_id)
    _require_open(encounter)
    changes: dict[str, Any] = {
        f.name: getattr(data, f.name)
        for f in msgspec.structs.fields(ExamIn)
        if getattr(data, f.name) is not msgspec.UNSET
    }
    vitals = rules.Vitals(
        **{name: changes.get(name, getattr(encounter, name)) for name in VITAL_FIELDS}  # type: ignore[arg-type]
    )
    if vitals.temperature is not None:
        vitals = _with(vitals, temperature=Decimal(vitals.temperature).quantize(Decimal("0.1")))
    _refuse(rules.vital_problems(vitals))
    for name, limit in TEXT_LIMITS.items():
        if name in changes:
            setattr(encounter, name, str(changes[name]).strip()[:limit])
    for name in VITAL_FIELDS:
        setattr(encounter, name, getattr(vitals, name))
    if "pregnant" in changes:
        encounter.pregnant = changes["pregnant"]
    encounter.bmi = rules.body_mass_index(vitals.height_cm, vitals.weight_kg)
    encounter.updated_at = clock.now()
    await session.flush()
    patient = await patients.get_patient(session, patient_id=encounter.patient_id)
    warnings = rules.vital_warnings(vitals, age_years=_age_years(patient, local_date(clock.now())))
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="encounter.exam",
            object_type="encounter",
            object_id=encounter.visit_code,
            patient_id=str(encounter.patient_id),
            detail="fields " + ",".join(sorted(changes))[:300],
        ),
    )
    return encounter, warnings


def _with(vitals: rules.Vitals, **changes: Any) -> rules.Vitals:
    values = {name: getattr(vitals, name) for name in VITAL_FIELDS}
    values.update(changes)
    return rules.Vitals(**values)


async def set_diagnoses(
    session: AsyncSession, clock: Clock, actor: AuditActor, visit_id: int, items: Sequence[DiagnosisIn]
) -> list[Diagnosis]:
    """Replaces the diagnoses: exactly one main, no code twice, each code in force and valid for this patient
    (sex, age) and for its role (an asterisk or never-main code is not the main diagnosis)."""
    encounter = await get_encounter_row(session, visit_id)
    _require_open(encounter)
    _refuse(rules.diagnosis_set_problems([rules.DiagnosisLine(item.code, item.is_main) for item in items]))
    day = local_date(encounter.started_at)
    patient = await patients.get_patient(session, patient_id=encounter.patient_id, on=day)
    rows: list[Diagnosis] = []
    ordered = sorted(enumerate(items), key=lambda pair: not pair[1].is_main)  # the main one first
    for position, (index, item) in enumerate(ordered):
        field = f"diagnoses[{index}].code"
        entry = await catalogs.get_icd10(session, code=item.code.strip(), as_of=day)
        if entry is None:
            raise InvalidInput(_("No ICD-10 code {code} in force"), field=field, code=item.code.strip()[:16])
        problems = await catalogs.check_diagnosis(
            session,
            code=entry.code,
            sex=patient.sex,
            age_days=_age_days(patient, day),
            is_main=item.is_main,
            as_of=day,
        )
        for problem in problems:
            raise InvalidInput(problem.message, field=field, **problem.params)
        text = (item.text or "").strip() or entry.name
        rows.append(Diagnosis(position=position, icd10_code=entry.code, is_main=item.is_main, text=text[:500]))
    await session.execute(delete(Diagnosis).where(Diagnosis.encounter_id == encounter.id))
    for row in rows:
        row.encounter_id = encounter.id
        session.add(row)
    encounter.updated_at = clock.now()
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="encounter.diagnoses",
            object_type="encounter",
            object_id=encounter.visit_code,
            patient_id=str(encounter.patient_id),
            detail=" ".join(("*" if row.is_main else "") + row.icd10_code for row in rows)[:400],
        ),
    )
    return rows


async def set_disposition(
    session: AsyncSession, clock: Clock, actor: AuditActor, visit_id: int, data: DispositionIn
) -> Encounter:
    encounter = await get_encounter_row(session, visit_id)
    _require_open(encounter)
    _refuse(
        rules.disposition_problems(
            data.disposition, follow_up=data.follow_up_date, note=data.note, today=local_date(clock.now())
        )
    )
    encounter.disposition = data.disposition
    encounter.follow_up_date = data.follow_up_date if data.disposition == "follow_up" else None
    encounter.disposition_note = data.note.strip()[:300]
    encounter.updated_at = clock.now()
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="encounter.disposition",
            object_type="encounter",
            object_id=encounter.visit_code,
            patient_id=str(encounter.patient_id),
            detail=data.disposition,
        ),
    )
    return encounter


async def finish_encounter(session: AsyncSession, clock: Clock, actor: AuditActor, visit_id: int) -> Encounter:
    """Closes the examination (main diagnosis and disposition recorded) and the visit at reception."""
    encounter = await get_encounter_row(session, visit_id)
    _require_open(encounter)
    if not any(d.is_main for d in await diagnoses_of(session, encounter.id)):
        raise InvalidInput(rules.MSG_NO_DIAGNOSIS, field="diagnoses")
    if encounter.disposition is None:
        raise InvalidInput(_("Choose the disposition before finishing"), field="disposition")
    visit = await reception.get_visit(session, visit_id=visit_id)
    if visit.status == "in_exam":
        await reception.change_status(session, clock, actor, visit_id=visit_id, status="finished")
    now = clock.now()
    encounter.status = "finished"
    encounter.finished_at = now
    encounter.updated_at = now
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="encounter.finish",
            object_type="encounter",
            object_id=encounter.visit_code,
            patient_id=str(encounter.patient_id),
            detail=encounter.disposition,
        ),
    )
    return encounter


# ---------------------------------------------------------------- prescribing


def substances_text(drug: DrugEntry) -> str:
    """ "Amoxicilin 500 mg + Acid clavulanic 125 mg"."""
    return " + ".join(f"{s.substance} {s.strength}".strip() for s in drug.substances)


@dataclass(frozen=True, slots=True)
class _Line:
    drug: DrugEntry
    klass: rules.PrescriptionType
    dose: rules.LineDose
    quantity: int
    instructions: str


async def _lines(session: AsyncSession, data: PrescriptionIn, day: date) -> list[_Line]:
    if not data.lines:
        raise InvalidInput(rules.MSG_NO_LINES, field="lines")
    lines: list[_Line] = []
    seen: set[str] = set()
    for index, item in enumerate(data.lines):
        code = item.drug_code.strip()
        drug = await catalogs.get_drug(session, code=code, as_of=day)
        if drug is None:
            raise InvalidInput(_("No drug {code} in force"), field=f"lines[{index}].drug_code", code=code[:40])
        if drug.code in seen:
            raise InvalidInput(_("{drug} is prescribed twice"), field=f"lines[{index}].drug_code", drug=drug.name)
        seen.add(drug.code)
        dose = rules.LineDose(item.dose_per_time, item.times_per_day, item.days, item.quantity)
        _refuse(rules.line_problems(index, dose))
        klass = rules.drug_class(s.substance for s in drug.substances)
        lines.append(_Line(drug, klass, dose, rules.line_quantity(dose), item.instructions.strip()[:300]))
    _refuse(rules.mixed_class_problems([(line.drug.name, line.klass) for line in lines]))
    return lines


async def active_drugs(session: AsyncSession, patient_id: int, on: date) -> list[ActiveDrug]:
    """Drugs of the patient's issued prescriptions whose days have not yet run out on `on`."""
    since = datetime.combine(on - timedelta(days=rules.MAX_DAYS + 1), time(), tzinfo=UTC)
    rows = await session.execute(
        select(Prescription, PrescriptionLine)
        .join(PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.status == "issued",
            Prescription.issued_at >= since,
        )
        .order_by(Prescription.id, PrescriptionLine.position)
    )
    active: list[ActiveDrug] = []
    for prescription, line in rows.all():
        until = local_date(prescription.issued_at) + timedelta(days=line.days)
        if until > on:
            substances = [part.strip() for part in line.substances.split(" + ") if part.strip()]
            active.append(ActiveDrug(line.drug_code, line.drug_name, substances, prescription.code, until))
    return active


async def _draft(
    session: AsyncSession, encounter: Encounter, patient: PatientOut, lines: Sequence[_Line], weight: Decimal | None
) -> PrescriptionDraft:
    day = local_date(encounter.started_at)
    diagnoses = await diagnoses_of(session, encounter.id)
    return PrescriptionDraft(
        patient=PatientFacts(
            patient_id=patient.id,
            sex=patient.sex,
            age_days=_age_days(patient, day),
            age_years=_age_years(patient, day),
            weight_kg=weight,
            pregnant=encounter.pregnant,
            allergies=None,
        ),
        diagnoses=[DiagnosisFact(d.icd10_code, d.is_main) for d in diagnoses],
        active_drugs=await active_drugs(session, patient.id, day),
        lines=[
            DraftLine(
                drug_code=line.drug.code,
                drug_name=line.drug.name,
                substances=[s.substance for s in line.drug.substances],
                route=line.drug.route,
                unit=line.drug.unit,
                dose_per_time=line.dose.dose_per_time,
                times_per_day=line.dose.times_per_day,
                days=line.dose.days,
                quantity=line.quantity,
            )
            for line in lines
        ],
        on=day,
    )


async def _new_code(session: AsyncSession, facility_code: str, type_letter: str, rng: Any) -> str:
    for _attempt in range(CODE_ATTEMPTS):
        code = rules.national_prescription_code(facility_code, type_letter, rng)
        if not await session.scalar(select(exists().where(Prescription.code == code))):
            return code
    # 36^7 codes per facility and type: reaching this means the random source is broken.
    raise RuntimeError("could not draw an unused prescription code")  # pragma: no cover


def _diagnosis_text(diagnoses: Sequence[Diagnosis]) -> str:
    return "; ".join(f"{d.icd10_code} - {d.text}" for d in diagnoses)


async def issue_prescription(
    session: AsyncSession,
    clock: Clock,
    actor: AuditActor,
    doctor: Doctor,
    checks: PrescriptionChecks,
    hospital: HospitalDefaults,
    visit_id: int,
    data: PrescriptionIn,
    *,
    rng: Any = None,
) -> tuple[Prescription, list[CheckAlert]]:
    """Checks and signs a prescription; answers it with every decision-support alert seen.

    Refused (InvalidInput naming the field) when a rule of the circular is not met; PrescriptionBlocked when a
    decision-support hard stop has no override reason in `data.overrides`.
    """
    encounter = await get_encounter_row(session, visit_id)
    _require_open(encounter)
    day = local_date(clock.now())
    diagnoses = await diagnoses_of(session, encounter.id)
    if not any(d.is_main for d in diagnoses):
        raise InvalidInput(_("Record the main diagnosis before prescribing"), field="diagnoses")
    lines = await _lines(session, data, day)
    patient = await patients.get_patient(session, patient_id=encounter.patient_id, on=day)
    weight = data.weight_kg if data.weight_kg is not None else encounter.weight_kg
    facts = rules.PrescriptionPatient(
        birth_date=patient.birth_date,
        birth_year=patient.birth_year,
        weight_kg=weight,
        personal_id=(data.personal_id or patient.cccd or patient.passport or "").strip() or None,
        adult_name=(data.adult_name or patient.guardian_name or "").strip() or None,
        adult_id=(data.adult_id or patient.guardian_cccd or "").strip() or None,
    )
    _refuse(rules.prescription_patient_problems(facts, on=day))
    child = rules.is_young_child(birth_date=patient.birth_date, birth_year=patient.birth_year, on=day)

    alerts = await checks.run(await _draft(session, encounter, patient, lines, weight))
    reasons = {item.key: item.reason.strip()[:500] for item in data.overrides}
    blocking = unresolved_hard_stops(alerts, reasons)
    if blocking:
        raise PrescriptionBlocked(alerts, blocking)

    type_letter = rules.prescription_type([line.klass for line in lines])
    facility = (await get_hospital(session, hospital)).facility_code
    now = clock.now()
    visit = await reception.get_visit(session, visit_id=visit_id)
    prescription = Prescription(
        encounter_id=encounter.id,
        code=await _new_code(session, facility, type_letter, rng),
        type_letter=type_letter,
        status="issued",
        issued_at=now,
        doctor=doctor.username,
        doctor_name=doctor.full_name,
        patient_id=patient.id,
        patient_code=patient.code,
        patient_name=patient.full_name,
        patient_sex=patient.sex,
        birth_date=patient.birth_date,
        birth_year=patient.birth_year,
        age_months=rules.months_between(patient.birth_date, day) if child and patient.birth_date else None,
        weight_kg=weight,
        personal_id=facts.personal_id[:20] if facts.personal_id else None,
        adult_name=facts.adult_name[:200] if child and facts.adult_name else None,
        adult_id=facts.adult_id[:20] if child and facts.adult_id else None,
        address=(patient.address_line or "")[:300],
        card_number=visit.card_number,
        diagnosis_text=_diagnosis_text(diagnoses)[:2000],
        advice=data.advice.strip()[:1000],
        follow_up_date=data.follow_up_date or encounter.follow_up_date,
    )
    session.add(prescription)
    await session.flush()
    for position, line in enumerate(lines):
        session.add(
            PrescriptionLine(
                prescription_id=prescription.id,
                position=position,
                drug_code=line.drug.code,
                drug_name=line.drug.name,
                substances=substances_text(line.drug)[:500],
                drug_class=line.klass,
                form=line.drug.form,
                route=line.drug.route,
                unit=line.drug.unit,
                dose_per_time=line.dose.dose_per_time,
                times_per_day=line.dose.times_per_day,
                days=line.dose.days,
                quantity=line.quantity,
                instructions=line.instructions,
            )
        )
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="prescription.issue",
            object_type="prescription",
            object_id=prescription.code,
            patient_id=str(patient.id),
            detail=(
                f"visit {encounter.visit_code}; {len(lines)} lines; alerts "
                + (", ".join(f"{a.severity}:{a.ref}" for a in alerts) or "none")
            )[:500],
        ),
    )
    for alert in alerts:
        if alert.severity != "hard_stop":
            continue
        session.add(
            PrescriptionOverride(
                prescription_id=prescription.id,
                alert_key=alert.ref[:200],
                kind=alert.kind[:64],
                message=alert.message[:1000],
                source=alert.source[:200],
                reason=reasons[alert.ref],
                overridden_by=actor.username or doctor.username,
                overridden_at=now,
            )
        )
        await _audit(
            session,
            clock,
            actor,
            AuditEntry(
                action="prescription.override",
                outcome="overridden",
                object_type="prescription",
                object_id=prescription.code,
                patient_id=str(patient.id),
                detail=f"{alert.source}: {alert.ref}; reason: {reasons[alert.ref]}"[:500],
            ),
        )
    await session.flush()
    return prescription, alerts


async def cancel_prescription(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, code: str, reason: str
) -> Prescription:
    prescription = await get_prescription_row(session, code=code)
    if prescription.status != "issued":
        raise Conflict(_("Prescription {code} is already cancelled"), code=code)
    if not reason.strip():
        raise InvalidInput(_("Give the reason for cancelling"), field="reason")
    prescription.status = "cancelled"
    prescription.cancelled_at = clock.now()
    prescription.cancelled_reason = reason.strip()[:300]
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="prescription.cancel",
            object_type="prescription",
            object_id=prescription.code,
            patient_id=str(prescription.patient_id),
            detail=prescription.cancelled_reason,
        ),
    )
    return prescription


# ---------------------------------------------------------------- for decision support (issue 5)


async def draft_for(
    session: AsyncSession, clock: Clock, visit_id: int, lines: Sequence[tuple[str, Decimal, int, int]]
) -> PrescriptionDraft:
    """The draft a check sees while the doctor is still writing: (drug code, dose per time, times per day, days)
    per line, unknown drug codes skipped and unreadable numbers taken as 0. Nothing is validated or written."""
    encounter = await get_encounter_row(session, visit_id)
    day = local_date(clock.now())
    patient = await patients.get_patient(session, patient_id=encounter.patient_id, on=day)
    draft_lines: list[_Line] = []
    seen: set[str] = set()
    for code, dose_per_time, times_per_day, days in lines:
        drug = await catalogs.get_drug(session, code=code.strip(), as_of=day)
        if drug is None or drug.code in seen:
            continue
        seen.add(drug.code)
        dose = rules.LineDose(dose_per_time, times_per_day, days, None)
        klass = rules.drug_class(s.substance for s in drug.substances)
        quantity = rules.line_quantity(dose) if dose_per_time > 0 and times_per_day > 0 and days > 0 else 0
        draft_lines.append(_Line(drug, klass, dose, quantity, ""))
    return await _draft(session, encounter, patient, draft_lines, encounter.weight_kg)


async def active_drugs_of_everyone(session: AsyncSession, on: date) -> dict[int, list[ActiveDrug]]:
    """Every patient's drugs of issued prescriptions whose days have not run out on `on` (whole-hospital
    screening), by patient id."""
    since = datetime.combine(on - timedelta(days=rules.MAX_DAYS + 1), time(), tzinfo=UTC)
    rows = await session.execute(
        select(Prescription, PrescriptionLine)
        .join(PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id)
        .where(Prescription.status == "issued", Prescription.issued_at >= since)
        .order_by(Prescription.patient_id, Prescription.id, PrescriptionLine.position)
    )
    by_patient: dict[int, list[ActiveDrug]] = {}
    for prescription, line in rows.all():
        until = local_date(prescription.issued_at) + timedelta(days=line.days)
        if until > on:
            substances = [part.strip() for part in line.substances.split(" + ") if part.strip()]
            by_patient.setdefault(prescription.patient_id, []).append(
                ActiveDrug(line.drug_code, line.drug_name, substances, prescription.code, until)
            )
    return by_patient


async def prescriptions_after(session: AsyncSession, after_id: int, limit: int) -> list[Prescription]:
    """Prescriptions with an id above `after_id`, oldest first (a reader that keeps its own cursor)."""
    rows = await session.scalars(
        select(Prescription).where(Prescription.id > after_id).order_by(Prescription.id).limit(limit)
    )
    return list(rows)


async def prescriptions_of_patient(session: AsyncSession, patient_id: int, limit: int) -> list[Prescription]:
    rows = await session.scalars(
        select(Prescription)
        .where(Prescription.patient_id == patient_id)
        .order_by(Prescription.issued_at.desc(), Prescription.id.desc())
        .limit(limit)
    )
    return list(rows)
