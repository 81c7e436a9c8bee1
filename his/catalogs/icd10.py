"""National ICD-10 catalog (QĐ 4469/QĐ-BYT, 2020) with its validity lists.

Pure Python, no database, no I/O at import: files are read when a function is called.
The data and how it was derived are described in ``data/icd10/README.md``.
"""

from __future__ import annotations

import csv
import gzip
import pathlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import IO

__all__ = [
    "Icd10Record",
    "iter_icd10_records",
    "load_asterisk_pairs",
    "packaged_icd10_path",
]

_DATA_PARTS = ("data", "icd10")
_CATALOG_FILE = "icd10-qd4469.csv.gz"
_VALIDITY_FILE = "validity.csv"
_PAIRS_FILE = "pairs.csv"
_GZIP_MAGIC = b"\x1f\x8b"

# Columns of the national CSV this reader needs; the others are carried by the file only.
_REQUIRED_COLUMNS = ("code", "code_plain", "name_vi", "name_en", "chapter_code", "group_code", "type_code")
_RULES = frozenset({"asterisk", "dagger", "never_main", "sex", "min_age_days", "max_age_days"})
# Marks the catalog writes after a code: asterisk, and dagger (sometimes typed "+").
_CODE_MARKS = "*†+"


@dataclass(frozen=True, slots=True)
class Icd10Record:
    """One row of the national catalog, with the validity rules that apply to it."""

    code: str  # as the catalog writes it: "A17.0†", "G01*", "N70.0"
    code_plain: str  # without dot or mark: "A170", "G01", "N700"
    name_vi: str
    name_en: str
    chapter_code: str  # "A00-B99"
    group_code: str  # "A15-A19"
    type_code: str  # the 3-character category: "A17"
    sex: str | None  # "F", "M" or None (either sex)
    min_age_days: int | None  # inclusive; None = no lower bound
    max_age_days: int | None  # inclusive; None = no upper bound
    is_asterisk: bool
    is_dagger: bool
    never_main: bool


@dataclass(frozen=True, slots=True)
class _Validity:
    sex: str | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    is_asterisk: bool = False
    is_dagger: bool = False
    never_main: bool = False


_NO_RULES = _Validity()


def _data_path(name: str) -> pathlib.Path:
    resource = resources.files("his.catalogs")
    for part in _DATA_PARTS:
        resource = resource / part
    resource = resource / name
    if not isinstance(resource, pathlib.Path):
        # Callers want a real path (e.g. to hand to other tools); a zipped install has none.
        raise RuntimeError(f"his.catalogs data is not on the file system: {resource}")
    return resource


def packaged_icd10_path() -> pathlib.Path:
    """Path of the packaged national catalog (gzip-compressed CSV, unchanged)."""
    return _data_path(_CATALOG_FILE)


@contextmanager
def _open_text(path: pathlib.Path) -> Iterator[IO[str]]:
    # Sniff rather than trust the suffix: the same reader takes .csv and .csv.gz.
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    # utf-8-sig: a CSV saved by a spreadsheet may start with a BOM.
    if compressed:
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            yield text
    else:
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield text


def _plain(code: str) -> str:
    return "".join(char for char in code if char not in _CODE_MARKS and char != ".")


def iter_icd10_records(source: pathlib.Path | None = None) -> Iterator[Icd10Record]:
    """Yield every row of the national catalog, in file order, with its validity rules.

    ``source`` is the packaged ``.csv.gz`` (default) or a plain ``.csv`` in the national
    format. Validity always comes from the packaged ``validity.csv``. Every row is
    yielded, so the 12,219 rows of QĐ 4469 give 12,219 records (J13 appears twice:
    once as its category row and once as its code row).

    Raises ``ValueError`` naming the line when the header lacks a needed column, a row
    has the wrong number of fields, or a row has an empty code.
    """
    path = packaged_icd10_path() if source is None else pathlib.Path(source)
    validity = _load_validity()
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: line 1: empty file, expected the national CSV header")
        header = [name.strip() for name in header]
        missing = [name for name in _REQUIRED_COLUMNS if name not in header]
        if missing:
            raise ValueError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        index = {name: header.index(name) for name in _REQUIRED_COLUMNS}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a trailing blank line is not a malformed row
            if len(row) != len(header):
                raise ValueError(f"{path}: line {line}: expected {len(header)} fields, found {len(row)}")
            cells = {name: row[position].strip() for name, position in index.items()}
            code = cells["code"]
            if not code:
                raise ValueError(f"{path}: line {line}: empty code")
            rules = validity.get(code, _NO_RULES)
            yield Icd10Record(
                code=code,
                code_plain=cells["code_plain"] or _plain(code),
                name_vi=cells["name_vi"],
                name_en=cells["name_en"],
                chapter_code=cells["chapter_code"],
                group_code=cells["group_code"],
                type_code=cells["type_code"],
                sex=rules.sex,
                min_age_days=rules.min_age_days,
                max_age_days=rules.max_age_days,
                # The catalog's own mark counts even for a code no appendix names.
                is_asterisk=rules.is_asterisk or code.endswith("*"),
                is_dagger=rules.is_dagger or code.endswith(("†", "+")),
                never_main=rules.never_main,
            )


@lru_cache(maxsize=1)
def _load_validity() -> Mapping[str, _Validity]:
    """Packaged validity.csv as code -> rules (read once, on first use)."""
    path = _data_path(_VALIDITY_FILE)
    collected: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            code, rule, value = (row.get(name) or "" for name in ("code", "rule", "value"))
            if not code or not _valid_rule_value(rule, value):
                raise ValueError(f"{path}: line {reader.line_num}: bad validity row {row!r}")
            collected.setdefault(code, {})[rule] = value
    return {
        code: _Validity(
            sex=rules.get("sex"),
            min_age_days=int(rules["min_age_days"]) if "min_age_days" in rules else None,
            max_age_days=int(rules["max_age_days"]) if "max_age_days" in rules else None,
            is_asterisk="asterisk" in rules,
            is_dagger="dagger" in rules,
            never_main="never_main" in rules,
        )
        for code, rules in collected.items()
    }


def _valid_rule_value(rule: str, value: str) -> bool:
    if rule == "sex":
        return value in ("F", "M")
    if rule in ("min_age_days", "max_age_days"):
        return value.isdigit()
    return rule in _RULES and value == "1"


def load_asterisk_pairs() -> dict[str, frozenset[str]]:
    """Dagger code -> the asterisk codes it may be paired with (appendix A1)."""
    path = _data_path(_PAIRS_FILE)
    pairs: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            dagger, asterisk = row.get("dagger") or "", row.get("asterisk") or ""
            if not dagger or not asterisk:
                raise ValueError(f"{path}: line {reader.line_num}: bad pair row {row!r}")
            pairs.setdefault(dagger, set()).add(asterisk)
    return {dagger: frozenset(asterisks) for dagger, asterisks in pairs.items()}
