"""Pure rules of the decision module: paediatric dose, strengths, alert keys, the protocol texts' catalog."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from cdss.protocols import default_protocols
from his.decision import rules


def test_mosteller_body_surface() -> None:
    # 180 cm, 80 kg: sqrt(180 * 80 / 3600) = 2.0 m².
    assert math.isclose(rules.mosteller_bsa(180, 80), 2.0)
    assert math.isclose(rules.mosteller_bsa(100, 16), math.sqrt(100 * 16 / 3600))


def test_dose_by_weight_per_dose_and_per_day() -> None:
    # Amoxicillin 25 mg/kg per dose, 3 times a day, 14 kg -> 350 mg per dose, 1050 mg a day.
    result = rules.paediatric_dose(weight_kg=14, times_per_day=3, mg_per_kg=25)
    assert (result.basis, result.per_dose_mg, result.per_day_mg, result.capped) == ("weight", 350, 1050, False)
    # Paracetamol 60 mg/kg per day in 4 doses, 10 kg -> 150 mg per dose.
    assert rules.paediatric_dose(weight_kg=10, times_per_day=4, mg_per_kg=60, per_day=True).per_dose_mg == 150


def test_dose_by_body_surface_and_cap() -> None:
    result = rules.paediatric_dose(weight_kg=16, height_cm=100, times_per_day=1, mg_per_m2=100)
    assert result.basis == "bsa"
    assert result.bsa_m2 == round(math.sqrt(100 * 16 / 3600), 3)
    assert result.per_dose_mg == round(100 * math.sqrt(100 * 16 / 3600), 2)
    capped = rules.paediatric_dose(weight_kg=50, times_per_day=3, mg_per_kg=25, max_per_dose_mg=1000)
    assert (capped.per_dose_mg, capped.capped) == (1000, True)


@pytest.mark.parametrize(
    "arguments",
    [
        {"weight_kg": 0, "times_per_day": 1, "mg_per_kg": 10},
        {"weight_kg": 10, "times_per_day": 0, "mg_per_kg": 10},
        {"weight_kg": 10, "times_per_day": 1, "mg_per_m2": 10},  # no height
        {"weight_kg": 10, "times_per_day": 1},
    ],
)
def test_dose_refuses_missing_or_impossible_values(arguments: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        rules.paediatric_dose(**arguments)  # type: ignore[arg-type]


def test_strength_and_dose_in_mg() -> None:
    assert rules.strength_mg("500 mg") == 500
    assert rules.strength_mg("1 g") == 1000
    assert rules.strength_mg("0,5 mg") == 0.5
    assert rules.strength_mg("10 mg/ml") is None
    assert rules.dose_mg(Decimal(2), "Viên", ["500 mg"]) == 1000
    assert rules.dose_mg(Decimal(1), "Ống", ["10 mg/ml"]) is None
    assert rules.dose_mg(Decimal(1), "Viên", ["500 mg", "125 mg"]) is None  # a combination: per substance unknown
    assert rules.dose_mg(Decimal(5), "ml", ["250 mg"]) is None


def test_substance_name_drops_the_strength() -> None:
    assert rules.substance_name("Amoxicilin 500 mg") == "Amoxicilin"
    assert rules.substance_name("Acid clavulanic 125 mg") == "Acid clavulanic"
    assert rules.substance_name("Vitamin B1") == "Vitamin B1"
    assert rules.substance_name("Morphin hydroclorid 10 mg/ml") == "Morphin hydroclorid"


def test_alert_keys_are_stable() -> None:
    assert rules.alert_key("QD5948-12", [3, 0]) == "QD5948-12@0,3"
    assert rules.rule_of_key("QD5948-12@0,3") == "QD5948-12"
    assert rules.alert_key("template:X", []) == "template:X"
    assert rules.override_rate(0, 0) == 0.0
    assert rules.override_rate(4, 1) == 0.25


def test_protocol_texts_are_in_the_catalog() -> None:
    texts = {p.name for p in default_protocols()}
    for protocol in default_protocols():
        texts |= {s.text for s in protocol.suggestions} | {r.message for r in protocol.requirements}
    assert texts == set(rules.PROTOCOL_TEXTS)


@pytest.mark.parametrize(
    ("creatinine", "unit", "age", "weight", "sex", "expected"),
    [
        (100, "µmol/L", 60, 70, "M", 68.9),  # (140 − 60) × 70 × 1.23 / 100
        (100, "μmol/L", 60, 70, "F", 58.2),  # × 1.04 for women; the Greek mu spelling too
        (1.2, "mg/dL", 60, 70, "M", 64.9),  # 1.2 mg/dL = 106.08 µmol/L
        (88.4, "µmol/L", 60, None, "F", 64.5),  # no weight: CKD-EPI 2021, 1.0 mg/dL at 60 for a woman
        (88.4, "µmol/L", 60, None, "M", 86.2),
        (100, "mmol/L", 60, 70, "M", None),  # a unit it does not know
        (100, "µmol/L", 10, 30, "M", None),  # a child: adults' formulas only
        (0, "µmol/L", 60, 70, "M", None),
        (100, "µmol/L", None, 70, "M", None),
    ],
)
def test_creatinine_clearance(
    creatinine: float, unit: str, age: float | None, weight: float | None, sex: str, expected: float | None
) -> None:
    assert rules.creatinine_clearance(creatinine, unit, age_years=age, weight_kg=weight, sex=sex) == expected
