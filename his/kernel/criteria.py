"""The 146 criteria of Circular 54/2017/TT-BYT, Appendix I.

The data lives in ``his/kernel/data/circular54_criteria.csv`` (see the README
next to it); this module only reads it.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib.resources import files
from typing import Final

GROUPS: Final = (
    "infrastructure",
    "management",
    "his",
    "ris_pacs",
    "lis",
    "non_functional",
    "security",
    "emr",
)
TIERS: Final = ("basic", "advanced")

_PACKAGE: Final = "his.kernel"
_DATA_DIR: Final = "data"
_CSV_NAME: Final = "circular54_criteria.csv"
_COLUMNS: Final = ("number", "group", "level", "tier", "text_vi", "text_en")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of Circular 54 Appendix I."""

    number: int
    group: str
    level: int | None
    tier: str | None
    text_vi: str
    text_en: str


def _optional_int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value else None


def _optional_str(value: str) -> str | None:
    value = value.strip()
    return value or None


def _parse_row(row: dict[str, str]) -> Criterion:
    criterion = Criterion(
        number=int(row["number"]),
        group=row["group"].strip(),
        level=_optional_int(row["level"]),
        tier=_optional_str(row["tier"]),
        text_vi=row["text_vi"].strip(),
        text_en=row["text_en"].strip(),
    )
    if criterion.group not in GROUPS:
        raise ValueError(f"criterion {criterion.number}: unknown group {criterion.group!r}")
    if criterion.tier is not None and criterion.tier not in TIERS:
        raise ValueError(f"criterion {criterion.number}: unknown tier {criterion.tier!r}")
    if criterion.level is not None and not 1 <= criterion.level <= 7:
        raise ValueError(f"criterion {criterion.number}: level {criterion.level} not in 1..7")
    return criterion


@functools.cache
def load_criteria() -> dict[int, Criterion]:
    """Return all criteria keyed by number, in number order.

    The result is cached; treat the returned mapping as read-only.
    """
    resource = files(_PACKAGE) / _DATA_DIR / _CSV_NAME
    text = resource.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if tuple(reader.fieldnames or ()) != _COLUMNS:
        raise ValueError(f"unexpected CSV columns: {reader.fieldnames!r}")
    criteria: dict[int, Criterion] = {}
    for row in reader:
        criterion = _parse_row(row)
        if criterion.number in criteria:
            raise ValueError(f"duplicate criterion number {criterion.number}")
        criteria[criterion.number] = criterion
    return dict(sorted(criteria.items()))
