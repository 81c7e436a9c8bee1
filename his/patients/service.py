"""Use cases of the patient registry; the only code that writes the patients_* tables.

Every function works in the caller's transaction and audits there, so a change and its audit record commit
or roll back together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.clock import Clock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.events.outbox import publish
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.patients import rules
from his.patients.events import PatientMerged
from his.patients.models import InsuranceCard, Patient, PatientCounter, PatientMerge
from his.patients.rules import DuplicateMatch, PatientFacts, Problem
from his.patients.schemas import InsuranceCardIn, PatientIn, PatientPatch

__all__ = [
    "CODE_PREFIX",
    "MAX_LIMIT",
    "Candidate",
    "DuplicateSuspected",
    "PatientRejected",
    "active_card_row",
    "add_card",
    "cards_of",
    "find_duplicates",
    "get_patient_by_code_row",
    "get_patient_row",
    "merge",
    "register",
    "search_rows",
    "today",
    "update_patient",
]

CODE_PREFIX = "BN"
CODE_DIGITS = 8
CODE_COUNTER = "patient_code"
MAX_LIMIT = 200
MAX_CANDIDATES = 20
VIETNAM = timezone(timedelta(hours=7), "ICT")
UNKNOWN_NAME = "Không rõ tên"  # the stand-in name of an unidentified emergency patient
EARLIEST_BIRTH_YEAR = 1900


def today(clock: Clock | None = None) -> date:
    now = clock.now() if clock is not None else datetime.now(UTC)
    return now.astimezone(VIETNAM).date()


# ---------------------------------------------------------------- errors


class PatientRejected(InvalidInput):
    """The data cannot be saved; `problems` lists every reason (field, msgid, params). The exception itself
    carries the first one, so the generic error handler names its field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.problems = list(problems)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record that may be the same person (plain values: they outlive the rolled-back transaction)."""

    patient_id: int
    code: str
    match: DuplicateMatch


class DuplicateSuspected(Conflict):
    """The person looks registered already. `overridable` is False when a match is certain (same CCCD or
    social-insurance number), which no confirmation can override."""

    def __init__(self, candidates: Sequence[Candidate], *, overridable: bool) -> None:
        if overridable:
            super().__init__(
                _(
                    "This person may already be registered ({count} similar record(s)). Open the record, "
                    "or confirm that this is a new person and say why."
                ),
                count=len(candidates),
            )
        else:
            super().__init__(
                _("This CCCD or health-insurance number belongs to a registered patient: {codes}"),
                codes=", ".join(c.code for c in candidates if c.match.certainty == "certain"),
            )
        self.candidates = list(candidates)
        self.overridable = overridable


# ---------------------------------------------------------------- validation


@dataclass(slots=True)
class _Draft:
    """A patient record as typed, before checks; both registration and change go through it."""

    sex: str
    full_name: str | None = None
    birth_date: date | None = None
    birth_year: int | None = None
    birth_year_estimated: bool = False
    ethnicity_code: str | None = None
    nationality_code: str | None = None
    occupation_code: str | None = None
    cccd: str | None = None
    passport: str | None = None
    phone: str | None = None
    address_line: str | None = None
    province_code: str | None = None
    district_code: str | None = None
    ward_code: str | None = None
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_phone: str | None = None
    guardian_cccd: str | None = None
    temporary_reason: str | None = None
    mother_id: int | None = None
    note: str | None = None


_DRAFT_FIELDS = tuple(f.name for f in fields(_Draft))
_CODE_FIELDS = {
    "province_code": (2, _("The province code has 2 digits")),
    "district_code": (3, _("The district code has 3 digits")),
    "ward_code": (5, _("The ward code has 5 digits")),
}
_FREE_CODES = ("ethnicity_code", "nationality_code", "occupation_code")
_LIMITS = {"full_name": 200, "address_line": 300, "guardian_name": 200, "guardian_relation": 50, "note": 2000}


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _clean_draft(draft: _Draft, on: date) -> tuple[dict[str, Any], list[Problem]]:
    """The column values of the record, and every problem found."""
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    for name in _DRAFT_FIELDS:
        value = getattr(draft, name)
        values[name] = _blank_to_none(value) if isinstance(value, str) else value
    for name, limit in _LIMITS.items():
        if values[name] is not None and len(values[name]) > limit:
            problems.append(Problem(name, _("At most {limit} characters"), {"limit": limit}))

    reason = values["temporary_reason"]
    name = values["full_name"]
    if name is not None:
        name = rules.normalize_name(name)
        if any(char.isdigit() for char in name):
            problems.append(Problem("full_name", _("A name has no digits")))
    elif reason is None or reason == "foreigner":
        problems.append(Problem("full_name", _("Write the patient's full name")))
    values["full_name"] = name
    values["guardian_name"] = rules.normalize_name(values["guardian_name"]) if values["guardian_name"] else None

    _check_birth(values, on, problems)

    if values["cccd"] is not None:
        values["cccd"] = values["cccd"].replace(" ", "")
        year = None if values["birth_year_estimated"] else values["birth_year"]
        problems.extend(rules.check_cccd(values["cccd"], sex=values["sex"], birth_year=year))
    if values["guardian_cccd"] is not None:
        values["guardian_cccd"] = values["guardian_cccd"].replace(" ", "")
        problems.extend(rules.check_cccd(values["guardian_cccd"], field_name="guardian_cccd"))
    if values["passport"] is not None:
        values["passport"] = values["passport"].replace(" ", "").upper()
        problems.extend(rules.check_passport(values["passport"]))
    for phone_field in ("phone", "guardian_phone"):
        if values[phone_field] is not None:
            phone = rules.normalize_phone(values[phone_field], field_name=phone_field)
            if isinstance(phone, Problem):
                problems.append(phone)
            else:
                values[phone_field] = phone
    for code_field, (length, message) in _CODE_FIELDS.items():
        code = values[code_field]
        if code is not None and not (len(code) == length and code.isascii() and code.isdigit()):
            problems.append(Problem(code_field, message))
    for code_field in _FREE_CODES:
        code = values[code_field]
        if code is not None:
            values[code_field] = code = code.upper()
            if len(code) > 10 or not (code.isascii() and code.isalnum()):
                problems.append(Problem(code_field, _("A code has at most 10 letters or digits")))
    if (
        values["birth_year"] is not None
        and values["guardian_name"] is None
        and values["mother_id"] is None
        and rules.is_under_six(birth_date=values["birth_date"], birth_year=values["birth_year"], on=on)
    ):
        problems.append(Problem("guardian_name", _("A child under 6 needs a parent or guardian")))
    values["identity_status"] = "temporary" if reason else "confirmed"
    return values, problems


def _check_birth(values: dict[str, Any], on: date, problems: list[Problem]) -> None:
    born: date | None = values["birth_date"]
    year: int | None = values["birth_year"]
    if born is not None:
        if born > on:
            problems.append(Problem("birth_date", _("The date of birth is in the future")))
        elif born.year < EARLIEST_BIRTH_YEAR:
            problems.append(
                Problem("birth_date", _("The date of birth is before {year}"), {"year": EARLIEST_BIRTH_YEAR})
            )
        if year is not None and year != born.year:
            problems.append(Problem("birth_year", _("The year of birth does not match the date of birth")))
        values["birth_year"] = born.year
        values["birth_year_estimated"] = False
    elif year is None:
        problems.append(Problem("birth_date", _("Write the date of birth, or at least the year")))
    elif not EARLIEST_BIRTH_YEAR <= year <= on.year:
        problems.append(
            Problem(
                "birth_year",
                _("The year of birth must be from {first} to {last}"),
                {"first": EARLIEST_BIRTH_YEAR, "last": on.year},
            )
        )


def _clean_card(card: InsuranceCardIn, prefix: str = "card.") -> tuple[rules.CardParts | None, list[Problem]]:
    parsed = rules.parse_card_number(card.card_number, field_name=f"{prefix}card_number")
    problems = parsed if isinstance(parsed, list) else []
    problems.extend(
        rules.check_facility_code(card.initial_facility_code.strip(), field_name=f"{prefix}initial_facility_code")
    )
    if card.valid_to < card.valid_from:
        problems.append(Problem(f"{prefix}valid_to", _("The card ends before it starts")))
    if card.five_years_since is not None and card.five_years_since > card.valid_to:
        problems.append(Problem(f"{prefix}five_years_since", _("The 5-consecutive-years date is after the card ends")))
    return (None if isinstance(parsed, list) else parsed), problems


# ---------------------------------------------------------------- reading


def _active() -> ColumnElement[bool]:
    return Patient.merged_into_id.is_(None)


async def get_patient_row(session: AsyncSession, patient_id: int) -> Patient:
    row = await session.get(Patient, patient_id)
    if row is None:
        raise NotFound(_("There is no patient {patient_id}"), patient_id=patient_id)
    return row


async def get_patient_by_code_row(session: AsyncSession, code: str) -> Patient:
    row = await session.scalar(select(Patient).where(Patient.code == code.strip().upper()))
    if row is None:
        raise NotFound(_("There is no patient with code {code}"), code=code[:20])
    return row


async def _active_row(session: AsyncSession, patient_id: int, *, for_update: bool = False) -> Patient:
    query = select(Patient).where(Patient.id == patient_id)
    if for_update:
        query = query.with_for_update()
    row = await session.scalar(query)
    if row is None:
        raise NotFound(_("There is no patient {patient_id}"), patient_id=patient_id)
    if row.merged_into_id is not None:
        target = await session.get(Patient, row.merged_into_id)
        raise Conflict(
            _("Patient {code} was merged into {target}; use that record"),
            code=row.code,
            target=target.code if target else str(row.merged_into_id),
        )
    return row


async def cards_of(session: AsyncSession, patient_ids: Sequence[int]) -> dict[int, list[InsuranceCard]]:
    """Each patient's cards, the open one first, then the superseded ones newest first."""
    found: dict[int, list[InsuranceCard]] = {patient_id: [] for patient_id in patient_ids}
    if not patient_ids:
        return found
    rows = await session.scalars(
        select(InsuranceCard)
        .where(InsuranceCard.patient_id.in_(patient_ids))
        .order_by(
            case((InsuranceCard.superseded_at.is_(None), 0), else_=1),
            InsuranceCard.recorded_at.desc(),
            InsuranceCard.id.desc(),
        )
    )
    for row in rows:
        found[row.patient_id].append(row)
    return found


async def active_card_row(session: AsyncSession, patient_id: int, on: date) -> InsuranceCard | None:
    """The card valid on `on`: the open one if it covers that day, else the newest superseded one that did."""
    return await session.scalar(
        select(InsuranceCard)
        .where(
            InsuranceCard.patient_id == patient_id,
            InsuranceCard.valid_from <= on,
            InsuranceCard.valid_to >= on,
        )
        .order_by(
            case((InsuranceCard.superseded_at.is_(None), 0), else_=1),
            InsuranceCard.recorded_at.desc(),
            InsuranceCard.id.desc(),
        )
        .limit(1)
    )


# ---------------------------------------------------------------- search

_CARD_PATTERN_LENGTH = rules.CARD_LENGTH


def _identifier_filters(q: str) -> list[ColumnElement[bool]] | None:
    """What an identifier-looking query means (code, card, CCCD, phone, social-insurance number);
    None when it looks like a name. A scanner's "|"-separated payload (CCCD chip QR, BHYT card QR)
    is searched by its first field."""
    text = q.split("|", 1)[0].strip() if "|" in q else q.strip()
    compact = rules.normalize_card_number(text)
    if not compact:
        return None
    card_ids = select(InsuranceCard.patient_id)
    if compact.startswith(CODE_PREFIX) and compact[len(CODE_PREFIX) :].isdigit():
        return [Patient.code.startswith(compact)]
    if len(compact) == _CARD_PATTERN_LENGTH and compact[:2].isalpha() and compact[2:].isdigit():
        return [Patient.id.in_(card_ids.where(InsuranceCard.card_number == compact))]
    phone = rules.normalize_phone(text)
    digits = compact.lstrip("+")
    if not digits.isdigit():
        return None
    if len(digits) < 4:
        return [Patient.code.endswith(digits)]
    filters: list[ColumnElement[bool]] = [
        Patient.cccd.startswith(digits),
        Patient.phone.startswith(phone if isinstance(phone, str) else digits),
        Patient.id.in_(card_ids.where(InsuranceCard.social_insurance_number.startswith(digits))),
        Patient.code.endswith(digits),
    ]
    return filters


async def search_rows(
    session: AsyncSession, *, q: str | None, limit: int, offset: int
) -> tuple[list[Patient], int, bool]:
    """(rows, total, the query was an identifier). Merged records are never found: their target is."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(_("The limit must be from 1 to {max}"), field="limit", max=MAX_LIMIT)
    if offset < 0:
        raise InvalidInput(_("The offset cannot be negative"), field="offset")
    query = select(Patient).where(_active())
    identifier = False
    folded = ""
    if q and q.strip():
        filters = _identifier_filters(q)
        if filters is not None:
            identifier = True
            query = query.where(or_(*filters))
        else:
            terms = rules.query_terms(q)
            folded = " ".join(terms)
            # Each word must start a word of the name: "an" finds "Ân" and "Anh", not "Mạnh".
            query = query.where(
                and_(
                    *(
                        or_(
                            Patient.search_name.startswith(term, autoescape=True),
                            Patient.search_name.contains(" " + term, autoescape=True),
                        )
                        for term in terms
                    )
                )
            )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order: list[Any] = [Patient.search_name, Patient.birth_year, Patient.code]
    if folded:
        order.insert(0, case((Patient.search_name == folded, 0), else_=1))
    elif not q:
        order = [Patient.id.desc()]
    rows = (await session.scalars(query.order_by(*order).limit(limit).offset(offset))).all()
    return list(rows), total, identifier


# ---------------------------------------------------------------- duplicates


def _facts(values: dict[str, Any], social_insurance_numbers: frozenset[str]) -> PatientFacts:
    return PatientFacts(
        search_name=rules.fold(values["full_name"]),
        birth_date=values["birth_date"],
        birth_year=values["birth_year"],
        cccd=values["cccd"],
        phone=values["phone"],
        social_insurance_numbers=social_insurance_numbers,
        temporary_reason=values["temporary_reason"],
    )


def _facts_of_row(row: Patient, cards: Sequence[InsuranceCard]) -> PatientFacts:
    return PatientFacts(
        search_name=row.search_name,
        birth_date=row.birth_date,
        birth_year=row.birth_year,
        cccd=row.cccd,
        phone=row.phone,
        social_insurance_numbers=frozenset(card.social_insurance_number for card in cards),
        temporary_reason=row.temporary_reason,
    )


async def _candidates(
    session: AsyncSession, facts: PatientFacts, *, exclude_id: int | None = None
) -> list[tuple[Patient, DuplicateMatch]]:
    """Active records that may be the same person, certain ones first."""
    conditions: list[ColumnElement[bool]] = []
    if facts.cccd:
        conditions.append(Patient.cccd == facts.cccd)
    if facts.social_insurance_numbers:
        conditions.append(
            Patient.id.in_(
                select(InsuranceCard.patient_id).where(
                    InsuranceCard.social_insurance_number.in_(sorted(facts.social_insurance_numbers))
                )
            )
        )
    if facts.search_name and not rules.is_placeholder_identity(facts.temporary_reason):
        conditions.append(and_(Patient.search_name == facts.search_name, Patient.birth_year == facts.birth_year))
    if not conditions:
        return []
    query = select(Patient).where(_active(), or_(*conditions)).order_by(Patient.id).limit(MAX_CANDIDATES * 5)
    if exclude_id is not None:
        query = query.where(Patient.id != exclude_id)
    rows = list((await session.scalars(query)).all())
    cards = await cards_of(session, [row.id for row in rows])
    found: list[tuple[Patient, DuplicateMatch]] = []
    for row in rows:
        match = rules.duplicate_match(facts, _facts_of_row(row, cards[row.id]))
        if match is not None:
            found.append((row, match))
    found.sort(key=lambda pair: (pair[1].certainty != "certain", pair[0].id))
    return found[:MAX_CANDIDATES]


async def find_duplicates(session: AsyncSession, patient_id: int) -> list[tuple[Patient, DuplicateMatch]]:
    """Other active records that may be the same person as this one."""
    row = await _active_row(session, patient_id)
    cards = await cards_of(session, [row.id])
    return await _candidates(session, _facts_of_row(row, cards[row.id]), exclude_id=row.id)


# ---------------------------------------------------------------- registration


async def _next_code(session: AsyncSession) -> str:
    """BN + 8 digits from the counter row. The UPDATE holds the row until commit, so concurrent registrations
    queue here and take consecutive numbers; a rolled-back registration gives its number back."""
    bump = (
        update(PatientCounter)
        .where(PatientCounter.name == CODE_COUNTER)
        .values(value=PatientCounter.value + 1)
        .returning(PatientCounter.value)
        .execution_options(synchronize_session=False)
    )
    value = (await session.execute(bump)).scalar_one_or_none()
    if value is None:
        await _create_counter(session)
        value = (await session.execute(bump)).scalar_one()
    return f"{CODE_PREFIX}{value:0{CODE_DIGITS}d}"


async def _create_counter(session: AsyncSession) -> None:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        await session.execute(pg_insert(PatientCounter).values(name=CODE_COUNTER, value=0).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        await session.execute(sqlite_insert(PatientCounter).values(name=CODE_COUNTER, value=0).on_conflict_do_nothing())


def _draft_of(data: PatientIn, mother_id: int | None) -> _Draft:
    values = {name: getattr(data, name) for name in _DRAFT_FIELDS if name != "mother_id"}
    return _Draft(**values, mother_id=mother_id)


async def _fill_temporary(session: AsyncSession, draft: _Draft, mother_code: str | None) -> _Draft:
    """Stand-in names and guardians of temporary identities."""
    if draft.temporary_reason == "newborn" and mother_code:
        mother = await get_patient_by_code_row(session, mother_code)
        if mother.merged_into_id is not None:
            mother = await get_patient_row(session, mother.merged_into_id)
        if mother.sex != "F":
            raise PatientRejected([Problem("mother_code", _("The mother's record is not that of a woman"))])
        draft = replace(
            draft,
            mother_id=mother.id,
            full_name=draft.full_name or f"Con bà {mother.full_name}",
            guardian_name=draft.guardian_name or mother.full_name,
            guardian_relation=draft.guardian_relation or "Mẹ",
            guardian_phone=draft.guardian_phone or mother.phone,
            guardian_cccd=draft.guardian_cccd or mother.cccd,
        )
    elif draft.temporary_reason == "newborn" and not (draft.full_name or "").strip():
        raise PatientRejected([Problem("mother_code", _("Give the mother's patient code or a name for the newborn"))])
    if draft.temporary_reason == "unidentified_emergency" and not (draft.full_name or "").strip():
        draft = replace(draft, full_name=UNKNOWN_NAME)
    return draft


async def register(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, data: PatientIn
) -> tuple[Patient, InsuranceCard | None]:
    """Registers a patient (and a first card). Raises PatientRejected (422, every problem), or
    DuplicateSuspected (409, with the candidates) unless only likely duplicates exist and the receptionist
    confirmed a new person with a reason."""
    now = kernel.clock.now()
    on = today(kernel.clock)
    draft = await _fill_temporary(session, _draft_of(data, None), data.mother_code)
    values, problems = _clean_draft(draft, on)
    card_parts: rules.CardParts | None = None
    if data.card is not None:
        card_parts, card_problems = _clean_card(data.card)
        problems.extend(card_problems)
    reason = _blank_to_none(data.not_duplicate_reason)
    if data.confirm_not_duplicate and reason is None:
        problems.append(Problem("not_duplicate_reason", _("Say why this is another person")))
    if problems:
        raise PatientRejected(problems)

    numbers = frozenset({card_parts.social_insurance_number}) if card_parts else frozenset[str]()
    candidates = await _candidates(session, _facts(values, numbers))
    certain = any(match.certainty == "certain" for _row, match in candidates)
    if candidates and (certain or not data.confirm_not_duplicate):
        found = [Candidate(row.id, row.code, match) for row, match in candidates]
        raise DuplicateSuspected(found, overridable=not certain)

    patient = Patient(
        code=await _next_code(session),
        search_name=rules.fold(values["full_name"]),
        created_at=now,
        updated_at=now,
        **{name: values[name] for name in (*_DRAFT_FIELDS, "identity_status")},
    )
    session.add(patient)
    await _flush(session)
    card = None
    if data.card is not None and card_parts is not None:
        card = _new_card(patient.id, data.card, card_parts, now)
        session.add(card)
        await session.flush()
    detail = [patient.code, values["identity_status"]]
    if values["temporary_reason"]:
        detail.append(values["temporary_reason"])
    if candidates:
        detail.append(f"not a duplicate of {','.join(row.code for row, _m in candidates)}: {reason}")
    await kernel.audit(
        actor,
        AuditEntry(
            action="patient.register",
            object_type="patient",
            object_id=str(patient.id),
            patient_id=str(patient.id),
            detail="; ".join(detail)[:500],
        ),
        session,
    )
    return patient, card


async def _flush(session: AsyncSession) -> None:
    """Flushes; the CCCD unique index refusing a number (a registration racing another) becomes a 409."""
    try:
        await session.flush()
    except IntegrityError as clash:
        if "cccd" in str(clash.orig).lower():
            raise Conflict(_("This CCCD number belongs to another patient")) from clash
        raise


def _new_card(patient_id: int, data: InsuranceCardIn, parts: rules.CardParts, now: datetime) -> InsuranceCard:
    return InsuranceCard(
        patient_id=patient_id,
        card_number=parts.card_number,
        object_code=parts.object_code,
        benefit_level=parts.benefit_level,
        province_code=parts.province_code,
        social_insurance_number=parts.social_insurance_number,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        initial_facility_code=data.initial_facility_code.strip(),
        five_years_since=data.five_years_since,
        recorded_at=now,
    )


# ---------------------------------------------------------------- changes


async def update_patient(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, patient_id: int, patch: PatientPatch
) -> Patient:
    """Changes the fields given. The whole record is checked again as it will be."""
    row = await _active_row(session, patient_id, for_update=True)
    changes = {name: value for name, value in msgspec.structs.asdict(patch).items() if value is not msgspec.UNSET}
    confirm = changes.pop("identity_status", None) == "confirmed"
    current = {name: getattr(row, name) for name in _DRAFT_FIELDS}
    current.update(changes)
    if confirm:
        current["temporary_reason"] = None
    if "birth_date" in changes and changes["birth_date"] is not None and "birth_year" not in changes:
        current["birth_year"] = None  # the date decides the year
    values, problems = _clean_draft(_Draft(**current), today(kernel.clock))
    if problems:
        raise PatientRejected(problems)
    if values["cccd"] and values["cccd"] != row.cccd:
        other = await session.scalar(select(Patient.code).where(Patient.cccd == values["cccd"], Patient.id != row.id))
        if other is not None:
            raise Conflict(_("This CCCD number belongs to patient {code}"), code=other)
    changed = sorted(
        name for name in (*_DRAFT_FIELDS, "identity_status") if name in values and getattr(row, name) != values[name]
    )
    if not changed:
        return row
    for name in changed:
        setattr(row, name, values[name])
    row.search_name = rules.fold(row.full_name)
    row.updated_at = kernel.clock.now()
    await _flush(session)
    await kernel.audit(
        actor,
        AuditEntry(
            action="patient.update",
            object_type="patient",
            object_id=str(row.id),
            patient_id=str(row.id),
            detail=f"{row.code}: {', '.join(changed)}"[:500],
        ),
        session,
    )
    return row


async def add_card(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, patient_id: int, data: InsuranceCardIn
) -> InsuranceCard:
    """Records a new (or renewed) card; the open card is superseded and kept in the history."""
    row = await _active_row(session, patient_id, for_update=True)
    parts, problems = _clean_card(data, prefix="")
    if problems or parts is None:
        raise PatientRejected(problems)
    owner = await session.scalar(
        select(Patient.code)
        .join(InsuranceCard, InsuranceCard.patient_id == Patient.id)
        .where(
            InsuranceCard.social_insurance_number == parts.social_insurance_number,
            Patient.id != row.id,
            _active(),
        )
        .limit(1)
    )
    if owner is not None:
        raise Conflict(_("This social-insurance number belongs to patient {code}"), code=owner)
    now = kernel.clock.now()
    superseded = await session.execute(
        update(InsuranceCard)
        .where(InsuranceCard.patient_id == row.id, InsuranceCard.superseded_at.is_(None))
        .values(superseded_at=now)
        .execution_options(synchronize_session=False)
    )
    card = _new_card(row.id, data, parts, now)
    session.add(card)
    row.updated_at = now
    await session.flush()
    await kernel.audit(
        actor,
        AuditEntry(
            action="patient.card.add",
            object_type="patient",
            object_id=str(row.id),
            patient_id=str(row.id),
            detail=f"{row.code}: {parts.card_number} {data.valid_from}..{data.valid_to}, "
            f"{getattr(superseded, 'rowcount', 0)} superseded",
        ),
        session,
    )
    return card


# ---------------------------------------------------------------- merge


async def merge(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    *,
    source_id: int,
    target_id: int,
    reason: str,
) -> tuple[PatientMerge, PatientMerged]:
    """Merges the duplicate `source` into `target` in the caller's transaction: the source's cards move to the
    target (the newest open card stays open, the others are superseded), records that pointed to the source
    point to the target, the source's CCCD moves to a target without one, the source is marked merged.
    Audited on both patients; publishes PatientMerged to the outbox; returns the merge record and the event."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput(_("Say why these records are the same person"), field="reason")
    if source_id == target_id:
        raise InvalidInput(_("A record cannot be merged into itself"), field="target_id")
    # Lock both rows in id order: two merges of the same pair cannot interleave or deadlock.
    first, second = sorted((source_id, target_id))
    rows = {first: await _active_row(session, first, for_update=True)}
    rows[second] = await _active_row(session, second, for_update=True)
    source, target = rows[source_id], rows[target_id]
    if source.cccd and target.cccd and source.cccd != target.cccd:
        raise Conflict(_("The two records have different CCCD numbers; correct the wrong one before merging"))
    now = kernel.clock.now()
    moved = await session.execute(
        update(InsuranceCard)
        .where(InsuranceCard.patient_id == source.id)
        .values(patient_id=target.id)
        .execution_options(synchronize_session=False)
    )
    cards_moved = int(getattr(moved, "rowcount", 0) or 0)
    await _keep_one_open_card(session, target.id, now)
    await session.execute(
        update(Patient)
        .where(Patient.merged_into_id == source.id)
        .values(merged_into_id=target.id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Patient)
        .where(Patient.mother_id == source.id)
        .values(mother_id=target.id)
        .execution_options(synchronize_session=False)
    )
    if source.cccd and not target.cccd:
        cccd, source.cccd = source.cccd, None
        await session.flush()  # the unique index must see the source let go of the number first
        target.cccd = cccd
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = now
    record = PatientMerge(
        source_id=source.id,
        target_id=target.id,
        source_code=source.code,
        target_code=target.code,
        cards_moved=cards_moved,
        merged_by=actor.username,
        merged_at=now,
        reason=text[:2000],
    )
    session.add(record)
    await session.flush()
    for patient, other, role in ((source, target, "merged into"), (target, source, "absorbed")):
        await kernel.audit(
            actor,
            AuditEntry(
                action="patient.merge",
                object_type="patient",
                object_id=str(patient.id),
                patient_id=str(patient.id),
                detail=f"{patient.code} {role} {other.code}: {text}"[:500],
            ),
            session,
        )
    event = PatientMerged(record.id, source.id, source.code, target.id, target.code, now)
    # Published in the merge's own transaction: modules that keep patient ids re-point them when it commits.
    await publish(session, event, at=now)
    return record, event


async def _keep_one_open_card(session: AsyncSession, patient_id: int, now: datetime) -> None:
    open_cards = list(
        (
            await session.scalars(
                select(InsuranceCard)
                .where(InsuranceCard.patient_id == patient_id, InsuranceCard.superseded_at.is_(None))
                .order_by(InsuranceCard.valid_to.desc(), InsuranceCard.recorded_at.desc(), InsuranceCard.id.desc())
            )
        ).all()
    )
    for card in open_cards[1:]:
        card.superseded_at = now
