"""Accent folding and the cell parsers of the catalog specs (pure, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from his.catalogs.specs import SPECS, CellError, RowErrors, Substance, optional_tender, parse_strength
from his.catalogs.text import fold, fold_join, query_terms

pytestmark = pytest.mark.criterion(31)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tiểu đường", "tieu duong"),
        ("Đái tháo đường", "dai thao duong"),
        ("ĐÁI THÁO ĐƯỜNG", "dai thao duong"),
        ("  Viêm   phổi\tdo phế cầu  ", "viem phoi do phe cau"),
        ("Bệnh uốn ván sản khoa", "benh uon van san khoa"),
        ("Ửng, ỡ, ậ, ặ, ữ, ỵ", "ung, o, a, a, u, y"),
        ("A17.0†", "a17.0†"),
        ("Ðau đầu", "dau dau"),  # U+00D0 left by old TCVN3 conversions
        ("", ""),
        (None, ""),
    ],
)
def test_fold(text: str | None, folded: str) -> None:
    assert fold(text) == folded


def test_fold_is_idempotent_and_keeps_composed_and_decomposed_input_equal() -> None:
    decomposed = "Tie\u0309u đu\u031b\u0300o\u031bng"  # "Tiểu đường" typed with combining marks
    assert fold(decomposed) == fold("Tiểu đường") == fold(fold("Tiểu đường"))


def test_fold_join_and_query_terms() -> None:
    assert fold_join(["E11", None, "Bệnh đái tháo đường", ""]) == "e11 benh dai thao duong"
    assert query_terms("  Đái  THÁO ") == ["dai", "thao"]
    assert query_terms("   ") == []


@pytest.mark.parametrize(
    ("strength", "value", "unit"),
    [
        ("500 mg", Decimal("500"), "mg"),
        ("500mg", Decimal("500"), "mg"),
        ("0,5 mg/ml", Decimal("0.5"), "mg/ml"),
        ("37,5 mg", Decimal("37.5"), "mg"),
        ("100 IU/ml", Decimal("100"), "IU/ml"),
        ("0,9%/500 ml", Decimal("0.9"), "%/500 ml"),
        ("1.000.000 IU", Decimal("1000000"), "IU"),
        ("25.000 IU/5 ml", Decimal("25000"), "IU/5 ml"),
        ("2.5 mg", Decimal("2.5"), "mg"),
        ("vừa đủ", None, None),
    ],
)
def test_parse_strength(strength: str, value: Decimal | None, unit: str | None) -> None:
    assert parse_strength(strength) == (value, unit)


def test_a_drug_row_parses_its_substances_in_order() -> None:
    code, content = SPECS["drugs"].parse_row(
        {
            "code": "T1",
            "name": "Augmentin 625",
            "substances": "Amoxicilin + Acid clavulanic",
            "strengths": "500 mg + 125 mg",
            "form": "Viên nén bao phim",
            "route": "Uống",
            "unit": "Viên",
            "bhyt_code": "",
            "price": "8500",
        }
    )
    assert code == "T1"
    assert content["substances"] == (
        Substance("Amoxicilin", "500 mg"),
        Substance("Acid clavulanic", "125 mg"),
    )
    assert content["bhyt_code"] is None and content["price"] == 8500


def test_a_bad_row_reports_every_bad_cell() -> None:
    with pytest.raises(RowErrors) as raised:
        SPECS["services"].parse_row(
            {
                "code": "DV 1",
                "name": "",
                "group": "Xét nghiệm",
                "unit": "Lần",
                "hospital_price": "1.500",
                "bhyt_price": "-3",
                "bhyt_code": "",
            }
        )
    assert {(error.column, error.message) for error in raised.value.errors} == {
        ("code", "A code must not contain spaces or any of / ? # % \\"),
        ("name", "A value is required"),
        ("hospital_price", "Write a whole number without separators, e.g. 150000"),
        ("bhyt_price", "Write a whole number without separators, e.g. 150000"),
    }


def test_row_checks_name_their_column() -> None:
    staff = {
        "code": "NV1",
        "name": "Lê Văn An",
        "title": "BS",
        "department_code": "",
        "role": "doctor",
        "practising_certificate_no": "",
    }
    with pytest.raises(RowErrors) as raised:
        SPECS["staff"].parse_row(staff)
    [error] = raised.value.errors
    assert isinstance(error, CellError) and error.column == "practising_certificate_no"
    with pytest.raises(RowErrors) as raised:
        SPECS["drugs"].parse_row(
            {
                "code": "T1",
                "name": "X",
                "substances": "A + B",
                "strengths": "1 mg",
                "form": "Viên",
                "route": "Uống",
                "unit": "Viên",
                "bhyt_code": "",
                "price": "1",
            }
        )
    assert raised.value.errors[0].column == "strengths"
    with pytest.raises(RowErrors):
        SPECS["icd10"].parse_row(
            {
                "code": "A00",
                "code_plain": "A00",
                "name_vi": "Bệnh tả",
                "name_en": "",
                "chapter_code": "",
                "group_code": "",
                "type_code": "",
                "sex": "X",
                "min_age_days": "10",
                "max_age_days": "5",
                "is_asterisk": "maybe",
                "is_dagger": "0",
                "never_main": "0",
            }
        )


def test_format_row_round_trips_through_parse_row() -> None:
    for spec in SPECS.values():
        cells = {
            "icd10": {
                "code": "E11.2†",
                "code_plain": "E112",
                "name_vi": "Bệnh đái tháo đường",
                "name_en": "Diabetes",
                "chapter_code": "E00-E90",
                "group_code": "E10-E14",
                "type_code": "E11",
                "sex": "F",
                "min_age_days": "3650",
                "max_age_days": "",
                "is_asterisk": "0",
                "is_dagger": "1",
                "never_main": "0",
            },
            "departments": {"code": "KNOI", "name": "Khoa Nội", "bhyt_code": "K03"},
            "clinic-rooms": {"code": "P1", "name": "Phòng khám Nội 1", "department_code": "KNOI"},
            "staff": {
                "code": "NV1",
                "name": "Lê Văn An",
                "title": "BS",
                "department_code": "KNOI",
                "practising_certificate_no": "001234/HCM-CCHN",
                "role": "doctor",
            },
            "services": {
                "code": "DV1",
                "name": "Khám Nội",
                "group": "Khám bệnh",
                "unit": "Lần",
                "hospital_price": "50000",
                "bhyt_price": "",
                "bhyt_code": "",
            },
            "drugs": {
                "code": "T1",
                "name": "Paracetamol 500 mg",
                "substances": "Paracetamol",
                "strengths": "500 mg",
                "form": "Viên nén",
                "route": "Uống",
                "unit": "Viên",
                "bhyt_code": "40.1",
                "price": "500",
                "registration_number": "VD-12345-10",
                "tender": "123/QĐ-SYT;G1;N4;2025",
            },
            "supplies": {
                "code": "VT1",
                "name": "Bơm tiêm 5 ml",
                "unit": "Cái",
                "price": "1200",
                "bhyt_code": "",
            },
        }[spec.kind]
        code, content = spec.parse_row(cells)
        assert dict(zip(spec.column_names, spec.format_row(code, content), strict=True)) == cells


@pytest.mark.parametrize(
    "tender", ["123/QĐ-SYT;G1", "123/QĐ-SYT;G1;N4;25", "123/QĐ-SYT;;N4;2025", "a;b;c;2025;e", "x" * 47 + ";G1;N4;2025"]
)
def test_a_tender_is_decision_package_group_and_year(tender: str) -> None:
    with pytest.raises(CellError):
        optional_tender(tender)


def test_a_tender_is_kept_without_stray_spaces() -> None:
    assert optional_tender(" 123/QĐ-SYT ; G1;N4 ;2025") == "123/QĐ-SYT;G1;N4;2025"
    assert optional_tender("") is None


def test_the_example_rows_of_the_documentation_parse() -> None:
    """docs/catalogs.md shows one header and one row per kind; they must be valid input."""
    import csv
    import io
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "catalogs.md").read_text(encoding="utf-8")
    examples = dict(re.findall(r"### `([a-z0-9-]+)`\s+```\n(.*?)```", text, flags=re.DOTALL))
    assert set(examples) == set(SPECS)
    for kind, block in examples.items():
        header, row = list(csv.reader(io.StringIO(block)))
        assert header == list(SPECS[kind].column_names), kind
        SPECS[kind].parse_row(dict(zip(header, row, strict=True)))
