"""The public face of the catalogs for other modules: keyword-only functions returning msgspec Structs.

Every lookup takes `as_of` (default: today in Viet Nam) and answers with the version in force that day.
The one place where catalog ORM rows become transfer objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import service
from his.catalogs.icd10 import Icd10Record
from his.catalogs.models import (
    CatalogRow,
    ClinicRoom,
    Department,
    Drug,
    DrugSubstance,
    Icd10Code,
    Service,
    Staff,
    Supply,
)
from his.catalogs.rules import check_diagnosis as _check_diagnosis
from his.catalogs.schemas import (
    CatalogEntry,
    ClinicRoomEntry,
    DepartmentEntry,
    DiagnosisProblemOut,
    DrugEntry,
    Icd10Entry,
    SearchPage,
    ServiceEntry,
    StaffEntry,
    SubstanceOut,
    SupplyEntry,
)
from his.catalogs.specs import CATALOG_KINDS
from his.kernel.errors import NotFound
from his.kernel.i18n import lazy as _

__all__ = [
    "CATALOG_KINDS",
    "check_diagnosis",
    "get_clinic_room",
    "get_department",
    "get_drug",
    "get_entry",
    "get_icd10",
    "get_service",
    "get_staff",
    "get_supply",
    "search",
]


def _as_of(as_of: date | None) -> date:
    return as_of if as_of is not None else service.today()


def _plain_decimal(value: Decimal | None) -> Decimal | None:
    """Without the column's trailing zeros: 500.000000 -> 500, 0.500000 -> 0.5 (never 5E+2)."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _substance_out(item: DrugSubstance) -> SubstanceOut:
    return SubstanceOut(item.substance, item.strength, _plain_decimal(item.strength_value), item.strength_unit)


def to_entry(row: CatalogRow, substances: Sequence[DrugSubstance] = ()) -> CatalogEntry:
    """One catalog version as its transfer object."""
    if isinstance(row, Icd10Code):
        return Icd10Entry(
            code=row.code,
            code_plain=row.code_plain,
            name=row.name,
            name_en=row.name_en or None,
            chapter_code=row.chapter_code or None,
            group_code=row.group_code or None,
            type_code=row.type_code or None,
            sex=row.sex,
            min_age_days=row.min_age_days,
            max_age_days=row.max_age_days,
            is_asterisk=row.is_asterisk,
            is_dagger=row.is_dagger,
            never_main=row.never_main,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
    if isinstance(row, Department):
        return DepartmentEntry(row.code, row.name, row.bhyt_code, row.valid_from, row.valid_to)
    if isinstance(row, ClinicRoom):
        return ClinicRoomEntry(row.code, row.name, row.department_code, row.valid_from, row.valid_to)
    if isinstance(row, Staff):
        return StaffEntry(
            row.code,
            row.name,
            row.title,
            row.department_code,
            row.practising_certificate_no,
            row.role,
            row.valid_from,
            row.valid_to,
        )
    if isinstance(row, Service):
        return ServiceEntry(
            row.code,
            row.name,
            row.group,
            row.unit,
            row.hospital_price,
            row.bhyt_price,
            row.bhyt_code,
            row.valid_from,
            row.valid_to,
        )
    if isinstance(row, Drug):
        return DrugEntry(
            row.code,
            row.name,
            [_substance_out(item) for item in substances],
            row.form,
            row.route,
            row.unit,
            row.bhyt_code,
            row.price,
            row.valid_from,
            row.valid_to,
            registration_number=row.registration_number,
            tender=row.tender,
        )
    if isinstance(row, Supply):
        return SupplyEntry(row.code, row.name, row.unit, row.price, row.bhyt_code, row.valid_from, row.valid_to)
    raise TypeError(f"not a catalog row: {type(row).__name__}")  # pragma: no cover


async def entries_of(session: AsyncSession, rows: Sequence[CatalogRow]) -> list[CatalogEntry]:
    drug_ids = [row.id for row in rows if isinstance(row, Drug)]
    substances = await service.substances_of(session, drug_ids) if drug_ids else {}
    return [to_entry(row, substances.get(row.id, ())) for row in rows]


async def search(
    session: AsyncSession,
    *,
    kind: str,
    q: str | None = None,
    as_of: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> SearchPage:
    """Accent- and case-insensitive search ("dai thao duong" finds "Đái tháo đường"); code prefixes first.

    Raises NotFound for an unknown kind, InvalidInput for a limit outside 1..200 or a negative offset.
    """
    rows, total = await service.search_rows(session, kind=kind, q=q, as_of=_as_of(as_of), limit=limit, offset=offset)
    return SearchPage(items=await entries_of(session, rows), total=total, limit=limit, offset=offset)


async def find_entry(session: AsyncSession, *, kind: str, code: str, as_of: date | None = None) -> CatalogEntry | None:
    row = await service.get_row(session, kind=kind, code=code, as_of=_as_of(as_of))
    if row is None:
        return None
    return (await entries_of(session, [row]))[0]


async def get_entry(session: AsyncSession, *, kind: str, code: str, as_of: date | None = None) -> CatalogEntry:
    """The entry in force on `as_of`; raises NotFound (translatable) when there is none."""
    day = _as_of(as_of)
    entry = await find_entry(session, kind=kind, code=code, as_of=day)
    if entry is None:
        raise NotFound(
            _("The {catalog} catalog has no code {code} in force on {date}"),
            catalog=kind,
            code=code,
            date=day.isoformat(),
        )
    return entry


_Entry = TypeVar("_Entry")


async def _find_typed(
    session: AsyncSession, kind: str, code: str, as_of: date | None, entry_type: type[_Entry]
) -> _Entry | None:
    entry = await find_entry(session, kind=kind, code=code, as_of=as_of)
    assert entry is None or isinstance(entry, entry_type)
    return entry


async def get_icd10(session: AsyncSession, *, code: str, as_of: date | None = None) -> Icd10Entry | None:
    """ICD-10 code as written ("A17.0†") or without dot or mark ("A17.0", "A170"); None if not in force."""
    return await _find_typed(session, "icd10", code, as_of, Icd10Entry)


async def get_department(session: AsyncSession, *, code: str, as_of: date | None = None) -> DepartmentEntry | None:
    return await _find_typed(session, "departments", code, as_of, DepartmentEntry)


async def get_clinic_room(session: AsyncSession, *, code: str, as_of: date | None = None) -> ClinicRoomEntry | None:
    return await _find_typed(session, "clinic-rooms", code, as_of, ClinicRoomEntry)


async def get_staff(session: AsyncSession, *, code: str, as_of: date | None = None) -> StaffEntry | None:
    return await _find_typed(session, "staff", code, as_of, StaffEntry)


async def get_service(session: AsyncSession, *, code: str, as_of: date | None = None) -> ServiceEntry | None:
    return await _find_typed(session, "services", code, as_of, ServiceEntry)


async def get_drug(session: AsyncSession, *, code: str, as_of: date | None = None) -> DrugEntry | None:
    """The drug with its active substances (in label order) and their strengths."""
    return await _find_typed(session, "drugs", code, as_of, DrugEntry)


async def get_supply(session: AsyncSession, *, code: str, as_of: date | None = None) -> SupplyEntry | None:
    return await _find_typed(session, "supplies", code, as_of, SupplyEntry)


def icd10_record(entry: Icd10Entry) -> Icd10Record:
    """The entry as the record the pure rules (his.catalogs.rules) take."""
    return Icd10Record(
        code=entry.code,
        code_plain=entry.code_plain,
        name_vi=entry.name,
        name_en=entry.name_en or "",
        chapter_code=entry.chapter_code or "",
        group_code=entry.group_code or "",
        type_code=entry.type_code or "",
        sex=entry.sex,
        min_age_days=entry.min_age_days,
        max_age_days=entry.max_age_days,
        is_asterisk=entry.is_asterisk,
        is_dagger=entry.is_dagger,
        never_main=entry.never_main,
    )


async def check_diagnosis(
    session: AsyncSession,
    *,
    code: str,
    sex: str | None,
    age_days: int | None,
    is_main: bool,
    as_of: date | None = None,
) -> list[DiagnosisProblemOut]:
    """Why the ICD-10 code does not fit this patient or role (empty: it fits). NotFound: unknown code."""
    entry = await get_icd10(session, code=code, as_of=as_of)
    if entry is None:
        day = _as_of(as_of)
        raise NotFound(
            _("The {catalog} catalog has no code {code} in force on {date}"),
            catalog="icd10",
            code=code,
            date=day.isoformat(),
        )
    problems = _check_diagnosis(icd10_record(entry), sex=sex, age_days=age_days, is_main=is_main)
    return [DiagnosisProblemOut(p.rule, p.message_key, dict(p.params)) for p in problems]
