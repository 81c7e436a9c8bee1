"""Diagnosis validity rules (QĐ 4469/QĐ-BYT appendices A1-A4) on real catalog records."""

from __future__ import annotations

import dataclasses

import pytest

from his.catalogs.icd10 import Icd10Record, iter_icd10_records
from his.catalogs.rules import (
    MSG_AGE_MAX,
    MSG_AGE_MIN,
    MSG_AGE_RANGE,
    MSG_ASTERISK_MAIN,
    MSG_NEVER_MAIN,
    MSG_SEX_FEMALE,
    MSG_SEX_MALE,
    DiagnosisProblem,
    check_diagnosis,
)

ADULT = 40 * 365


@pytest.fixture(scope="module")
def icd() -> dict[str, Icd10Record]:
    return {record.code: record for record in iter_icd10_records()}


def rules_of(problems: list[DiagnosisProblem]) -> list[str]:
    return [problem.rule for problem in problems]


@pytest.mark.criterion(109)
def test_plain_code_has_no_problem(icd: dict[str, Icd10Record]) -> None:
    assert check_diagnosis(icd["J13"], sex="M", age_days=ADULT, is_main=True) == []


@pytest.mark.criterion(109)
def test_female_only_code_on_a_man(icd: dict[str, Icd10Record]) -> None:
    (problem,) = check_diagnosis(icd["N70.0"], sex="M", age_days=ADULT, is_main=True)
    assert problem.rule == "sex"
    assert problem.message_key == MSG_SEX_FEMALE
    assert problem.params["code"] == "N70.0"
    assert problem.message_key.format(**problem.params) == "Code N70.0 is valid for female patients only"


@pytest.mark.criterion(109)
def test_female_only_code_on_a_woman(icd: dict[str, Icd10Record]) -> None:
    assert check_diagnosis(icd["N70.0"], sex="F", age_days=ADULT, is_main=True) == []


@pytest.mark.criterion(109)
def test_male_only_code_both_ways(icd: dict[str, Icd10Record]) -> None:
    (problem,) = check_diagnosis(icd["C61"], sex="F", age_days=ADULT, is_main=True)
    assert (problem.rule, problem.message_key) == ("sex", MSG_SEX_MALE)
    assert check_diagnosis(icd["C61"], sex="M", age_days=ADULT, is_main=True) == []


@pytest.mark.criterion(109)
def test_unknown_sex_is_not_a_problem(icd: dict[str, Icd10Record]) -> None:
    assert check_diagnosis(icd["C61"], sex=None, age_days=ADULT, is_main=True) == []


@pytest.mark.criterion(109)
def test_age_max_both_ways(icd: dict[str, Icd10Record]) -> None:
    record = icd["P00.0"]  # A3.1: 0-365 days
    assert check_diagnosis(record, sex="F", age_days=365, is_main=True) == []
    (problem,) = check_diagnosis(record, sex="F", age_days=366, is_main=True)
    assert problem.rule == "age"
    assert problem.message_key == MSG_AGE_MAX
    assert problem.params == {"code": "P00.0", "age_days": "366", "max_age_days": "365"}


@pytest.mark.criterion(109)
def test_age_min_both_ways(icd: dict[str, Icd10Record]) -> None:
    record = icd["F80.0"]  # A3.5: over 27 days
    assert check_diagnosis(record, sex="M", age_days=28, is_main=True) == []
    (problem,) = check_diagnosis(record, sex="M", age_days=27, is_main=True)
    assert (problem.rule, problem.message_key) == ("age", MSG_AGE_MIN)
    assert problem.params["min_age_days"] == "28"


@pytest.mark.criterion(109)
def test_age_range_both_ways(icd: dict[str, Icd10Record]) -> None:
    record = icd["O80.0"]  # A3.8: 9-60 years, and female only (A4.1)
    assert check_diagnosis(record, sex="F", age_days=25 * 365, is_main=True) == []
    for age in (9 * 365 - 1, 60 * 365 + 1):
        (problem,) = check_diagnosis(record, sex="F", age_days=age, is_main=True)
        assert (problem.rule, problem.message_key) == ("age", MSG_AGE_RANGE)
        assert problem.params["min_age_days"] == "3285"
        assert problem.params["max_age_days"] == "21900"


@pytest.mark.criterion(109)
def test_unknown_age_is_not_a_problem(icd: dict[str, Icd10Record]) -> None:
    assert check_diagnosis(icd["P00.0"], sex="M", age_days=None, is_main=True) == []


@pytest.mark.criterion(109)
def test_sex_and_age_reported_together(icd: dict[str, Icd10Record]) -> None:
    problems = check_diagnosis(icd["O80.0"], sex="M", age_days=5 * 365, is_main=False)
    assert rules_of(problems) == ["sex", "age"]


@pytest.mark.criterion(109)
def test_never_main_both_ways(icd: dict[str, Icd10Record]) -> None:
    record = icd["B95.0"]  # A2: organism code, never the main diagnosis
    (problem,) = check_diagnosis(record, sex="M", age_days=ADULT, is_main=True)
    assert (problem.rule, problem.message_key) == ("never_main", MSG_NEVER_MAIN)
    assert problem.params == {"code": "B95.0"}
    assert check_diagnosis(record, sex="M", age_days=ADULT, is_main=False) == []


@pytest.mark.criterion(109)
def test_asterisk_main_both_ways(icd: dict[str, Icd10Record]) -> None:
    record = icd["G01*"]  # A1 asterisk, also in A2: one message, the specific one
    (problem,) = check_diagnosis(record, sex="F", age_days=ADULT, is_main=True)
    assert (problem.rule, problem.message_key) == ("asterisk_main", MSG_ASTERISK_MAIN)
    assert check_diagnosis(record, sex="F", age_days=ADULT, is_main=False) == []


@pytest.mark.criterion(109)
def test_asterisk_without_never_main_flag_is_still_not_main(icd: dict[str, Icd10Record]) -> None:
    record = dataclasses.replace(icd["G01*"], never_main=False)
    assert rules_of(check_diagnosis(record, sex=None, age_days=None, is_main=True)) == ["asterisk_main"]


@pytest.mark.criterion(109)
def test_dagger_code_may_be_main(icd: dict[str, Icd10Record]) -> None:
    assert icd["A17.0†"].is_dagger
    assert check_diagnosis(icd["A17.0†"], sex="M", age_days=ADULT, is_main=True) == []


@pytest.mark.criterion(109)
@pytest.mark.parametrize(("sex", "age_days"), [("X", 10), ("f", 10), ("F", -1)])
def test_bad_patient_attributes_raise(icd: dict[str, Icd10Record], sex: str, age_days: int) -> None:
    with pytest.raises(ValueError):
        check_diagnosis(icd["J13"], sex=sex, age_days=age_days, is_main=False)


def test_problem_is_frozen_and_hashable() -> None:
    problem = DiagnosisProblem("never_main", MSG_NEVER_MAIN, {"code": "B95.0"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.rule = "sex"  # type: ignore[misc]
    assert hash(problem) == hash(DiagnosisProblem("never_main", MSG_NEVER_MAIN, {"code": "X"}))
