"""The packaged national ICD-10 catalog (QĐ 4469/QĐ-BYT) and its validity lists.

Spot checks name codes that the workbook appendices list (see data/icd10/README.md).
"""

from __future__ import annotations

import csv
import gzip
import pathlib
import subprocess
import sys
from collections import Counter

import pytest

from his.catalogs.icd10 import Icd10Record, iter_icd10_records, load_asterisk_pairs, packaged_icd10_path

SHARED = pathlib.Path("/work/shared/standards/vn")
SHARED_CSV = SHARED / "icd10-qd4469.csv"
SHARED_XLSX = SHARED / "icd10-qd4469.xlsx"
DATA_DIR = packaged_icd10_path().parent
CATALOG_ROWS = 12_219


@pytest.fixture(scope="module")
def records() -> list[Icd10Record]:
    return list(iter_icd10_records())


@pytest.fixture(scope="module")
def by_code(records: list[Icd10Record]) -> dict[str, Icd10Record]:
    return {record.code: record for record in records}


def test_packaged_path_is_the_gzip_in_the_package() -> None:
    path = packaged_icd10_path()
    assert path.name == "icd10-qd4469.csv.gz"
    assert path.is_file()
    assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_reads_all_12219_rows(records: list[Icd10Record]) -> None:
    assert len(records) == CATALOG_ROWS
    assert all(record.code and record.code_plain and record.name_vi for record in records)
    # J13 is written twice in the national file (category row and code row).
    assert [code for code, n in Counter(r.code for r in records).items() if n > 1] == ["J13"]


@pytest.mark.skipif(not SHARED_CSV.is_file(), reason="national CSV not available")
def test_packaged_gzip_is_the_national_csv_unchanged() -> None:
    assert gzip.decompress(packaged_icd10_path().read_bytes()) == SHARED_CSV.read_bytes()


@pytest.mark.skipif(not SHARED_CSV.is_file(), reason="national CSV not available")
def test_plain_csv_source_reads_the_same(records: list[Icd10Record]) -> None:
    assert list(iter_icd10_records(SHARED_CSV)) == records


def test_record_fields(by_code: dict[str, Icd10Record]) -> None:
    record = by_code["A17.0†"]
    assert record.code_plain == "A170"
    assert record.chapter_code == "A00-B99"
    assert record.group_code == "A15-A19"
    assert record.type_code == "A17"
    assert record.name_en.startswith("Tuberculous meningitis")
    assert record.is_dagger and not record.is_asterisk


@pytest.mark.parametrize("code", ["C53.0", "N70.0", "O00.0", "O80.0", "A34", "R87"])
def test_female_only_codes_from_a4_1(by_code: dict[str, Icd10Record], code: str) -> None:
    # A4.1 lists C530, N700, O000, O800, A34 and R870-R879 (R87 has no subcodes in the catalog).
    assert by_code[code].sex == "F"


def test_female_only_category_row_follows_its_subcodes(by_code: dict[str, Icd10Record]) -> None:
    # A4.1 lists every O80.x; the category row O80 is their union.
    assert by_code["O80"].sex == "F"


@pytest.mark.parametrize("code", ["C61", "N40", "B26.0†", "R86"])
def test_male_only_codes_from_a4_2(by_code: dict[str, Icd10Record], code: str) -> None:
    assert by_code[code].sex == "M"


def test_codes_without_sex_rule(by_code: dict[str, Icd10Record]) -> None:
    assert by_code["J13"].sex is None
    assert by_code["A00.0"].sex is None


def test_asterisk_codes_are_never_main(by_code: dict[str, Icd10Record]) -> None:
    # A1 pairs A01.0 with G01 and I39.0; A2 lists both as never main diagnosis.
    for code in ("G01*", "I39.0*"):
        assert by_code[code].is_asterisk
        assert by_code[code].never_main
    # The catalog marks M07.4 without "*", but A1/A2 name it an asterisk code.
    assert by_code["M07.4"].is_asterisk


def test_never_main_from_a2(by_code: dict[str, Icd10Record]) -> None:
    assert by_code["B95.0"].never_main and not by_code["B95.0"].is_asterisk
    assert not by_code["A00.0"].never_main


@pytest.mark.parametrize(
    ("code", "min_days", "max_days"),
    [
        ("P00.0", None, 365),  # A3.1: 0-365 days
        ("R95.0", None, 730),  # A3.2: 0 days-2 years; R95 listed as a category
        ("E30.1", None, 3650),  # A3.3: 0 days-10 years
        ("G93.7", None, 6935),  # A3.4: 0 days-19 years
        ("F80.0", 28, None),  # A3.5: over 27 days
        ("C61", 365, None),  # A3.6: 1 year and over
        ("E30.9", 2920, 6935),  # A3.7: 8-19 years
        ("O80.0", 3285, 21900),  # A3.8: 9-60 years
        ("A52.0†", 5476, None),  # A3.9: over 15 years
        ("G30.1", 10951, None),  # A3.10: over 30 years
        ("M80.0", 10951, None),  # A3.10 lists M8000-M8009; the catalog stops at M80.0
    ],
)
def test_age_limited_codes_from_a3(
    by_code: dict[str, Icd10Record], code: str, min_days: int | None, max_days: int | None
) -> None:
    record = by_code[code]
    assert (record.min_age_days, record.max_age_days) == (min_days, max_days)


def test_asterisk_pairs_from_a1() -> None:
    pairs = load_asterisk_pairs()
    assert {"G01*", "I39.0*", "J17.0*"} <= pairs["A01.0"]
    assert all(isinstance(value, frozenset) and value for value in pairs.values())


def test_validity_csv_is_sorted_unique_and_names_catalog_codes(records: list[Icd10Record]) -> None:
    codes = {record.code for record in records}
    with (DATA_DIR / "validity.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["code", "rule", "value", "source"]
        rows = list(reader)
    keys = [(row["code"], row["rule"]) for row in rows]
    assert len(set(keys)) == len(keys)
    assert [row["code"] for row in rows] == sorted(row["code"] for row in rows)
    assert {row["code"] for row in rows} <= codes
    assert {row["rule"] for row in rows} == {
        "asterisk",
        "dagger",
        "never_main",
        "sex",
        "min_age_days",
        "max_age_days",
    }
    assert all(row["source"] for row in rows)


def _write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = (
    "chapter_no,chapter_code,chapter_en,chapter_vi,group_code,group_en,group_vi,sub1_code,sub1_en,sub1_vi,"
    "sub2_code,sub2_en,sub2_vi,type_code,type_en,type_vi,code,code_plain,name_en,name_vi,note,updated"
)
GOOD_ROW = "I,A00-B99,Inf,Nhiễm,A00-A09,Int,Ruột,,,,,,,A00,Cholera,Tả,A00.0,A000,Cholera 01,Tả 01,,"


def test_plain_csv_in_national_format(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path / "small.csv", f"{HEADER}\n{GOOD_ROW}\n")
    (record,) = iter_icd10_records(path)
    assert record.code == "A00.0" and record.name_vi == "Tả 01" and record.type_code == "A00"


def test_missing_code_column_names_line_1(tmp_path: pathlib.Path) -> None:
    header = HEADER.replace(",code,", ",kode,")
    path = _write(tmp_path / "bad.csv", f"{header}\n{GOOD_ROW}\n")
    with pytest.raises(ValueError, match=r"line 1\b.*code"):
        list(iter_icd10_records(path))


def test_empty_code_names_the_line(tmp_path: pathlib.Path) -> None:
    bad_row = GOOD_ROW.replace(",A00.0,", ",,")
    path = _write(tmp_path / "bad.csv", f"{HEADER}\n{GOOD_ROW}\n{bad_row}\n")
    with pytest.raises(ValueError, match=r"line 3: empty code"):
        list(iter_icd10_records(path))


def test_wrong_field_count_names_the_line(tmp_path: pathlib.Path) -> None:
    path = _write(tmp_path / "bad.csv", f"{HEADER}\n{GOOD_ROW}\nI,A00-B99,short\n")
    with pytest.raises(ValueError, match=r"line 3: expected 22 fields, found 3"):
        list(iter_icd10_records(path))


def test_gzip_source_with_bad_row(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{GOOD_ROW.replace(',A00.0,', ',  ,')}\n".encode()))
    with pytest.raises(ValueError, match=r"line 2: empty code"):
        list(iter_icd10_records(path))


@pytest.mark.skipif(not SHARED_XLSX.is_file(), reason="national workbook not available")
def test_build_script_reproduces_the_packaged_files(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("openpyxl")
    # Run it the way the README says, so the committed data is what the script makes.
    script = DATA_DIR / "build_validity.py"
    done = subprocess.run(
        [sys.executable, str(script), str(SHARED_XLSX), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("validity.csv", "pairs.csv"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
