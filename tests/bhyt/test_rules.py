"""Unit tests of the pure rules: one value against its rule (every rule kind), then the rules across fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from his.bhyt import rules
from his.bhyt.mapping import claim_records
from his.bhyt.schemas import ClaimInput
from his.bhyt.spec import RuleBook

pytestmark = pytest.mark.criterion(36)


def problems(book: RuleBook, table: str, field: str, value: str | None) -> list[str]:
    rule = book.rule(table, field)
    assert rule is not None, f"{table}.{field}"
    return [msgid for msgid, _ in rules.check_value(rule, value, book.code_lists)]


@pytest.mark.parametrize(
    ("table", "field", "value", "expected"),
    [
        # required: yes / conditional / no
        ("XML1", "HO_TEN", "", [rules.MSG_REQUIRED]),
        ("XML1", "HO_TEN", None, [rules.MSG_REQUIRED]),
        ("XML1", "MA_THE_BHYT", "", []),
        ("XML1", "GHI_CHU", "", []),
        # size counts characters, not bytes (Vietnamese letters are 2-3 bytes in UTF-8)
        ("XML1", "HO_TEN", "Nguyễn" * 42, []),
        ("XML1", "HO_TEN", "Nguyễn" * 43, [rules.MSG_TOO_LONG]),
        ("XML1", "MA_CSKCB", "790011", [rules.MSG_TOO_LONG]),
        ("XML1", "LY_DO_VV", "x" * 5000, []),  # size "n": unbounded
        # integer
        ("XML1", "SO_NGAY_DTRI", "12", []),
        ("XML1", "SO_NGAY_DTRI", "1.5", [rules.MSG_NOT_INTEGER]),
        ("XML1", "SO_NGAY_DTRI", "ba", [rules.MSG_NOT_INTEGER]),
        # decimal with its places
        ("XML2", "DON_GIA", "1250.5", []),
        ("XML2", "DON_GIA", "1250.555", []),
        ("XML2", "DON_GIA", "1250.5555", [rules.MSG_TOO_MANY_PLACES]),
        ("XML2", "THANH_TIEN_BV", "6252.505", [rules.MSG_TOO_MANY_PLACES]),
        ("XML2", "THANH_TIEN_BV", "6.252,50", [rules.MSG_NOT_DECIMAL]),
        ("XML2", "THANH_TIEN_BV", "1e3", [rules.MSG_NOT_DECIMAL]),
        ("XML1", "CAN_NANG", "62.50", []),  # a string field holding a decimal (QĐ 130 "Chuỗi")
        ("XML1", "CAN_NANG", "62,5", [rules.MSG_NOT_DECIMAL]),
        # date
        ("XML1", "NAM_NAM_LIEN_TUC", "20240229", []),
        ("XML1", "NAM_NAM_LIEN_TUC", "20230229", [rules.MSG_BAD_DATE]),
        ("XML1", "NAM_NAM_LIEN_TUC", "2024-02-29", [rules.MSG_TOO_LONG, rules.MSG_BAD_DATE]),
        # datetime
        ("XML1", "NGAY_VAO", "202403150805", []),
        ("XML1", "NGAY_VAO", "202403152460", [rules.MSG_BAD_DATE]),
        ("XML1", "NGAY_VAO", "20240315", [rules.MSG_BAD_DATE]),
        # birth: yyyymmddHHMM, month and day 0000 when unknown
        ("XML1", "NGAY_SINH", "198506120000", []),
        ("XML1", "NGAY_SINH", "198500000000", []),
        ("XML1", "NGAY_SINH", "198506000000", [rules.MSG_BAD_DATE]),
        ("XML1", "NGAY_SINH", "000000000000", [rules.MSG_BAD_DATE]),
        # alternatives: yyyymmdd with an exemption paper, yyyymmddHHMM without one
        ("XML1", "NGAY_MIEN_CCT", "20240405", []),
        ("XML1", "NGAY_MIEN_CCT", "202404050930", []),
        ("XML1", "NGAY_MIEN_CCT", "2024040509", [rules.MSG_BAD_DATE]),
        # several values separated by ';', each checked
        ("XML1", "GT_THE_TU", "20240101;20250101", []),
        ("XML1", "GT_THE_TU", "20240101;2025", [rules.MSG_BAD_DATE]),
        # code lists (KET_QUA_DTRI 8 was added by QĐ 4750)
        ("XML1", "GIOI_TINH", "3", []),
        ("XML1", "GIOI_TINH", "4", [rules.MSG_NOT_IN_LIST]),
        ("XML1", "KET_QUA_DTRI", "8", []),
        ("XML1", "KET_QUA_DTRI", "9", [rules.MSG_NOT_IN_LIST]),
        ("XML1", "MA_LOAI_KCB", "02", []),
        ("XML1", "MA_LOAI_KCB", "2", [rules.MSG_NOT_IN_LIST]),
        ("XML3", "PP_VO_CAM", "5", [rules.MSG_NOT_IN_LIST]),
    ],
)
def test_one_value_against_its_rule(
    rulebook: RuleBook, table: str, field: str, value: str | None, expected: list[str]
) -> None:
    assert problems(rulebook, table, field, value) == expected


def test_a_violation_names_table_field_line_and_reason(rulebook: RuleBook) -> None:
    found = rules.check_records(rulebook, "XML2", [{"MA_LK": "A", "STT": "1", "DON_GIA": "x", "NOT_A_FIELD": "1"}])
    by_field = {v.field: v for v in found}
    assert by_field["DON_GIA"].label() == "XML2 / DON_GIA (line 1)"
    assert by_field["DON_GIA"].message() == "'x' is not a number (digits, '.' as the decimal mark)"
    assert by_field["NOT_A_FIELD"].msgid == rules.MSG_UNKNOWN_FIELD
    assert by_field["TEN_THUOC"].msgid == rules.MSG_REQUIRED


@pytest.fixture
def records(rulebook: RuleBook, claim: ClaimInput) -> dict[str, list[dict[str, str]]]:
    return claim_records(rulebook, claim)


def test_the_example_claim_breaks_no_rule(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    assert rules.check_claim(rulebook, records) == []
    summary = records["XML1"][0]
    # 5000 + 6252.50 drugs; 38700 + 46200 services; 80 % paid by the fund.
    assert (summary["T_THUOC"], summary["T_TONGCHI_BV"], summary["T_VTYT"]) == ("11252.50", "96152.50", "0")
    assert (summary["T_BHTT"], summary["T_BNCCT"], summary["T_BHTT_GDV"]) == ("76922.00", "19230.50", "76922.00")


def _fields(found: list[rules.Violation]) -> set[tuple[str, str]]:
    return {(v.table, v.field) for v in found}


def test_a_changed_line_amount_breaks_its_formula_and_the_xml1_totals(
    rulebook: RuleBook, records: dict[str, list[dict[str, str]]]
) -> None:
    records["XML2"][1]["THANH_TIEN_BV"] = "6352.50"
    found = _fields(rules.check_claim(rulebook, records))
    assert {("XML2", "THANH_TIEN_BV"), ("XML1", "T_THUOC"), ("XML1", "T_TONGCHI_BV"), ("XML2", "T_BNTT")} <= found


def test_a_supply_line_counts_in_t_vtyt(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    records["XML3"][1]["MA_VAT_TU"] = "N03.01.010"
    records["XML3"][1]["TEN_VAT_TU"] = "Bơm tiêm 5ml"
    violation = next(v for v in rules.check_claim(rulebook, records) if v.field == "T_VTYT")
    assert violation.params == {
        "value": "0",
        "expected": "46200.00",
        "source": "XML3 THANH_TIEN_BV of lines with MA_VAT_TU",
    }


def test_t_bhtt_is_t_tongchi_bh_minus_t_bncct(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    records["XML1"][0]["T_BHTT"] = "76923.00"
    found = rules.check_claim(rulebook, records)
    assert [(v.field, v.params["formula"]) for v in found] == [("T_BHTT", "T_TONGCHI_BH - T_BNCCT")]


def test_service_line_formula_uses_the_special_rate(rulebook: RuleBook) -> None:
    # A second consultation paid at 30 % (TYLE_TT_DV): 38700 * 30 / 100.
    assert rules.service_amounts(Decimal(1), Decimal(38700), Decimal(38700), 30, 100) == (
        Decimal("11610.00"),
        Decimal("11610.00"),
    )
    assert rules.service_amounts(Decimal("0.5"), Decimal(200000), Decimal(180000), None, 50) == (
        Decimal("100000.00"),
        Decimal("45000.00"),
    )


def test_other_sources_must_add_up(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    records["XML3"][0]["T_NGUONKHAC_NSNN"] = "1000"
    found = [v for v in rules.check_claim(rulebook, records) if v.table == "XML3"]
    assert [(v.field, v.line) for v in found] == [("T_NGUONKHAC", 1)]


def test_treatment_days_follow_the_kind_of_visit(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    summary = records["XML1"][0]
    summary["SO_NGAY_DTRI"] = "2"
    assert [v.msgid for v in rules.check_summary(summary)] == [rules.MSG_DAYS]
    summary["MA_LOAI_KCB"] = "01"
    assert [v.msgid for v in rules.check_summary(summary)] == [rules.MSG_ZERO_DAYS]
    summary["SO_NGAY_DTRI"] = "0"
    assert rules.check_summary(summary) == []
    found = rules.check_claim(rulebook, records)
    assert [(v.field, v.msgid) for v in found] == [("MA_LOAI_KCB", rules.MSG_NO_PROGRESS_TABLE)]


def test_card_fields_are_required_with_a_card(records: dict[str, list[dict[str, str]]]) -> None:
    summary = records["XML1"][0]
    summary["GT_THE_DEN"] = ""
    assert [(v.field, v.params) for v in rules.check_summary(summary)] == [("GT_THE_DEN", {"other": "MA_THE_BHYT"})]
    for name in ("MA_THE_BHYT", "MA_DKBD", "GT_THE_TU"):
        summary[name] = ""
    assert rules.check_summary(summary) == []


def test_lines_link_to_xml1_and_count_from_one(rulebook: RuleBook, records: dict[str, list[dict[str, str]]]) -> None:
    records["XML4"][0]["MA_LK"] = "OTHER"
    records["XML2"][1]["STT"] = "3"
    found = [(v.table, v.field, v.line) for v in rules.check_links(records)]
    assert found == [("XML2", "STT", 2), ("XML4", "MA_LK", 1)]


def test_a_service_line_names_a_service_or_a_supply(records: dict[str, list[dict[str, str]]]) -> None:
    line = records["XML3"][0]
    line["MA_DICH_VU"] = ""
    assert [v.msgid for v in rules.check_services([line])] == [rules.MSG_SERVICE_OR_SUPPLY]
    line["MA_VAT_TU"] = "N03.01.010"
    assert [(v.field, v.msgid) for v in rules.check_services([line])] == [("TEN_VAT_TU", rules.MSG_REQUIRED_WITH)]
