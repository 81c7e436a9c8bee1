"""Rebuild ``validity.csv`` and ``pairs.csv`` from the QĐ 4469/QĐ-BYT workbook.

Usage::

    python build_validity.py WORKBOOK.xlsx [--catalog CATALOG.csv[.gz]] [--out DIR]

The appendices of the workbook list plain codes (no dot, no mark: ``G01``, ``M8000``).
They are expanded against the national catalog (by default the packaged
``icd10-qd4469.csv.gz`` next to this script) so that every output row names one
catalog ``code`` exactly as the catalog spells it (``G01*``, ``A17.0†``, ``N70.0``).
See README.md for the meaning of every rule and of each A3.x age list.

This is a build tool: it needs openpyxl, the runtime reader does not.
Diagnostics go to stderr; the exit status is non-zero when an appendix title
cannot be understood (so a new edition never rebuilds silently wrong).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import re
import sys
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
DEFAULT_CATALOG = HERE / "icd10-qd4469.csv.gz"
DAYS_PER_YEAR = 365  # project convention: 1 year = 365 days

# A plain code as the appendices write it: letter, two digits, up to three more.
CODE_RE = re.compile(r"[A-Z][0-9]{2}[0-9A-Z]{0,3}")
# Each list starts with a title row: "Phụ lục A3.1 Bệnh trẻ sơ sinh (...)".
TITLE_RE = re.compile(r"^Phụ lục\s+([A-Z][0-9]*(?:\.[0-9]+)*)\s*:?\s*(.*)$", re.IGNORECASE)
# Marks the catalog appends to a code: asterisk, and dagger (written † or +).
ASTERISK_MARK = "*"
DAGGER_MARKS = ("†", "+")
CATALOG_SOURCE = "ICD10"  # the workbook sheet that holds the catalog itself

RULE_ORDER = ("asterisk", "dagger", "never_main", "sex", "min_age_days", "max_age_days")


def nfc(value: object) -> str:
    """Cell value as stripped NFC text ('' for empty); Vietnamese may come decomposed."""
    if value is None:
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


# --------------------------------------------------------------------------- catalog


@contextmanager
def open_text(path: Path) -> Iterator[IO[str]]:
    """Open the national CSV, gzip-compressed or not (sniffed, not guessed from the name)."""
    with path.open("rb") as raw:
        compressed = raw.read(2) == b"\x1f\x8b"
    if compressed:
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as text:
            yield text
    else:
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield text


@dataclass
class Catalog:
    """Catalog codes indexed by their plain form (several codes may share one)."""

    by_plain: dict[str, list[str]] = field(default_factory=dict)
    sorted_plains: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Catalog:
        by_plain: dict[str, list[str]] = defaultdict(list)
        with open_text(path) as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                code = (row.get("code") or "").strip()
                plain = (row.get("code_plain") or "").strip()
                if not code or not plain:
                    raise SystemExit(f"{path}: line {line}: empty code or code_plain")
                if code not in by_plain[plain]:
                    by_plain[plain].append(code)
        return cls(dict(by_plain), sorted(by_plain))

    def descendants(self, plain: str) -> list[str]:
        """Plain codes strictly below ``plain`` (e.g. R95 -> R950, R959)."""
        found: list[str] = []
        index = bisect_left(self.sorted_plains, plain)
        for candidate in self.sorted_plains[index:]:
            if not candidate.startswith(plain):
                break
            if candidate != plain:
                found.append(candidate)
        return found

    def codes(self, plains: Iterable[str]) -> set[str]:
        return {code for plain in plains for code in self.by_plain[plain]}

    def all_codes(self) -> set[str]:
        return {code for codes in self.by_plain.values() for code in codes}


# --------------------------------------------------------------------------- workbook


@dataclass
class SourceList:
    """One appendix list (a sheet may hold several, e.g. A3.2, A3.3, A3.4)."""

    list_id: str
    title: str
    sheet: str
    rows: list[list[str]] = field(default_factory=list)

    def column(self, index: int) -> list[str]:
        return [row[index] for row in self.rows if len(row) > index and CODE_RE.fullmatch(row[index])]


def read_workbook(path: Path) -> tuple[list[SourceList], set[str]]:
    """Return the appendix lists and the codes of the catalog sheet (for a cross-check)."""
    from openpyxl import load_workbook  # build-time dependency only

    workbook = load_workbook(path, read_only=True, data_only=False)
    lists: list[SourceList] = []
    sheet_codes: set[str] = set()
    try:
        for sheet in workbook.worksheets:
            current: SourceList | None = None
            header: list[str] | None = None
            for values in sheet.iter_rows(values_only=True):
                cells = [nfc(value) for value in values]
                if not any(cells):
                    continue
                first = cells[0]
                title = TITLE_RE.match(first)
                if title:
                    current = SourceList(title.group(1).upper(), first, sheet.title)
                    lists.append(current)
                    header = None
                    continue
                if header is None and "MÃ BỆNH" in cells:
                    header = cells  # the catalog sheet: remember where the code column is
                    continue
                if header is not None:
                    code = cells[header.index("MÃ BỆNH")]
                    if code:
                        sheet_codes.add(code)
                    continue
                if current is not None and CODE_RE.fullmatch(first):
                    current.rows.append(cells)
    finally:
        workbook.close()
    return lists, sheet_codes


# --------------------------------------------------------------------------- age titles

_UNIT_DAYS = {"ngày": 1, "tuổi": DAYS_PER_YEAR}
_RANGE_RE = re.compile(r"(\d+)\s*(ngày|tuổi)?\s*[-–—]\s*(\d+)(?:/\d+)?\s*(ngày|tuổi)")
_OVER_RE = re.compile(r"trên\s*(\d+)\s*(ngày|tuổi)")
_AT_LEAST_RE = re.compile(r"(\d+)\s*(ngày|tuổi)\s*trở lên")


def parse_age_title(title: str) -> tuple[int | None, int | None]:
    """(min_age_days, max_age_days) stated in an A3.x title, both inclusive.

    Ages are points in time with 1 year = 365 days: "0 ngày - 2 tuổi" -> 0..730,
    "trên 27 ngày" (over 27 days) -> 28.., "trên 15 tuổi" -> 15*365+1..,
    "1 tuổi trở lên" (1 year and over) -> 365..
    """
    text = title.lower()
    match = _RANGE_RE.search(text)
    if match:
        low, low_unit, high, high_unit = match.groups()
        low_days = int(low) * _UNIT_DAYS[low_unit or high_unit]
        return low_days or None, int(high) * _UNIT_DAYS[high_unit]
    match = _OVER_RE.search(text)
    if match:
        return int(match.group(1)) * _UNIT_DAYS[match.group(2)] + 1, None
    match = _AT_LEAST_RE.search(text)
    if match:
        return int(match.group(1)) * _UNIT_DAYS[match.group(2)], None
    raise ValueError(f"cannot read the age rule in title {title!r}")


def parse_sex_title(title: str) -> str:
    text = title.lower()
    if "nữ" in text:
        return "F"
    if "nam" in text:
        return "M"
    raise ValueError(f"cannot read the sex in title {title!r}")


# --------------------------------------------------------------------------- expansion


@dataclass
class Resolver:
    """Maps a listed plain code to catalog codes, and keeps a log of what it did."""

    catalog: Catalog
    universe: set[str]  # every plain code the workbook mentions (E, A2 and all lists)
    log: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))

    def resolve(self, list_id: str, plain: str, listed: set[str]) -> set[str]:
        catalog = self.catalog
        if plain in catalog.by_plain:
            below = catalog.descendants(plain)
            if any(child not in listed for child in below):
                self.log[(list_id, "expanded")].append(plain)
            return catalog.codes([plain, *below])
        ancestors = [plain[:size] for size in range(len(plain) - 1, 2, -1)]
        nearest = next((a for a in ancestors if a in catalog.by_plain), None)
        if nearest is None:
            self.log[(list_id, "not in catalog")].append(plain)
            return set()
        if nearest in listed:
            return set()  # an extension of a listed code: the listed code covers it
        if catalog.descendants(nearest):
            # The catalog splits `nearest` differently: applying the rule to the
            # whole parent would also hit siblings the list does not name.
            self.log[(list_id, "not in catalog")].append(plain)
            return set()
        # `nearest` is a catalog leaf and the list names its finer (5th-character)
        # codes. Roll up only if the list names every such code the workbook knows.
        extensions = {u for u in self.universe if u.startswith(nearest) and u != nearest}
        if extensions <= listed:
            self.log[(list_id, f"rolled up to {nearest}")].append(plain)
            return catalog.codes([nearest])
        self.log[(list_id, f"partial under {nearest}, skipped")].append(plain)
        return set()


@dataclass
class Rows:
    """validity rows keyed by (code, rule); merging keeps the tightest value."""

    values: dict[tuple[str, str], str] = field(default_factory=dict)
    sources: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    problems: list[str] = field(default_factory=list)

    def add(self, code: str, rule: str, value: str, source: str) -> None:
        key = (code, rule)
        old = self.values.get(key)
        if old is None or old == value:
            self.values[key] = value
            self.sources[key].add(source)
        elif rule in ("min_age_days", "max_age_days"):
            # A code in two age lists must satisfy both: keep the tighter bound.
            tighter = max if rule == "min_age_days" else min
            new = str(tighter(int(old), int(value)))
            if new != old:
                self.values[key] = new
                self.sources[key] = {source}
        else:
            self.problems.append(f"{code}: {rule} is both {old} and {value} ({source})")

    def check_ages(self) -> None:
        for (code, rule), value in self.values.items():
            if rule == "min_age_days":
                high = self.values.get((code, "max_age_days"))
                if high is not None and int(high) < int(value):
                    self.problems.append(f"{code}: min_age_days {value} > max_age_days {high}")

    def sorted_rows(self) -> Iterator[tuple[str, str, str, str]]:
        for code, rule in sorted(self.values, key=lambda key: (key[0], RULE_ORDER.index(key[1]))):
            key = (code, rule)
            yield code, rule, self.values[key], ";".join(sorted(self.sources[key]))


# --------------------------------------------------------------------------- build


def build(workbook: Path, catalog_path: Path, out_dir: Path) -> int:
    catalog = Catalog.load(catalog_path)
    lists, sheet_codes = read_workbook(workbook)
    by_id: dict[str, list[SourceList]] = defaultdict(list)
    for source in lists:
        by_id[source.list_id].append(source)
    warn = print_to_stderr

    catalog_codes = catalog.all_codes()
    if sheet_codes and sheet_codes != catalog_codes:
        warn(
            f"catalog sheet and catalog file differ: {len(sheet_codes - catalog_codes)} codes only in "
            f"the sheet, {len(catalog_codes - sheet_codes)} only in the file"
        )
    for needed in ("A1", "A2", "A4.1", "A4.2"):
        if needed not in by_id:
            warn(f"appendix {needed} not found in {workbook}")
            return 2

    universe: set[str] = set()
    for source in lists:
        for row in source.rows:
            universe.update(cell for cell in row if CODE_RE.fullmatch(cell))
    resolver = Resolver(catalog, universe)
    rows = Rows()
    pairs: set[tuple[str, str]] = set()

    # A1: dagger/asterisk pairs (columns: dagger, name, asterisk, name, PDx, name).
    # The PDx column repeats the asterisk code: in the Thai DRG edits this appendix
    # comes from it is the grouper's substitution, not a coding rule (A2 lists every
    # such asterisk code as never main), so it is not used.
    for source in by_id["A1"]:
        daggers = set(source.column(0))
        asterisks = set(source.column(2))
        for row in source.rows:
            dagger_codes = resolver.resolve(source.list_id, row[0], daggers)
            asterisk_codes = resolver.resolve(source.list_id, row[2], asterisks)
            marked = {code for code in dagger_codes if code.endswith(ASTERISK_MARK)}
            if marked:
                # The source pairs an asterisk code as a dagger (M63.8* -> G73.5*): an error.
                resolver.log[(source.list_id, "dagger is an asterisk code, row skipped")].append(f"{row[0]}->{row[2]}")
                continue
            for code in asterisk_codes:
                rows.add(code, "asterisk", "1", source.list_id)
            for code in dagger_codes:
                rows.add(code, "dagger", "1", source.list_id)
            pairs.update((d, a) for d in dagger_codes for a in asterisk_codes)

    # A2: codes never used as main diagnosis; column 2 flags asterisk codes with '*'.
    for source in by_id["A2"]:
        listed = set(source.column(0))
        for row in source.rows:
            codes = resolver.resolve(source.list_id, row[0], listed)
            for code in codes:
                rows.add(code, "never_main", "1", source.list_id)
                if len(row) > 1 and row[1] == ASTERISK_MARK:
                    rows.add(code, "asterisk", "1", source.list_id)

    # The catalog's own marks are authoritative too (a code may be in no appendix).
    for code in catalog_codes:
        if code.endswith(ASTERISK_MARK):
            rows.add(code, "asterisk", "1", CATALOG_SOURCE)
        elif code.endswith(DAGGER_MARKS):
            rows.add(code, "dagger", "1", CATALOG_SOURCE)

    # A3.x: age-valid lists; the rule is stated in each list's title.
    age_ids = sorted((i for i in by_id if i.startswith("A3.")), key=lambda i: int(i.split(".")[1]))
    for list_id in age_ids:
        for source in by_id[list_id]:
            min_days, max_days = parse_age_title(source.title)
            warn(f"{list_id}: {source.title!r} -> min_age_days={min_days}, max_age_days={max_days}")
            listed = set(source.column(0))
            for plain in sorted(listed):
                for code in resolver.resolve(list_id, plain, listed):
                    if min_days is not None:
                        rows.add(code, "min_age_days", str(min_days), list_id)
                    if max_days is not None:
                        rows.add(code, "max_age_days", str(max_days), list_id)

    # A4.1 / A4.2: sex-specific codes; the sex is stated in the title.
    for list_id in ("A4.1", "A4.2"):
        for source in by_id[list_id]:
            sex = parse_sex_title(source.title)
            listed = set(source.column(0))
            for plain in sorted(listed):
                for code in resolver.resolve(list_id, plain, listed):
                    rows.add(code, "sex", sex, list_id)

    # E1 (codes not grouped to a DRG) is expected to repeat A2; say so if not.
    a2 = {c for s in by_id["A2"] for c in s.column(0)}
    e1 = {c for s in by_id.get("E1", []) for c in s.column(0)}
    if e1 and e1 != a2:
        warn(f"E1 differs from A2: {len(e1 - a2)} only in E1, {len(a2 - e1)} only in A2")

    close_categories(catalog, rows)
    rows.check_ages()
    for (list_id, what), plains in sorted(resolver.log.items()):
        unique = sorted(set(plains))
        warn(f"{list_id}: {what}: {len(unique)} [{', '.join(unique)}]")
    for problem in rows.problems:
        warn(f"conflict: {problem}")

    write_csv(out_dir / "validity.csv", ("code", "rule", "value", "source"), rows.sorted_rows())
    write_csv(out_dir / "pairs.csv", ("dagger", "asterisk"), sorted(pairs))
    counts: dict[str, int] = defaultdict(int)
    for _code, rule, value, _source in rows.sorted_rows():
        counts[f"{rule}={value}" if rule == "sex" else rule] += 1
    warn("rows: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f"; pairs {len(pairs)}")
    return 1 if rows.problems else 0


def close_categories(catalog: Catalog, rows: Rows) -> None:
    """Give a category row (e.g. O80, N70) a rule when every leaf code below it has it.

    The appendices list leaves (O80.0, N70.0); a category is exactly the union of its
    leaves, so a check on the category row must agree with them. Dagger is left out:
    it belongs to a pair, not to a set of codes.
    """
    leaves_below: dict[str, list[str]] = {}
    for plain in catalog.sorted_plains:
        below = catalog.descendants(plain)
        if below:
            leaves_below[plain] = [p for p in below if not catalog.descendants(p)]
    for plain, leaves in leaves_below.items():
        leaf_codes = sorted(catalog.codes(leaves))
        for rule in ("asterisk", "never_main", "sex", "min_age_days", "max_age_days"):
            values = [rows.values.get((code, rule)) for code in leaf_codes]
            present = [value for value in values if value is not None]
            if len(present) != len(values):
                continue
            if rule in ("min_age_days", "max_age_days"):
                pick = min if rule == "min_age_days" else max  # the loosest leaf bound
                value = str(pick(int(v) for v in present))
            elif len(set(present)) == 1:
                value = present[0]
            else:
                continue
            # Name the lists that state the chosen value, not every list a leaf is in.
            sources = set().union(
                *(rows.sources[(code, rule)] for code in leaf_codes if rows.values[(code, rule)] == value)
            )
            for code in catalog.codes([plain]):
                if (code, rule) not in rows.values:
                    rows.values[(code, rule)] = value
                    rows.sources[(code, rule)] = set(sources)


def write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workbook", type=Path, help="icd10-qd4469.xlsx (QĐ 4469/QĐ-BYT)")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, help="national CSV (.csv or .csv.gz)")
    parser.add_argument("--out", type=Path, default=HERE, help="directory for validity.csv and pairs.csv")
    args = parser.parse_args(argv)
    try:
        return build(args.workbook, args.catalog, args.out)
    except ValueError as error:
        print_to_stderr(f"error: {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
