"""The public face of the patient registry for other modules: keyword-only functions returning msgspec
Structs, never ORM rows. The one place where patient rows become transfer objects.

A record merged into another keeps answering `get_patient` (with `merged_into_id` set), so that ids kept by
other modules still resolve; follow `merged_into_id` to the living record. Searches never return merged
records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from his.patients import rules, service
from his.patients.models import InsuranceCard, Patient
from his.patients.rules import DuplicateMatch
from his.patients.schemas import (
    AgeOut,
    DuplicateCandidate,
    InsuranceCardOut,
    PatientDetail,
    PatientOut,
    PatientPage,
    PatientSummary,
    TemporaryReason,
)

__all__ = [
    "active_card",
    "find_duplicates",
    "get_patient",
    "get_patient_by_code",
    "get_patient_detail",
    "search_patients",
]


def card_out(row: InsuranceCard) -> InsuranceCardOut:
    return InsuranceCardOut(
        id=row.id,
        card_number=row.card_number,
        object_code=row.object_code,
        benefit_level=row.benefit_level,
        province_code=row.province_code,
        social_insurance_number=row.social_insurance_number,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        initial_facility_code=row.initial_facility_code,
        five_years_since=row.five_years_since,
        recorded_at=row.recorded_at,
        superseded_at=row.superseded_at,
    )


def patient_out(row: Patient, on: date | None = None) -> PatientOut:
    age = rules.age_of(birth_date=row.birth_date, birth_year=row.birth_year, on=on or service.today())
    return PatientOut(
        id=row.id,
        code=row.code,
        full_name=row.full_name,
        birth_date=row.birth_date,
        birth_year=row.birth_year,
        birth_year_estimated=row.birth_year_estimated,
        sex="F" if row.sex == "F" else "M",
        age=AgeOut(age.value, age.unit) if age else None,
        ethnicity_code=row.ethnicity_code,
        nationality_code=row.nationality_code,
        occupation_code=row.occupation_code,
        cccd=row.cccd,
        passport=row.passport,
        phone=row.phone,
        address_line=row.address_line,
        province_code=row.province_code,
        district_code=row.district_code,
        ward_code=row.ward_code,
        guardian_name=row.guardian_name,
        guardian_relation=row.guardian_relation,
        guardian_phone=row.guardian_phone,
        guardian_cccd=row.guardian_cccd,
        identity_status="temporary" if row.identity_status == "temporary" else "confirmed",
        temporary_reason=_reason(row.temporary_reason),
        mother_id=row.mother_id,
        note=row.note,
        merged_into_id=row.merged_into_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _reason(value: str | None) -> TemporaryReason | None:
    if value == "newborn":
        return "newborn"
    if value == "foreigner":
        return "foreigner"
    if value == "unidentified_emergency":
        return "unidentified_emergency"
    return None


def summary_out(row: Patient, open_card: InsuranceCard | None) -> PatientSummary:
    return PatientSummary(
        id=row.id,
        code=row.code,
        full_name=row.full_name,
        birth_date=row.birth_date,
        birth_year=row.birth_year,
        sex="F" if row.sex == "F" else "M",
        phone=row.phone,
        cccd=row.cccd,
        identity_status="temporary" if row.identity_status == "temporary" else "confirmed",
        temporary_reason=_reason(row.temporary_reason),
        card_number=open_card.card_number if open_card is not None and open_card.superseded_at is None else None,
    )


async def summaries_of(session: AsyncSession, rows: Sequence[Patient]) -> list[PatientSummary]:
    cards = await service.cards_of(session, [row.id for row in rows])
    return [summary_out(row, next(iter(cards[row.id]), None)) for row in rows]


async def candidates_out(
    session: AsyncSession, candidates: Sequence[tuple[Patient, DuplicateMatch]]
) -> list[DuplicateCandidate]:
    summaries = await summaries_of(session, [row for row, _match in candidates])
    return [
        DuplicateCandidate(summary, match.certainty, list(match.reasons))
        for summary, (_row, match) in zip(summaries, candidates, strict=True)
    ]


async def suspected_out(session: AsyncSession, candidates: Sequence[service.Candidate]) -> list[DuplicateCandidate]:
    """The candidates of a refused registration, read again in `session`."""
    rows = [await service.get_patient_row(session, c.patient_id) for c in candidates]
    return await candidates_out(session, [(row, c.match) for row, c in zip(rows, candidates, strict=True)])


async def get_patient(session: AsyncSession, *, patient_id: int, on: date | None = None) -> PatientOut:
    """The record by id (merged records too, see the module note); NotFound if there is none.
    `age` is reckoned on `on` (default: today in Viet Nam)."""
    return patient_out(await service.get_patient_row(session, patient_id), on)


async def get_patient_by_code(session: AsyncSession, *, code: str, on: date | None = None) -> PatientOut:
    """The record by patient code ("BN00000042", any case); NotFound if there is none."""
    return patient_out(await service.get_patient_by_code_row(session, code), on)


async def get_patient_detail(session: AsyncSession, *, patient_id: int, on: date | None = None) -> PatientDetail:
    """The record with its card history (the open card first)."""
    row = await service.get_patient_row(session, patient_id)
    cards = await service.cards_of(session, [row.id])
    return PatientDetail(patient_out(row, on), [card_out(card) for card in cards[row.id]])


async def active_card(session: AsyncSession, *, patient_id: int, on: date) -> InsuranceCardOut | None:
    """The BHYT card valid on `on` (the open card if it covers that day, else the newest superseded card that
    did), or None. Whether the visit is covered (registered facility, referral) is for the BHYT module."""
    row = await service.active_card_row(session, patient_id, on)
    return card_out(row) if row is not None else None


async def search_patients(
    session: AsyncSession, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> PatientPage:
    """Accent-insensitive name words ("nguyen van an" finds "Nguyễn Văn An"), patient code, phone, CCCD,
    card number or social-insurance number (a scanner's "a|b|c" payload is searched by its first field).
    Merged records are left out. InvalidInput for a limit outside 1..200 or a negative offset."""
    rows, total, _identifier = await service.search_rows(session, q=q, limit=limit, offset=offset)
    return PatientPage(await summaries_of(session, rows), total, limit, offset)


async def find_duplicates(session: AsyncSession, *, patient_id: int) -> list[DuplicateCandidate]:
    """Other living records that may be the same person, certain matches first."""
    return await candidates_out(session, await service.find_duplicates(session, patient_id))
