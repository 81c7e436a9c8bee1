"""The rule book: fields.csv, code_lists.csv and tables.csv read into typed rules (package data, read on demand)."""

from __future__ import annotations

import csv
import io
from importlib import resources
from typing import Literal

import msgspec

FieldType = Literal["string", "integer", "decimal", "date", "datetime"]
Requirement = Literal["yes", "no", "conditional"]

FIELD_TYPES: frozenset[str] = frozenset({"string", "integer", "decimal", "date", "datetime"})
REQUIREMENTS: frozenset[str] = frozenset({"yes", "no", "conditional"})
DATE_FORMATS: frozenset[str] = frozenset({"yyyymmdd", "yyyymmddHHMM", "birth"})


class FieldRule(msgspec.Struct, frozen=True):
    table: str
    order: int
    field: str
    type: FieldType
    max_size: int | None
    required: Requirement
    formats: tuple[str, ...]  # alternatives; empty = none
    separator: str  # ";" when several values are allowed
    code_list: str  # key into the code lists; empty = none
    source: str
    reviewed: bool
    note: str

    @property
    def decimal_places(self) -> int | None:
        for fmt in self.formats:
            if fmt.startswith("decimal:"):
                return int(fmt.split(":", 1)[1])
        return None


class TableLayout(msgspec.Struct, frozen=True):
    table: str
    root: str
    list_element: str | None  # None: the root is the one record (XML1)
    record_element: str | None


class RuleBook(msgspec.Struct, frozen=True):
    fields: dict[str, tuple[FieldRule, ...]]  # table -> rules in order
    code_lists: dict[str, frozenset[str]]
    layouts: dict[str, TableLayout]

    def rule(self, table: str, field: str) -> FieldRule | None:
        for rule in self.fields.get(table, ()):
            if rule.field == field:
                return rule
        return None


class RuleBookError(ValueError):
    """fields.csv, code_lists.csv or tables.csv is inconsistent (a data error, found when loading)."""


def _read(name: str) -> list[dict[str, str]]:
    text = (resources.files("his.bhyt") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _field_rule(row: dict[str, str], line: int) -> FieldRule:
    where = f"fields.csv line {line} ({row.get('table')}.{row.get('field')})"
    if row["type"] not in FIELD_TYPES:
        raise RuleBookError(f"{where}: unknown type {row['type']!r}")
    if row["required"] not in REQUIREMENTS:
        raise RuleBookError(f"{where}: required must be yes, no or conditional")
    formats = tuple(f for f in row["format"].split("|") if f)
    for fmt in formats:
        known = fmt in DATE_FORMATS or (fmt.startswith("decimal:") and fmt.split(":", 1)[1].isdigit())
        if not known:
            raise RuleBookError(f"{where}: unknown format {fmt!r}")
        if fmt in DATE_FORMATS and row["type"] not in ("date", "datetime"):
            raise RuleBookError(f"{where}: format {fmt} needs type date or datetime")
    size = row["max_size"].strip()
    if size and not size.isdigit():
        raise RuleBookError(f"{where}: max_size must be a whole number or empty")
    return FieldRule(
        table=row["table"],
        order=int(row["order"]),
        field=row["field"],
        type=row["type"],  # type: ignore[arg-type]
        max_size=int(size) if size else None,
        required=row["required"],  # type: ignore[arg-type]
        formats=formats,
        separator=row["separator"],
        code_list=row["code_list"],
        source=row["source"],
        reviewed=row["reviewed"] == "yes",
        note=row["note"],
    )


def load_rulebook() -> RuleBook:
    """Read and check the packaged rule data; callers keep the result (no module-level cache)."""
    code_lists: dict[str, set[str]] = {}
    for row in _read("code_lists.csv"):
        code_lists.setdefault(row["key"], set()).add(row["code"])
    fields: dict[str, list[FieldRule]] = {}
    for line, row in enumerate(_read("fields.csv"), start=2):
        rule = _field_rule(row, line)
        if rule.code_list and rule.code_list not in code_lists:
            raise RuleBookError(f"fields.csv line {line}: code list {rule.code_list} is not in code_lists.csv")
        fields.setdefault(rule.table, []).append(rule)
    layouts = {
        row["table"]: TableLayout(
            table=row["table"],
            root=row["root"],
            list_element=row["list"] or None,
            record_element=row["record"] or None,
        )
        for row in _read("tables.csv")
    }
    for table in layouts:
        if table not in fields:
            raise RuleBookError(f"tables.csv names {table}, which fields.csv does not have")
    return RuleBook(
        fields={table: tuple(sorted(rules, key=lambda r: r.order)) for table, rules in fields.items()},
        code_lists={key: frozenset(codes) for key, codes in code_lists.items()},
        layouts=layouts,
    )
