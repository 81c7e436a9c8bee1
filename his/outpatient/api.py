"""The outpatient module's public face for later modules (pharmacy dispensing, billing, claims):
keyword-only functions returning msgspec Structs, never ORM rows. The one place where rows become Structs.

Reads here are not audited: the caller audits the read of patient data it shows (as the HTTP handlers do).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.clock import Clock
from his.outpatient import rules, service
from his.outpatient.checks import ActiveDrug, PrescriptionDraft
from his.outpatient.models import Diagnosis, Encounter, Prescription, PrescriptionLine, PrescriptionOverride
from his.outpatient.schemas import (
    DiagnosisOut,
    EncounterOut,
    LineOut,
    OverrideOut,
    PrescriptionOut,
    VitalsOut,
)

__all__ = [
    "active_drugs_of_everyone",
    "active_drugs_of_patient",
    "draft_for",
    "find_encounter",
    "get_encounter",
    "get_prescription",
    "get_prescription_by_id",
    "prescriptions_after",
    "prescriptions_of_patient",
]


def line_out(row: PrescriptionLine) -> LineOut:
    return LineOut(
        position=row.position,
        drug_code=row.drug_code,
        drug_name=row.drug_name,
        substances=row.substances,
        drug_class=row.drug_class,
        form=row.form,
        route=row.route,
        unit=row.unit,
        dose_per_time=row.dose_per_time.normalize(),
        times_per_day=row.times_per_day,
        days=row.days,
        quantity=row.quantity,
        instructions=row.instructions,
        usage=rules.usage_text(
            route=row.route,
            times_per_day=row.times_per_day,
            dose_per_time=row.dose_per_time,
            unit=row.unit,
            instructions=row.instructions,
        ),
    )


def override_out(row: PrescriptionOverride) -> OverrideOut:
    return OverrideOut(
        key=row.alert_key,
        kind=row.kind,
        message=row.message,
        source=row.source,
        reason=row.reason,
        overridden_by=row.overridden_by,
        overridden_at=row.overridden_at,
    )


async def prescription_out(
    session: AsyncSession, row: Prescription, encounter: Encounter | None = None
) -> PrescriptionOut:
    encounter = encounter or await service.encounter_of(session, row.encounter_id)
    return PrescriptionOut(
        id=row.id,
        code=row.code,
        type_letter=row.type_letter,
        status=row.status,
        issued_at=row.issued_at,
        visit_id=encounter.visit_id,
        visit_code=encounter.visit_code,
        doctor=row.doctor,
        doctor_name=row.doctor_name,
        patient_id=row.patient_id,
        patient_code=row.patient_code,
        patient_name=row.patient_name,
        patient_sex=row.patient_sex,
        birth_date=row.birth_date,
        birth_year=row.birth_year,
        age_months=row.age_months,
        weight_kg=row.weight_kg,
        personal_id=row.personal_id,
        adult_name=row.adult_name,
        adult_id=row.adult_id,
        address=row.address,
        card_number=row.card_number,
        diagnosis_text=row.diagnosis_text,
        advice=row.advice,
        follow_up_date=row.follow_up_date,
        cancelled_at=row.cancelled_at,
        cancelled_reason=row.cancelled_reason,
        sent_at=row.sent_at,
        lines=[line_out(line) for line in await service.lines_of(session, row.id)],
        overrides=[override_out(o) for o in await service.overrides_of(session, row.id)],
    )


def diagnosis_out(row: Diagnosis) -> DiagnosisOut:
    return DiagnosisOut(position=row.position, code=row.icd10_code, is_main=row.is_main, text=row.text)


async def encounter_out(session: AsyncSession, row: Encounter) -> EncounterOut:
    return EncounterOut(
        id=row.id,
        visit_id=row.visit_id,
        visit_code=row.visit_code,
        patient_id=row.patient_id,
        room_code=row.room_code,
        doctor=row.doctor,
        doctor_name=row.doctor_name,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        reason=row.reason,
        history=row.history,
        exam_notes=row.exam_notes,
        vitals=VitalsOut(
            pulse=row.pulse,
            temperature=row.temperature,
            systolic=row.systolic,
            diastolic=row.diastolic,
            respiratory_rate=row.respiratory_rate,
            spo2=row.spo2,
            height_cm=row.height_cm,
            weight_kg=row.weight_kg,
            bmi=row.bmi,
        ),
        pregnant=row.pregnant,
        disposition=row.disposition,
        follow_up_date=row.follow_up_date,
        disposition_note=row.disposition_note,
        diagnoses=[diagnosis_out(d) for d in await service.diagnoses_of(session, row.id)],
        prescriptions=[
            await prescription_out(session, p, row) for p in await service.prescriptions_of(session, row.id)
        ],
    )


async def find_encounter(session: AsyncSession, *, visit_id: int) -> EncounterOut | None:
    """The examination of a reception visit, or None before the doctor opened it."""
    row = await service.find_encounter_row(session, visit_id)
    return None if row is None else await encounter_out(session, row)


async def encounters_of_patient(session: AsyncSession, *, patient_id: int, limit: int = 50) -> list[EncounterOut]:
    """The patient's examinations, newest first, with diagnoses and prescriptions (the clinical record)."""
    return [
        await encounter_out(session, row) for row in await service.encounters_of_patient(session, patient_id, limit)
    ]


async def get_encounter(session: AsyncSession, *, visit_id: int) -> EncounterOut:
    """The examination of a reception visit with its diagnoses and prescriptions (and their lines); NotFound
    before the doctor opened it."""
    return await encounter_out(session, await service.get_encounter_row(session, visit_id))


async def get_prescription(session: AsyncSession, *, code: str) -> PrescriptionOut:
    """A prescription by its national code (what the pharmacy scans from the QR code), cancelled ones too
    (check `status`); NotFound if there is none."""
    return await prescription_out(session, await service.get_prescription_row(session, code=code.strip()))


async def get_prescription_by_id(session: AsyncSession, *, prescription_id: int) -> PrescriptionOut:
    return await prescription_out(session, await service.get_prescription_row(session, prescription_id=prescription_id))


# ---------------------------------------------------------------- for decision support (issue 5)


async def draft_for(
    session: AsyncSession, clock: Clock, *, visit_id: int, lines: Sequence[tuple[str, Decimal, int, int]]
) -> PrescriptionDraft:
    """The facts a decision-support check would see if these lines (drug code, dose per time, times per day,
    days) were signed now for this visit's patient; nothing is validated or written."""
    return await service.draft_for(session, clock, visit_id, lines)


async def active_drugs_of_patient(session: AsyncSession, *, patient_id: int, on: date) -> list[ActiveDrug]:
    """The patient's drugs of issued prescriptions whose days have not run out on `on`."""
    return await service.active_drugs(session, patient_id, on)


async def active_drugs_of_everyone(session: AsyncSession, *, on: date) -> dict[int, list[ActiveDrug]]:
    """Every patient's active outpatient drugs on `on`, by patient id."""
    return await service.active_drugs_of_everyone(session, on)


async def prescriptions_after(session: AsyncSession, *, after_id: int, limit: int = 200) -> list[PrescriptionOut]:
    """Prescriptions (issued or cancelled) with an id above `after_id`, oldest first, with lines and overrides."""
    return [await prescription_out(session, row) for row in await service.prescriptions_after(session, after_id, limit)]


async def prescriptions_of_patient(session: AsyncSession, *, patient_id: int, limit: int = 20) -> list[PrescriptionOut]:
    """The patient's prescriptions, newest first (renewal of an earlier one)."""
    rows = await service.prescriptions_of_patient(session, patient_id, limit)
    return [await prescription_out(session, row) for row in rows]
