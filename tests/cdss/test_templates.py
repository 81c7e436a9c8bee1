"""Alert templates written without code: conditions on facts, all/any, test cases before activation."""

from __future__ import annotations

import pytest

from cdss.templates import (
    AlertTemplate,
    Condition,
    Facts,
    TemplateCase,
    activation_problems,
    decode_template,
    fires,
    holds,
    run_cases,
    template_problems,
)

NSAID_ELDERLY = AlertTemplate(
    code="NSAID-75",
    name="NSAID in the elderly",
    match="all",
    conditions=[
        Condition("age_years", "ge", 75),
        Condition("drug_class", "prefix", "M01A"),
    ],
    severity="warning",
    message="NSAID at 75 or more",
)


def test_all_conditions_must_hold() -> None:
    assert fires(NSAID_ELDERLY, Facts(age_years=80, drug_classes=["M01AE01"]))
    assert not fires(NSAID_ELDERLY, Facts(age_years=60, drug_classes=["M01AE01"]))
    assert not fires(NSAID_ELDERLY, Facts(age_years=80, drug_classes=["N02BE01"]))


def test_any_condition_is_enough() -> None:
    template = AlertTemplate(
        "RENAL", "Renal", "any", [Condition("lab", "lt", 30, lab="eGFR"), Condition("diagnosis", "prefix", "N18.5")],
        "warning", "Renal failure",
    )  # fmt: skip
    assert fires(template, Facts(labs={"egfr": 25}))
    assert fires(template, Facts(diagnoses=["N18.5"]))
    assert not fires(template, Facts(labs={"egfr": 45}, diagnoses=["I10"]))


def test_unknown_facts_never_satisfy_a_comparison() -> None:
    assert not holds(Condition("age_years", "ge", 75), Facts())
    assert not holds(Condition("lab", "lt", 3.5, lab="potassium"), Facts(labs={"sodium": 130}))
    assert holds(Condition("lab", "absent", lab="potassium"), Facts(labs={"sodium": 130}))
    assert not holds(Condition("pregnant", "eq", True), Facts())


def test_sex_pregnancy_substance_and_absence() -> None:
    assert holds(Condition("sex", "eq", "F"), Facts(sex="F"))
    assert holds(Condition("sex", "ne", "F"), Facts(sex="M"))
    assert holds(Condition("pregnant", "eq", True), Facts(pregnant=True))
    # Accent- and case-insensitive substance names.
    assert holds(Condition("substance", "present", "Methotrexat"), Facts(substances=["METHOTREXÁT"]))
    assert holds(Condition("substance", "absent", "folic acid"), Facts(substances=["methotrexat"]))
    # A diagnosis prefix ignores the dot and the dagger/asterisk marks.
    assert holds(Condition("diagnosis", "prefix", "E11"), Facts(diagnoses=["E11.9"]))
    assert holds(Condition("diagnosis", "prefix", "A39.0"), Facts(diagnoses=["A39.0†"]))
    assert holds(Condition("drug_class", "prefix", "ATC:C09"), Facts(drug_classes=["C09AA02"]))


def test_invalid_definitions_are_named() -> None:
    broken = AlertTemplate("", "x", "all", [Condition("sex", "lt", 3), Condition("lab", "lt", "many")], "info", "")
    problems = template_problems(broken)
    assert "the template needs a code" in problems
    assert "the template needs a message" in problems
    assert any("operator lt does not apply to sex" in p for p in problems)
    assert any("a lab condition names its lab value" in p for p in problems)
    assert any("lab lt needs a number" in p for p in problems)


def test_activation_needs_passing_cases_both_ways() -> None:
    good = [
        TemplateCase("80 with ibuprofen", Facts(age_years=80, drug_classes=["M01AE01"]), True),
        TemplateCase("40 with ibuprofen", Facts(age_years=40, drug_classes=["M01AE01"]), False),
    ]
    assert activation_problems(NSAID_ELDERLY, good) == []
    assert [r.passed for r in run_cases(NSAID_ELDERLY, good)] == [True, True]
    assert activation_problems(NSAID_ELDERLY, []) == ["the template needs test cases before it can be activated"]
    assert "at least one test case must expect no alert" in activation_problems(NSAID_ELDERLY, good[:1])
    wrong = [*good, TemplateCase("74 with ibuprofen", Facts(age_years=74, drug_classes=["M01AE01"]), True)]
    problems = activation_problems(NSAID_ELDERLY, wrong)
    assert problems == ["test case '74 with ibuprofen' expected an alert but got none"]


@pytest.mark.parametrize("text", ['{"code": "X"}', '{"code": "X", "name": "n", "match": "most", "conditions": [], '
                                  '"severity": "info", "message": "m"}'])  # fmt: skip
def test_decoding_refuses_malformed_templates(text: str) -> None:
    import msgspec

    with pytest.raises(msgspec.ValidationError):
        decode_template(text)
