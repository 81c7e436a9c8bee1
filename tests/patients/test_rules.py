"""Pure rules of the patient registry: card numbers, CCCD, passports, phones, names, duplicates, age."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from his.patients import rules
from his.patients.rules import Age, CardParts, PatientFacts, Problem

pytestmark = pytest.mark.criterion(32)


def messages(problems: object) -> list[str]:
    assert isinstance(problems, list)
    return [p.message for p in problems]


# ---------------------------------------------------------------- BHYT card numbers


def test_a_valid_card_number_splits_into_its_four_boxes() -> None:
    parts = rules.parse_card_number("DN4797912345678")
    assert parts == CardParts("DN4797912345678", "DN", 4, "79", "7912345678")
    # As printed, with the spaces between the boxes, and in lower case.
    assert rules.parse_card_number("dn4 79 79123-45678") == parts


def test_the_object_code_must_be_one_in_force() -> None:
    assert messages(rules.parse_card_number("ZZ4797912345678")) == [
        "{code} is not a known object code of a health-insurance card"
    ]
    for code in ("TE", "HT", "CC", "QN", "GD", "HN", "SV"):
        assert isinstance(rules.parse_card_number(f"{code}1797912345678"), CardParts)


@pytest.mark.parametrize("level", ["0", "6", "9", "X"])
def test_the_benefit_level_is_a_digit_from_1_to_5(level: str) -> None:
    problems = rules.parse_card_number(f"DN{level}797912345678")
    assert isinstance(problems, list) and len(problems) == 1
    assert problems[0].message.startswith("The benefit level") and problems[0].params == {"value": level}


@pytest.mark.parametrize("province", ["00", "A1", "7 "])
def test_the_province_code_is_two_digits_01_to_99(province: str) -> None:
    problems = rules.parse_card_number(f"DN4{province}7912345678".replace(" ", "Q"))
    assert isinstance(problems, list)
    assert any(p.message.startswith("The province code") for p in problems)


def test_the_social_insurance_number_is_ten_digits_and_every_problem_is_reported() -> None:
    problems = rules.parse_card_number("ZZ0007912A45678", field_name="card.card_number")
    assert isinstance(problems, list)
    assert len(problems) == 4 and {p.field for p in problems} == {"card.card_number"}
    assert problems[-1].message.startswith("The social-insurance number")


def test_a_card_number_has_15_characters() -> None:
    problems = rules.parse_card_number("DN479791234567")
    assert isinstance(problems, list)
    assert problems[0].params == {"expected": 15, "found": 14}


def test_the_initial_facility_code_is_five_digits() -> None:
    assert rules.check_facility_code("79999") == []
    assert rules.check_facility_code("7999") and rules.check_facility_code("7999A")


# ---------------------------------------------------------------- CCCD and passport


def test_cccd_encodes_province_century_sex_and_year() -> None:
    assert rules.check_cccd("079090123456", sex="M", birth_year=1990) == []  # 0: man born 1900-1999
    assert rules.check_cccd("079190123456", sex="F", birth_year=1990) == []  # 1: woman born 1900-1999
    assert rules.check_cccd("001205123456", sex="M", birth_year=2005) == []  # 2: man born 2000-2099
    assert rules.check_cccd("096318123456", sex="F", birth_year=2018) == []  # 3: woman born 2000-2099
    assert rules.check_cccd("079090123456") == []  # nothing stated, nothing to contradict


def test_cccd_of_the_other_sex_or_another_century_is_refused() -> None:
    assert messages(rules.check_cccd("079090123456", sex="F", birth_year=1990)) == [
        "The CCCD number is that of a person of the other sex"
    ]
    wrong_century = rules.check_cccd("079005123456", sex="M", birth_year=2005)
    assert [p.params for p in wrong_century] == [{"encoded": 1905, "stated": 2005}]
    assert [p.params for p in rules.check_cccd("079091123456", sex="M", birth_year=1990)] == [
        {"encoded": 1991, "stated": 1990}
    ]


@pytest.mark.parametrize("number", ["07909012345", "0790901234567", "07909012345A", "079 90123456"])
def test_cccd_is_exactly_twelve_digits(number: str) -> None:
    assert messages(rules.check_cccd(number)) == ["A CCCD number has exactly 12 digits"]


@pytest.mark.parametrize("number", ["000090123456", "097090123456"])
def test_cccd_starts_with_a_province_code_001_to_096(number: str) -> None:
    assert messages(rules.check_cccd(number)) == [
        "The first 3 digits of a CCCD number are a province code from 001 to 096"
    ]


def test_passport_is_8_or_9_letters_or_digits() -> None:
    assert rules.check_passport("C1234567") == [] and rules.check_passport("123456789") == []
    assert rules.check_passport("C123456") and rules.check_passport("C12345678X") and rules.check_passport("C123-4567")


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0903123456", "0903123456"),
        ("0903 123 456", "0903123456"),
        ("0903.123.456", "0903123456"),
        ("+84 903 123 456", "0903123456"),
        ("+84903123456", "0903123456"),
        ("84903123456", "0903123456"),
        ("0084 903 123 456", "0903123456"),
        ("(028) 3822-0000", "02838220000"),
        ("+84 28 3822 0000", "02838220000"),
        ("0387654321", "0387654321"),
    ],
)
def test_phones_are_stored_in_the_national_form(typed: str, stored: str) -> None:
    assert rules.normalize_phone(typed) == stored


@pytest.mark.parametrize("typed", ["0123456789", "090312345", "09031234567", "12345", "0903abc456", "+1 555 0100"])
def test_numbers_outside_the_numbering_plan_are_refused(typed: str) -> None:
    problem = rules.normalize_phone(typed, field_name="guardian_phone")
    assert isinstance(problem, Problem) and problem.field == "guardian_phone"


# ---------------------------------------------------------------- names and folding


def test_folding_ignores_accents_case_and_spaces() -> None:
    assert rules.fold("Nguyễn  Văn Ân") == "nguyen van an"
    assert rules.fold("ĐẶNG THỊ Đào") == "dang thi dao"
    decomposed = unicodedata.normalize("NFD", "Trần Thị Thủy")
    assert rules.fold(decomposed) == rules.fold("Tran thi THUY") == "tran thi thuy"
    assert rules.query_terms("  nguyen   VĂN ") == ["nguyen", "van"] and rules.query_terms(None) == []


def test_names_are_nfc_single_spaced_and_title_cased_when_typed_in_one_case() -> None:
    assert rules.normalize_name("  nguyễn   văn an ") == "Nguyễn Văn An"
    assert rules.normalize_name("NGUYỄN VĂN ĐỨC") == "Nguyễn Văn Đức"
    assert rules.normalize_name(unicodedata.normalize("NFD", "Lê Thị Hồng")) == unicodedata.normalize(
        "NFC", "Lê Thị Hồng"
    )
    assert rules.normalize_name("John  McDonald") == "John McDonald"  # mixed case is kept as typed


# ---------------------------------------------------------------- duplicates


def facts(**changes: object) -> PatientFacts:
    base: dict[str, object] = {
        "search_name": "nguyen van an",
        "birth_date": date(1990, 5, 1),
        "birth_year": 1990,
        "cccd": None,
        "phone": None,
        "social_insurance_numbers": frozenset(),
        "temporary_reason": None,
    }
    base.update(changes)
    return PatientFacts(**base)  # type: ignore[arg-type]


def test_same_cccd_or_social_insurance_number_is_certain() -> None:
    match = rules.duplicate_match(facts(cccd="079090123456"), facts(search_name="le van binh", cccd="079090123456"))
    assert match is not None and match.certainty == "certain" and match.reasons == ("cccd",)
    numbers = frozenset({"7912345678"})
    other = facts(search_name="x", birth_date=None, birth_year=1950, social_insurance_numbers=numbers | {"0100000001"})
    match = rules.duplicate_match(facts(social_insurance_numbers=numbers), other)
    assert match is not None and match.certainty == "certain" and match.reasons == ("social_insurance_number",)


def test_same_folded_name_and_birth_date_is_likely() -> None:
    match = rules.duplicate_match(facts(), facts(birth_date=date(1990, 5, 1)))
    assert match is not None and match.certainty == "likely" and match.reasons == ("name_birth_date",)
    assert rules.duplicate_match(facts(), facts(birth_date=date(1990, 5, 2))) is None


def test_same_name_year_and_phone_is_likely_but_name_and_year_alone_are_not() -> None:
    new = facts(birth_date=None, phone="0903123456")
    assert rules.duplicate_match(new, facts(birth_date=date(1990, 8, 8), phone="0903123456")) == rules.DuplicateMatch(
        "likely", ("name_birth_year_phone",)
    )
    assert rules.duplicate_match(new, facts(birth_date=date(1990, 8, 8), phone="0912000000")) is None
    assert rules.duplicate_match(facts(birth_date=None), facts(birth_date=None)) is None


def test_stand_in_names_of_unknown_patients_are_not_compared() -> None:
    unknown = facts(search_name="khong ro ten", birth_date=None, birth_year=1986, phone=None)
    other = facts(search_name="khong ro ten", birth_date=None, birth_year=1986)
    assert rules.duplicate_match(unknown, other) is None  # both confirmed: would compare, but no date/phone
    a = facts(search_name="khong ro ten", temporary_reason="unidentified_emergency", birth_date=date(1986, 1, 1))
    b = facts(search_name="khong ro ten", temporary_reason="unidentified_emergency", birth_date=date(1986, 1, 1))
    assert rules.duplicate_match(a, b) is None
    assert rules.duplicate_match(facts(), facts(temporary_reason="newborn")) is None
    assert rules.strongest([]) is None


# ---------------------------------------------------------------- age


def test_age_in_days_months_or_years() -> None:
    on = date(2026, 3, 15)
    assert rules.age_of(birth_date=date(2026, 3, 10), birth_year=2026, on=on) == Age(5, "day")
    assert rules.age_of(birth_date=date(2026, 2, 15), birth_year=2026, on=on) == Age(1, "month")
    assert rules.age_of(birth_date=date(2020, 3, 16), birth_year=2020, on=on) == Age(71, "month")
    assert rules.age_of(birth_date=date(2020, 3, 15), birth_year=2020, on=on) == Age(6, "year")
    assert rules.age_of(birth_date=date(1950, 12, 31), birth_year=1950, on=on) == Age(75, "year")
    assert rules.age_of(birth_date=None, birth_year=1950, on=on) == Age(76, "year")
    assert rules.age_of(birth_date=date(2026, 4, 1), birth_year=2026, on=on) is None
    assert rules.is_under_six(birth_date=date(2020, 3, 16), birth_year=2020, on=on)
    assert not rules.is_under_six(birth_date=None, birth_year=2020, on=on)
