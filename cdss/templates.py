"""Alert templates the hospital writes without code (CDSS level 3).

A template is data: conditions on the patient's facts (age, sex, pregnancy, ICD-10 diagnoses by prefix, a drug
substance or class present, laboratory values given as facts) combined with `all` or `any`, and the message and
severity of the alert it raises. A template carries its own test cases (facts -> fires or not); the hospital
activates it only when every case passes (`failing_cases`).

Pure: no database, no web framework. The caller gives substances and classes already resolved (for example with
`cdss.api.resolve_substance`); names are compared case- and accent-insensitively.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Literal

import msgspec

Severity = Literal["hard_stop", "warning", "info"]
Fact = Literal["age_years", "sex", "pregnant", "diagnosis", "substance", "drug_class", "lab"]
Operator = Literal["lt", "le", "gt", "ge", "eq", "ne", "present", "absent", "prefix"]
NUMERIC_OPERATORS: frozenset[str] = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})
OPERATORS_BY_FACT: dict[str, frozenset[str]] = {
    "age_years": NUMERIC_OPERATORS | {"present", "absent"},
    "lab": NUMERIC_OPERATORS | {"present", "absent"},
    "sex": frozenset({"eq", "ne"}),
    "pregnant": frozenset({"eq"}),
    "diagnosis": frozenset({"prefix", "absent"}),
    "substance": frozenset({"present", "absent"}),
    "drug_class": frozenset({"prefix", "absent"}),
}


class Condition(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One test on the facts. `value` is a number (age, lab), "M"/"F" (sex), true/false (pregnant), an ICD-10
    prefix (diagnosis), a substance name or an ATC class prefix (drug_class). `lab` names the laboratory fact
    (e.g. "egfr", "potassium") when `fact` is "lab". With `absent`, the condition holds when nothing matches."""

    fact: Fact
    op: Operator
    value: str | float | bool | None = None
    lab: str | None = None


class AlertTemplate(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    code: str
    name: str
    match: Literal["all", "any"]
    conditions: list[Condition]
    severity: Severity
    message: str


class Facts(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    age_years: float | None = None
    sex: Literal["M", "F"] | None = None
    pregnant: bool | None = None
    diagnoses: list[str] = []
    substances: list[str] = []
    drug_classes: list[str] = []  # ATC codes of the drugs' substances (any level)
    labs: dict[str, float] = {}


class TemplateCase(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    facts: Facts
    expect_fire: bool


class CaseResult(msgspec.Struct, frozen=True):
    name: str
    expected: bool
    fired: bool

    @property
    def passed(self) -> bool:
        return self.expected == self.fired


def fold(text: str) -> str:
    """Lower case without accents (đ -> d): the key names are compared by."""
    decomposed = unicodedata.normalize("NFD", text.strip().lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _icd(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _atc(code: str) -> str:
    text = code.strip().upper()
    return text[4:] if text.startswith("ATC:") else text


def _compare(op: str, left: float, right: float) -> bool:
    return {
        "lt": left < right,
        "le": left <= right,
        "gt": left > right,
        "ge": left >= right,
        "eq": left == right,
        "ne": left != right,
    }[op]


def _number(value: str | float | bool | None) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def condition_problems(condition: Condition) -> list[str]:
    """What makes a condition meaningless (English, for the editor)."""
    problems: list[str] = []
    if condition.op not in OPERATORS_BY_FACT[condition.fact]:
        problems.append(f"operator {condition.op} does not apply to {condition.fact}")
    if condition.fact == "lab" and not (condition.lab or "").strip():
        problems.append("a lab condition names its lab value")
    if (
        condition.fact in {"age_years", "lab"}
        and condition.op in NUMERIC_OPERATORS
        and _number(condition.value) is None
    ):
        problems.append(f"{condition.fact} {condition.op} needs a number")
    elif condition.fact == "sex" and condition.value not in ("M", "F"):
        problems.append("sex is M or F")
    elif condition.fact == "pregnant" and not isinstance(condition.value, bool):
        problems.append("pregnant is true or false")
    elif condition.fact in {"diagnosis", "substance", "drug_class"} and not (
        isinstance(condition.value, str) and condition.value.strip()
    ):
        problems.append(f"{condition.fact} needs a code or a name")
    return problems


def template_problems(template: AlertTemplate) -> list[str]:
    problems = [] if template.code.strip() else ["the template needs a code"]
    if not template.message.strip():
        problems.append("the template needs a message")
    if not template.conditions:
        problems.append("the template needs at least one condition")
    for index, condition in enumerate(template.conditions):
        problems.extend(f"condition {index + 1}: {problem}" for problem in condition_problems(condition))
    return problems


def holds(condition: Condition, facts: Facts) -> bool:
    """Whether one condition holds. An unknown fact (age not given, lab not measured) never satisfies a
    comparison: a template fires on what is known, not on what is missing."""
    fact, op, value = condition.fact, condition.op, condition.value
    if fact in {"age_years", "lab"}:
        known = facts.age_years if fact == "age_years" else _lab(facts, condition.lab or "")
        if op == "present":
            return known is not None
        if op == "absent":
            return known is None
        limit = _number(value)
        return known is not None and limit is not None and _compare(op, float(known), limit)
    if fact == "sex":
        return facts.sex is not None and (facts.sex == value) == (op == "eq")
    if fact == "pregnant":
        return facts.pregnant is not None and facts.pregnant == value
    wanted = str(value or "")
    if fact == "diagnosis":
        found = any(_icd(code).startswith(_icd(wanted)) for code in facts.diagnoses) if wanted else False
    elif fact == "substance":
        found = fold(wanted) in {fold(name) for name in facts.substances}
    else:
        found = any(_atc(code).startswith(_atc(wanted)) for code in facts.drug_classes) if wanted else False
    return not found if op == "absent" else found


def _lab(facts: Facts, name: str) -> float | None:
    wanted = fold(name)
    for key, number in facts.labs.items():
        if fold(key) == wanted:
            return number
    return None


def fires(template: AlertTemplate, facts: Facts) -> bool:
    results = (holds(condition, facts) for condition in template.conditions)
    return all(results) if template.match == "all" else any(results)


def run_cases(template: AlertTemplate, cases: Sequence[TemplateCase]) -> list[CaseResult]:
    return [CaseResult(case.name, case.expect_fire, fires(template, case.facts)) for case in cases]


def activation_problems(template: AlertTemplate, cases: Sequence[TemplateCase]) -> list[str]:
    """Why the template may not be activated: an invalid definition, no test case, no case that fires, no case
    that stays silent, or a failing case. Empty: it may be activated."""
    problems = template_problems(template)
    if not cases:
        problems.append("the template needs test cases before it can be activated")
        return problems
    if not any(case.expect_fire for case in cases):
        problems.append("at least one test case must expect the alert")
    if all(case.expect_fire for case in cases):
        problems.append("at least one test case must expect no alert")
    problems.extend(
        f"test case {result.name!r} expected {'an alert' if result.expected else 'no alert'} but got "
        f"{'one' if result.fired else 'none'}"
        for result in run_cases(template, cases)
        if not result.passed
    )
    return problems


def decode_template(data: bytes | str) -> AlertTemplate:
    return msgspec.json.decode(data, type=AlertTemplate)


def decode_cases(data: bytes | str) -> list[TemplateCase]:
    return msgspec.json.decode(data, type=list[TemplateCase])
