"""The pure rules of the examination and the prescription."""

from __future__ import annotations

import random
import string
from datetime import date
from decimal import Decimal

import pytest

from his.outpatient import rules
from his.outpatient.rules import DiagnosisLine, LineDose, PrescriptionPatient, Vitals

pytestmark = pytest.mark.criterion(33)
TODAY = date(2026, 11, 22)


def test_the_prescription_code_has_14_characters_in_the_national_structure() -> None:
    rng = random.Random(2026)
    codes = [rules.national_prescription_code("79001", letter, rng) for letter in "NHC" for _ in range(300)]
    for code in codes:
        assert len(code) == 14 and code[:5] == "79001" and code[12] == "-" and code[13] in "NHC"
        assert set(code[5:12]) <= set(string.digits + string.ascii_lowercase)
        assert rules.is_prescription_code(code)
    assert len(set(codes)) == len(codes)
    # Over many draws every character of the alphabet turns up: the random part is not narrower than it says.
    assert set("".join(code[5:12] for code in codes)) == set(rules.CODE_ALPHABET)
    assert rules.national_prescription_code("79001", "C").endswith("-C")  # the OS random source by default


@pytest.mark.parametrize(
    "code",
    ["79001abc1234-X", "79001ABC1234-C", "7900abc12345-C", "79001abc1234C", "79001abc123-C", "79001abc12345-C", ""],
)
def test_malformed_prescription_codes_are_refused(code: str) -> None:
    assert not rules.is_prescription_code(code)


def test_code_generation_refuses_a_bad_facility_code_or_type() -> None:
    with pytest.raises(ValueError):
        rules.national_prescription_code("7900", "C")
    with pytest.raises(ValueError):
        rules.national_prescription_code("79001", "X")


@pytest.mark.parametrize(
    ("substances", "letter"),
    [
        (["Morphin hydroclorid"], "N"),
        (["morphine sulfate"], "N"),
        (["Fentanyl (dưới dạng fentanyl citrat)"], "N"),
        (["Pethidin"], "N"),
        (["Diazepam"], "H"),
        (["Phenobarbital"], "H"),
        (["Ephedrin hydroclorid"], "H"),
        (["Pseudoephedrin"], "H"),
        (["Paracetamol"], "C"),
        (["Amoxicilin", "Acid clavulanic"], "C"),
        (["Paracetamol", "Pseudoephedrin"], "H"),
    ],
)
def test_the_prescription_type_comes_from_the_active_substances(substances: list[str], letter: str) -> None:
    assert rules.drug_class(substances) == letter


def test_a_prescription_holds_one_class_of_drugs() -> None:
    assert rules.mixed_class_problems([("Paracetamol", "C"), ("Amoxicilin", "C")]) == []
    problems = rules.mixed_class_problems([("Paracetamol", "C"), ("Morphin", "N")])
    assert [(p.field, p.params["drug"]) for p in problems] == [("lines[1].drug_code", "Morphin")]
    assert rules.prescription_type(["N", "N"]) == "N"


def child(**changes: object) -> PrescriptionPatient:
    values: dict[str, object] = {
        "birth_date": date(2024, 12, 1),
        "birth_year": 2024,
        "weight_kg": Decimal("11.2"),
        "personal_id": None,
        "adult_name": "Lê Văn Dũng",
        "adult_id": "079085001111",
    }
    values.update(changes)
    return PrescriptionPatient(**values)  # type: ignore[arg-type]


def test_a_child_under_72_months_needs_weight_and_an_accompanying_adult() -> None:
    assert rules.prescription_patient_problems(child(), on=TODAY) == []
    fields = [p.field for p in rules.prescription_patient_problems(child(weight_kg=None, adult_name=" "), on=TODAY)]
    assert fields == ["weight_kg", "adult_name"]
    assert [p.field for p in rules.prescription_patient_problems(child(adult_id=None), on=TODAY)] == ["adult_id"]
    # With the birth year only, the age in months cannot be written.
    assert [p.field for p in rules.prescription_patient_problems(child(birth_date=None), on=TODAY)] == ["birth_date"]


def test_from_72_months_the_personal_id_number_is_required() -> None:
    six = child(birth_date=date(2020, 11, 22), adult_name=None, adult_id=None, weight_kg=None)
    assert rules.months_between(date(2020, 11, 22), TODAY) == 72
    assert [p.field for p in rules.prescription_patient_problems(six, on=TODAY)] == ["personal_id"]
    assert (
        rules.prescription_patient_problems(child(birth_date=date(1980, 1, 1), personal_id="079080001234"), on=TODAY)
        == []
    )


def test_age_in_whole_months() -> None:
    assert rules.months_between(date(2024, 5, 23), date(2026, 11, 22)) == 29
    assert rules.months_between(date(2024, 5, 22), date(2026, 11, 22)) == 30
    assert rules.is_young_child(birth_date=date(2020, 11, 23), birth_year=2020, on=TODAY)
    assert not rules.is_young_child(birth_date=date(2020, 11, 22), birth_year=2020, on=TODAY)


@pytest.mark.parametrize(
    ("dose", "times", "days", "given", "quantity"),
    [
        (Decimal(1), 2, 5, None, 10),
        (Decimal("0.5"), 2, 3, None, 3),
        (Decimal("0.5"), 3, 3, None, 5),  # 4.5 tablets: rounded up to whole dispensing units
        (Decimal("1.5"), 1, 3, None, 5),
        (Decimal(1), 2, 5, 12, 12),  # the doctor's quantity wins
    ],
)
def test_quantity_is_dose_times_frequency_times_days_rounded_up(
    dose: Decimal, times: int, days: int, given: int | None, quantity: int
) -> None:
    assert rules.line_quantity(LineDose(dose, times, days, given)) == quantity


def test_line_values_are_checked_field_by_field() -> None:
    assert rules.line_problems(0, LineDose(Decimal(1), 2, 5)) == []
    problems = rules.line_problems(2, LineDose(Decimal(0), 0, 91, 0))
    assert [p.field for p in problems] == [
        "lines[2].dose_per_time",
        "lines[2].times_per_day",
        "lines[2].days",
        "lines[2].quantity",
    ]


def test_the_usage_line_as_printed() -> None:
    assert (
        rules.usage_text(
            route="Uống", times_per_day=2, dose_per_time=Decimal("0.500"), unit="Viên", instructions="sau ăn"
        )
        == "Ngày uống 2 lần, mỗi lần 0,5 viên, sau ăn"
    )
    assert rules.usage_text(route="Tiêm", times_per_day=1, dose_per_time=Decimal(1), unit="Ống", instructions="") == (
        "Ngày dùng 1 lần, mỗi lần 1 ống"
    )


def test_impossible_vital_signs_are_refused_by_field() -> None:
    assert rules.vital_problems(Vitals(pulse=72, temperature=Decimal("36.8"), systolic=120, diastolic=80)) == []
    problems = rules.vital_problems(
        Vitals(pulse=900, temperature=Decimal("48"), spo2=101, weight_kg=Decimal("0"), height_cm=Decimal("400"))
    )
    assert [p.field for p in problems] == ["pulse", "temperature", "spo2", "height_cm", "weight_kg"]
    assert problems[0].params == {"value": "900", "unit": "/min", "low": "20", "high": "300"}
    assert [p.field for p in rules.vital_problems(Vitals(systolic=80, diastolic=90))] == ["diastolic"]


def test_abnormal_vital_signs_are_warnings_with_adult_ranges_for_adults_only() -> None:
    vitals = Vitals(pulse=130, temperature=Decimal("39.2"), spo2=91, respiratory_rate=30, systolic=100, diastolic=70)
    adult = {w.field for w in rules.vital_warnings(vitals, age_years=40)}
    assert adult == {"pulse", "temperature", "spo2", "respiratory_rate"}
    # A two-year-old's pulse of 130 and breathing rate of 30 are normal: only fever and low SpO2 are flagged.
    assert {w.field for w in rules.vital_warnings(vitals, age_years=2)} == {"temperature", "spo2"}


def test_bmi_with_the_asian_cut_offs() -> None:
    assert rules.body_mass_index(Decimal(170), Decimal(65)) == Decimal("22.5")
    assert rules.body_mass_index(None, Decimal(65)) is None
    heavy = rules.vital_warnings(Vitals(height_cm=Decimal(160), weight_kg=Decimal(62)), age_years=40)
    assert [(w.field, w.params["bmi"]) for w in heavy] == [("weight_kg", "24.2")]
    thin = rules.vital_warnings(Vitals(height_cm=Decimal(170), weight_kg=Decimal(50)), age_years=40)
    assert [w.message for w in thin] == [rules.MSG_BMI_LOW]


def test_exactly_one_main_diagnosis_and_no_code_twice() -> None:
    assert rules.diagnosis_set_problems([DiagnosisLine("J06.9", True), DiagnosisLine("I10", False)]) == []
    assert [p.field for p in rules.diagnosis_set_problems([])] == ["diagnoses"]
    assert [p.message for p in rules.diagnosis_set_problems([DiagnosisLine("I10", False)])] == [rules.MSG_ONE_MAIN]
    two = rules.diagnosis_set_problems([DiagnosisLine("I10", True), DiagnosisLine("J06.9", True)])
    assert [p.message for p in two] == [rules.MSG_ONE_MAIN]
    again = rules.diagnosis_set_problems([DiagnosisLine("A17.0†", True), DiagnosisLine("a170", False)])
    assert [(p.field, p.message) for p in again] == [("diagnoses[1].code", rules.MSG_DUPLICATE_DIAGNOSIS)]


def test_disposition_rules() -> None:
    assert rules.disposition_problems("home", follow_up=None, note="", today=TODAY) == []
    assert [p.field for p in rules.disposition_problems("follow_up", follow_up=TODAY, note="", today=TODAY)] == [
        "follow_up_date"
    ]
    assert [p.field for p in rules.disposition_problems("transfer", follow_up=None, note=" ", today=TODAY)] == [
        "disposition_note"
    ]
    assert [p.field for p in rules.disposition_problems("discharge", follow_up=None, note="", today=TODAY)] == [
        "disposition"
    ]
