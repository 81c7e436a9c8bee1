"""Catalog use cases: import with versioning by effective date, export, search, get by code.

The only code that writes the catalog tables. An import is all or nothing: every row is parsed and checked
before anything is written, every problem is reported (line, column, reason), and the writes happen in the
caller's transaction, so a failure part-way leaves nothing behind.

Versioning: importing a file effective on day D, for each code of the file
* no open version (valid_to IS NULL): a version valid from D is added;
* an open version with the same content: nothing changes;
* an open version with other content: it ends on D (valid_to = D, exclusive) and a new one starts on D.
Codes the file does not list stay as they are, unless `retire_missing` ends them on D too.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import tempfile
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, insert, or_, select, update
from sqlalchemy import text as text_clause
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs.icd10 import iter_icd10_records
from his.catalogs.models import CatalogRow, Drug, DrugSubstance, Icd10Code
from his.catalogs.specs import SPECS, CatalogSpec, RowErrors, Substance, format_cell, parse_strength
from his.catalogs.text import fold, query_terms
from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.clock import Clock
from his.kernel.errors import InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel

__all__ = [
    "CHUNK_SIZE",
    "MAX_LIMIT",
    "ImportProblem",
    "ImportRejected",
    "ImportReport",
    "Progress",
    "count_in_force",
    "export_catalog",
    "get_row",
    "import_catalog",
    "search_rows",
    "spec_for",
    "substances_of",
    "today",
]

CHUNK_SIZE = 1000
MAX_LIMIT = 200
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Viet Nam
_GZIP_MAGIC = b"\x1f\x8b"
_LINE = re.compile(r"line (\d+)")
_ICD10_VALIDITY_COLUMNS = frozenset({"sex", "min_age_days", "max_age_days", "is_asterisk", "is_dagger", "never_main"})
_ICD10_MARKS = str.maketrans("", "", ".*†+")

# (phase, done, total): phase "check" while rows are parsed and checked, "write" while they are written.
Progress = Callable[[str, int, int], None]


def today(clock: Clock | None = None) -> date:
    """The date in Viet Nam now: what "in force today" means for a catalog."""
    now = clock.now() if clock is not None else datetime.now(UTC)
    return now.astimezone(VIETNAM).date()


def spec_for(kind: str) -> CatalogSpec:
    spec = SPECS.get(kind)
    if spec is None:
        raise NotFound(
            _("There is no catalog called {kind}; the catalogs are: {kinds}"),
            kind=kind,
            kinds=", ".join(SPECS),
        )
    return spec


# ---------------------------------------------------------------- import


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # 1 is the header; 0 when the problem is the file as a whole
    column: str | None
    message: str  # English msgid
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self, translate: Callable[[str, dict[str, Any] | None], str] | None = None) -> str:
        if translate is not None:
            return translate(self.message, self.params or None)
        return self.message.format(**self.params) if self.params else self.message


class ImportRejected(InvalidInput):
    """The file was not imported; `problems` lists every reason, in line order."""

    def __init__(self, kind: str, problems: Sequence[ImportProblem]) -> None:
        super().__init__(_("Nothing was imported: the file has {count} problem(s)"), count=len(problems))
        self.kind = kind
        self.problems = sorted(problems, key=lambda p: (p.line, p.column or ""))


@dataclass(slots=True)
class ImportReport:
    kind: str
    effective: date
    rows: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0
    duplicates: int = 0

    def detail(self) -> str:
        return (
            f"effective {self.effective.isoformat()}: {self.rows} rows, {self.added} added, "
            f"{self.changed} changed, "
            f"{self.unchanged} unchanged, {self.retired} retired, {self.duplicates} duplicate rows"
        )


@dataclass(slots=True)
class _Parsed:
    line: int
    code: str
    content: dict[str, Any]


def _read_text(source: bytes | Path) -> str:
    raw = source.read_bytes() if isinstance(source, Path) else source
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as broken:
            raise ImportRejected("", [ImportProblem(0, None, _("The file is a damaged gzip archive"))]) from broken
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        line = raw[: bad.start].count(b"\n") + 1
        raise ImportRejected(
            "", [ImportProblem(line, None, _("The file is not UTF-8 text; save it as CSV UTF-8"))]
        ) from bad


def _header_of(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline="")), None)
    return [name.strip() for name in first] if first else []


def _is_national_icd10(spec: CatalogSpec, header: Sequence[str]) -> bool:
    """The national QĐ 4469 file (validity from the packaged lists) rather than our export format."""
    return spec.kind == "icd10" and "name_vi" in header and not _ICD10_VALIDITY_COLUMNS & set(header)


def _parse_csv(spec: CatalogSpec, text: str, problems: list[ImportProblem]) -> list[_Parsed]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header_row = next(reader, None)
    except csv.Error as broken:
        problems.append(ImportProblem(1, None, _("The line cannot be read as CSV: {reason}"), {"reason": str(broken)}))
        return []
    if not header_row or not any(cell.strip() for cell in header_row):
        problems.append(ImportProblem(1, None, _("The file is empty; its first line must name the columns")))
        return []
    header = [name.strip() for name in header_row]
    known = set(spec.column_names)
    for position, name in enumerate(header):
        if name not in known:
            problems.append(
                ImportProblem(
                    1,
                    name or f"#{position + 1}",
                    _("Unknown column; the columns are: {columns}"),
                    {"columns": ", ".join(spec.column_names)},
                )
            )
        elif header.index(name) != position:
            problems.append(ImportProblem(1, name, _("The column is named twice")))
    for column in spec.columns:
        if column.required and column.name not in header:
            problems.append(ImportProblem(1, column.name, _("The column is missing")))
    if problems:
        return []
    parsed: list[_Parsed] = []
    last_line = reader.line_num
    while True:
        start = last_line + 1
        try:
            row = next(reader, None)
        except csv.Error as broken:
            problems.append(
                ImportProblem(start, None, _("The line cannot be read as CSV: {reason}"), {"reason": str(broken)})
            )
            break
        last_line = reader.line_num
        if row is None:
            break
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(
                ImportProblem(
                    start,
                    None,
                    _("The row has {found} fields; the header has {expected}"),
                    {"found": len(row), "expected": len(header)},
                )
            )
            continue
        _parse_cells(spec, dict(zip(header, row, strict=True)), start, parsed, problems)
    return parsed


def _parse_cells(
    spec: CatalogSpec, cells: dict[str, str], line: int, parsed: list[_Parsed], problems: list[ImportProblem]
) -> None:
    try:
        code, content = spec.parse_row(cells)
    except RowErrors as bad:
        problems.extend(ImportProblem(line, error.column, error.message, error.params) for error in bad.errors)
        return
    parsed.append(_Parsed(line, code, content))


def _parse_national_icd10(spec: CatalogSpec, text: str, problems: list[ImportProblem]) -> list[_Parsed]:
    parsed: list[_Parsed] = []
    with tempfile.TemporaryDirectory(prefix="his-icd10-") as folder:
        path = Path(folder) / "icd10.csv"
        path.write_text(text, encoding="utf-8")
        try:
            # Line numbers: the national reader yields records, not lines; a record's number + 1 is its line
            # unless a name spans lines (the reader itself names exact lines in what it rejects).
            for number, record in enumerate(iter_icd10_records(path), start=2):
                cells = {
                    "code": record.code,
                    "code_plain": record.code_plain,
                    "name_vi": record.name_vi,
                    "name_en": record.name_en,
                    "chapter_code": record.chapter_code,
                    "group_code": record.group_code,
                    "type_code": record.type_code,
                    "sex": record.sex or "",
                    "min_age_days": "" if record.min_age_days is None else str(record.min_age_days),
                    "max_age_days": "" if record.max_age_days is None else str(record.max_age_days),
                    "is_asterisk": format_cell(record.is_asterisk),
                    "is_dagger": format_cell(record.is_dagger),
                    "never_main": format_cell(record.never_main),
                }
                _parse_cells(spec, cells, number, parsed, problems)
        except ValueError as bad:
            found = _LINE.search(str(bad))
            reason = str(bad).split(": ", 1)[-1] if found is None else str(bad)[found.end() :].lstrip(": ")
            problems.append(
                ImportProblem(
                    int(found.group(1)) if found else 0,
                    None,
                    _("The national ICD-10 file cannot be read: {reason}"),
                    {"reason": reason},
                )
            )
    return parsed


def _in_force(model: type[CatalogRow], as_of: date) -> ColumnElement[bool]:
    return and_(model.valid_from <= as_of, or_(model.valid_to.is_(None), model.valid_to > as_of))


async def _check_references(
    session: AsyncSession,
    spec: CatalogSpec,
    rows: Sequence[_Parsed],
    effective: date,
    problems: list[ImportProblem],
) -> None:
    for field_name, kind in spec.references.items():
        wanted = {row.content[field_name] for row in rows if row.content.get(field_name)}
        if not wanted:
            continue
        model = SPECS[kind].model
        known: set[str] = set()
        for chunk in _chunks(sorted(wanted), CHUNK_SIZE):
            result = await session.scalars(select(model.code).where(model.code.in_(chunk), _in_force(model, effective)))
            known.update(result)
        for row in rows:
            value = row.content.get(field_name)
            if value and value not in known:
                problems.append(
                    ImportProblem(
                        row.line,
                        field_name,
                        _("The code {code} is not in the {catalog} catalog on {date}"),
                        {"code": value, "catalog": kind, "date": effective.isoformat()},
                    )
                )


async def _open_versions(session: AsyncSession, spec: CatalogSpec) -> dict[str, tuple[int, date, dict[str, Any]]]:
    """code -> (id, valid_from, content) of every open version of the kind, read in one query."""
    model = spec.model
    columns = [getattr(model, name) for name in spec.table_fields]
    result = await session.execute(
        select(model.id, model.code, model.valid_from, *columns).where(model.valid_to.is_(None))
    )
    versions: dict[str, tuple[int, date, dict[str, Any]]] = {}
    for row in result:
        versions[row[1]] = (row[0], row[2], dict(zip(spec.table_fields, row[3:], strict=True)))
    if spec.extra_fields:
        substances = await _open_substances(session)
        for _id, _start, content in versions.values():
            content["substances"] = substances.get(_id, ())
    return versions


async def _open_substances(session: AsyncSession) -> dict[int, tuple[Substance, ...]]:
    result = await session.execute(
        select(DrugSubstance.drug_id, DrugSubstance.substance, DrugSubstance.strength)
        .join(Drug, Drug.id == DrugSubstance.drug_id)
        .where(Drug.valid_to.is_(None))
        .order_by(DrugSubstance.drug_id, DrugSubstance.position)
    )
    collected: dict[int, list[Substance]] = {}
    for drug_id, substance, strength in result:
        collected.setdefault(drug_id, []).append(Substance(substance, strength))
    return {drug_id: tuple(items) for drug_id, items in collected.items()}


async def _last_ends(session: AsyncSession, model: type[CatalogRow]) -> dict[str, date]:
    """code -> the latest end of its closed versions."""
    result = await session.execute(
        select(model.code, func.max(model.valid_to)).where(model.valid_to.is_not(None)).group_by(model.code)
    )
    return {code: end for code, end in result if end is not None}


async def _lock_kind(session: AsyncSession, kind: str) -> None:
    """Serialises imports of one kind until commit, across workers (SQLite's BEGIN IMMEDIATE already does)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"his.catalogs:{kind}".encode())
        await session.execute(text_clause("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def import_catalog(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    *,
    kind: str,
    source: bytes | Path,
    effective: date,
    retire_missing: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Imports one CSV file (plain or gzip) in the caller's transaction and audits it there.

    Raises ImportRejected listing every problem, before anything is written.
    """
    spec = spec_for(kind)
    report = ImportReport(kind=kind, effective=effective)
    problems: list[ImportProblem] = []
    try:
        text = _read_text(source)
    except ImportRejected as rejected:
        raise ImportRejected(kind, rejected.problems) from None
    if _is_national_icd10(spec, _header_of(text)):
        parsed = _parse_national_icd10(spec, text, problems)
    else:
        parsed = _parse_csv(spec, text, problems)
    report.rows = len(parsed) + len({p.line for p in problems if p.line > 1})
    if progress is not None:
        progress("check", 0, report.rows)
    await _lock_kind(session, kind)

    # One version per code: a row repeating an earlier one word for word is skipped (the national ICD-10 file
    # lists J13 twice); a code listed twice with different content is an error.
    rows: list[_Parsed] = []
    first_seen: dict[str, _Parsed] = {}
    for row in parsed:
        earlier = first_seen.get(row.code)
        if earlier is None:
            first_seen[row.code] = row
            rows.append(row)
        elif earlier.content == row.content:
            report.duplicates += 1
        else:
            problems.append(
                ImportProblem(
                    row.line,
                    "code",
                    _("The code {code} is already on line {first_line} with other content"),
                    {"code": row.code, "first_line": earlier.line},
                )
            )
    if not parsed and not problems:
        problems.append(ImportProblem(0, None, _("The file has no data rows")))
    await _check_references(session, spec, rows, effective, problems)

    current = await _open_versions(session, spec)
    last_ends = await _last_ends(session, spec.model)
    to_close: list[int] = []
    to_insert: list[_Parsed] = []
    for number, row in enumerate(rows, start=1):
        version = current.get(row.code)
        if version is None:
            end = last_ends.get(row.code)
            if end is not None and end > effective:
                problems.append(
                    ImportProblem(
                        row.line,
                        "code",
                        _("The code {code} was in force until {end}; a new version cannot start earlier, on {date}"),
                        {"code": row.code, "end": end.isoformat(), "date": effective.isoformat()},
                    )
                )
                continue
            to_insert.append(row)
            report.added += 1
        elif version[2] == row.content:
            report.unchanged += 1
        elif version[1] > effective:
            problems.append(
                ImportProblem(
                    row.line,
                    "code",
                    _("The code {code} has a version in force from {start}, later than the effective date {date}"),
                    {"code": row.code, "start": version[1].isoformat(), "date": effective.isoformat()},
                )
            )
        else:
            to_close.append(version[0])
            to_insert.append(row)
            report.changed += 1
        if progress is not None and number % CHUNK_SIZE == 0:
            progress("check", number, report.rows)
    if retire_missing:
        listed = {row.code for row in parsed}
        for code, (version_id, start, _content) in sorted(current.items()):
            if code in listed:
                continue
            if start > effective:
                problems.append(
                    ImportProblem(
                        0,
                        "code",
                        _("The code {code} cannot be retired on {date}: its version starts later, on {start}"),
                        {"code": code, "start": start.isoformat(), "date": effective.isoformat()},
                    )
                )
                continue
            to_close.append(version_id)
            report.retired += 1
    if problems:
        raise ImportRejected(kind, problems)
    if progress is not None:
        progress("check", report.rows, report.rows)

    await _write(session, spec, effective, to_close, to_insert, progress)
    await kernel.audit(actor, AuditEntry(action="catalog.import", object_type=kind, detail=report.detail()), session)
    return report


async def _write(
    session: AsyncSession,
    spec: CatalogSpec,
    effective: date,
    to_close: Sequence[int],
    to_insert: Sequence[_Parsed],
    progress: Progress | None,
) -> None:
    model = spec.model
    total = len(to_close) + len(to_insert)
    done = 0
    if progress is not None:
        progress("write", 0, total)
    # Close first: the partial unique index allows one open version per code.
    for chunk in _chunks(to_close, CHUNK_SIZE):
        await session.execute(
            update(model)
            .where(model.id.in_(chunk))
            .values(valid_to=effective)
            .execution_options(synchronize_session=False)
        )
        done += len(chunk)
        if progress is not None:
            progress("write", done, total)
    for chunk in _chunks(to_insert, CHUNK_SIZE):
        values = [
            {
                "code": row.code,
                "search_text": spec.search_text(row.code, row.content),
                "valid_from": effective,
                "valid_to": None,
                **{name: row.content[name] for name in spec.table_fields},
            }
            for row in chunk
        ]
        if spec.extra_fields:
            ids = (await session.scalars(insert(model).returning(model.id, sort_by_parameter_order=True), values)).all()
            substances = [
                {
                    "drug_id": drug_id,
                    "position": position,
                    "substance": item.substance,
                    "strength": item.strength,
                    "strength_value": parse_strength(item.strength)[0],
                    "strength_unit": parse_strength(item.strength)[1],
                }
                for drug_id, row in zip(ids, chunk, strict=True)
                for position, item in enumerate(row.content["substances"], start=1)
            ]
            if substances:
                await session.execute(insert(DrugSubstance), substances)
        else:
            await session.execute(insert(model), values)
        done += len(chunk)
        if progress is not None:
            progress("write", done, total)


# ---------------------------------------------------------------- export


async def export_catalog(session: AsyncSession, *, kind: str, as_of: date) -> str:
    """The versions in force on `as_of` as CSV text in the import format, ordered by code."""
    spec = spec_for(kind)
    model = spec.model
    rows = (
        await session.scalars(select(model).where(_in_force(model, as_of)).order_by(_code_order(session, model)))
    ).all()
    substances = await substances_of(session, [row.id for row in rows]) if spec.extra_fields else {}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(spec.column_names)
    for row in rows:
        content: dict[str, Any] = {name: getattr(row, name) for name in spec.table_fields}
        if spec.extra_fields:
            content["substances"] = tuple(Substance(s.substance, s.strength) for s in substances.get(row.id, []))
        writer.writerow(spec.format_row(row.code, content))
    return buffer.getvalue()


# ---------------------------------------------------------------- reading


def _code_order(session: AsyncSession, model: type[CatalogRow]) -> ColumnElement[str]:
    """Codes in byte order on both databases (PostgreSQL would otherwise sort by the locale's collation)."""
    if session.get_bind().dialect.name == "postgresql":
        return model.code.collate("C")
    return model.code.expression


def _like_pattern(term: str, *, prefix: bool = False) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if prefix else f"%{escaped}%"


async def search_rows(
    session: AsyncSession, *, kind: str, q: str | None, as_of: date, limit: int, offset: int
) -> tuple[Sequence[CatalogRow], int]:
    """Versions in force on `as_of` whose folded text holds every word of `q`; code prefix matches first."""
    spec = spec_for(kind)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(_("The page size must be between 1 and {max}"), field="limit", max=MAX_LIMIT)
    if offset < 0:
        raise InvalidInput(_("The offset must not be negative"), field="offset")
    model = spec.model
    conditions: list[ColumnElement[bool]] = [_in_force(model, as_of)]
    terms = query_terms(q)
    conditions.extend(model.search_text.like(_like_pattern(term), escape="\\") for term in terms)
    total = await session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
    statement = select(model).where(*conditions)
    if terms:
        prefix = _like_pattern(fold(q).replace(" ", ""), prefix=True)
        code_match = or_(*(func.lower(getattr(model, name)).like(prefix, escape="\\") for name in spec.code_fields))
        statement = statement.order_by(case((code_match, 0), else_=1), _code_order(session, model))
    else:
        statement = statement.order_by(_code_order(session, model))
    rows = (await session.scalars(statement.limit(limit).offset(offset))).all()
    return rows, total


async def get_row(session: AsyncSession, *, kind: str, code: str, as_of: date) -> CatalogRow | None:
    """The version of `code` in force on `as_of`. ICD-10 also finds "A17.0†" from "A17.0" or "a170"."""
    spec = spec_for(kind)
    model = spec.model
    code = code.strip()
    found = await session.scalar(select(model).where(model.code == code, _in_force(model, as_of)).limit(1))
    if found is None and spec.kind == "icd10":
        plain = code.upper().translate(_ICD10_MARKS)
        found = await session.scalar(
            select(Icd10Code)
            .where(Icd10Code.code_plain == plain, _in_force(Icd10Code, as_of))
            .order_by(_code_order(session, Icd10Code))
            .limit(1)
        )
    return found


async def substances_of(session: AsyncSession, drug_ids: Sequence[int]) -> dict[int, list[DrugSubstance]]:
    collected: dict[int, list[DrugSubstance]] = {}
    for chunk in _chunks(list(drug_ids), CHUNK_SIZE):
        result = await session.scalars(
            select(DrugSubstance)
            .where(DrugSubstance.drug_id.in_(chunk))
            .order_by(DrugSubstance.drug_id, DrugSubstance.position)
        )
        for item in result:
            collected.setdefault(item.drug_id, []).append(item)
    return collected


async def count_in_force(session: AsyncSession, *, as_of: date) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind, spec in SPECS.items():
        model = spec.model
        counts[kind] = await session.scalar(select(func.count()).select_from(model).where(_in_force(model, as_of))) or 0
    return counts


async def history(session: AsyncSession, *, kind: str, code: str) -> Sequence[CatalogRow]:
    """Every version of `code`, oldest first."""
    model = spec_for(kind).model
    return (await session.scalars(select(model).where(model.code == code).order_by(model.valid_from, model.id))).all()
