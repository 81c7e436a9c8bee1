"""BHYT coverage and the split of charges between the fund and the patient. Pure: no I/O, no clock.

The law's figures are not written here: they come as `PolicyRule` rows (his/billing/data/bhyt_policy.csv,
imported into billing_policy_rule), each with its legal source and the days it is in force. A change of law
is a new row, not a code change. This module holds only the shape of the reasoning:

1. no card, or a card not valid on the service day: the fund pays nothing;
2. the route: right (registered facility, referral, allowed transfer, emergency) or wrong;
3. the benefit share of the card's benefit digit, raised to 100% by the exemptions (commune-level care,
   small visit, five consecutive years with a high co-payment);
4. on a wrong route, that share times the wrong-route rate of the hospital level and care type.

Amounts are whole dong. Each line is rounded on its own, half up; totals are sums of rounded lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from typing import Literal, Protocol, get_args

from his.kernel.i18n import lazy

Route = Literal["registered", "referral", "transfer", "emergency", "wrong"]
HospitalLevel = Literal["central", "provincial", "district", "commune"]
CareType = Literal["outpatient", "inpatient"]
ROUTES: tuple[str, ...] = get_args(Route)
HOSPITAL_LEVELS: tuple[str, ...] = get_args(HospitalLevel)
CARE_TYPES: tuple[str, ...] = get_args(CareType)
BENEFIT_LEVELS = (1, 2, 3, 4, 5)
UNITS = ("percent", "flag", "vnd", "months", "years")
CSV_COLUMNS = ("rule_key", "value", "unit", "effective_from", "effective_to", "source", "note")

# Every rule key the reasoning below reads; an import with any other key is refused (a typo would be silent).
_KEY_PATTERNS = (
    re.compile(r"^benefit\.percent\.[1-5]$"),
    re.compile(r"^benefit\.out_of_list\.[1-5]$"),
    re.compile(r"^benefit\.high_tech_capped\.[1-5]$"),
    re.compile(r"^high_tech\.cap_base_salaries$"),
    re.compile(r"^base_salary$"),
    re.compile(r"^small_visit\.percent_of_base_salary$"),
    re.compile(r"^five_years\.(years|copay_base_salaries)$"),
    re.compile(r"^commune_level\.percent$"),
    re.compile(r"^right_route\.(registered_facility|referral|transfer|emergency)$"),
    re.compile(r"^wrong_route\.(central|provincial|district|commune)\.(inpatient|outpatient)$"),
)

# Reasons are English msgids without parameters: the edge translates them as they are.
REASON_NO_CARD = lazy("No health insurance card: the patient pays in full")
REASON_CARD_INVALID = lazy("The health insurance card is not valid on the service date")
REASON_BENEFIT = lazy("Benefit level of the card")
REASON_REGISTERED = lazy("Right route: the card's registered facility")
REASON_REFERRAL = lazy("Right route: referral")
REASON_TRANSFER = lazy("Right route: a transfer the rules allow")
REASON_EMERGENCY = lazy("Right route: emergency")
REASON_WRONG_ROUTE = lazy("Wrong route: the fund pays a share by hospital level and care type")
REASON_WRONG_ROUTE_NONE = lazy("Wrong route: this care is not covered at this hospital level")
REASON_COMMUNE = lazy("Care at a commune-level facility: paid in full")
REASON_SMALL_VISIT = lazy("Small visit: the total is below the share of the base salary set by law")
REASON_FIVE_YEARS = lazy("Five consecutive years of cover and this year's co-payment above the limit")
REASON_OUT_OF_LIST = lazy("Costs outside the BHYT list are covered for this benefit level")
REASON_HIGH_TECH_CAP = lazy("High-technology services are capped per use")

_RIGHT_ROUTE_RULES: dict[str, tuple[str, str]] = {
    "registered": ("right_route.registered_facility", REASON_REGISTERED),
    "referral": ("right_route.referral", REASON_REFERRAL),
    "transfer": ("right_route.transfer", REASON_TRANSFER),
    "emergency": ("right_route.emergency", REASON_EMERGENCY),
}

HUNDRED = Decimal(100)


class PolicyGap(Exception):
    """The policy has no rule in force for a key the reasoning needs on that day (a data problem)."""

    def __init__(self, rule_key: str, day: date) -> None:
        super().__init__(f"no BHYT policy rule {rule_key} in force on {day.isoformat()}")
        self.rule_key = rule_key
        self.day = day


@dataclass(frozen=True, slots=True)
class PolicyRule:
    rule_key: str
    value: int
    unit: str
    effective_from: date
    effective_to: date | None  # exclusive: the first day the rule is no longer in force; None = open
    source: str
    note: str = ""

    @property
    def label(self) -> str:
        """How a decision names the rule it applied: key and the first day of the version."""
        return f"{self.rule_key}@{self.effective_from.isoformat()}"

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """The rules in force on one day, by key."""

    day: date
    rules: Mapping[str, PolicyRule]

    def rule(self, key: str) -> PolicyRule:
        found = self.rules.get(key)
        if found is None:
            raise PolicyGap(key, self.day)
        return found

    def value(self, key: str) -> int:
        return self.rule(key).value

    def flag(self, key: str) -> bool:
        """A flag missing on that day is off: flags only ever grant something."""
        found = self.rules.get(key)
        return found is not None and found.value == 1


def snapshot_on(rules: Iterable[PolicyRule], day: date) -> PolicySnapshot:
    return PolicySnapshot(day, {rule.rule_key: rule for rule in rules if rule.in_force(day)})


# ---------------------------------------------------------------- policy file


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    line: int  # 0: the file as a whole
    message: str  # English msgid with {named} placeholders
    params: Mapping[str, str] = field(default_factory=dict)


class PolicyFileError(Exception):
    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        super().__init__(f"{len(problems)} problems in the BHYT policy file")
        self.problems = list(problems)


def known_rule_key(key: str) -> bool:
    return any(pattern.match(key) for pattern in _KEY_PATTERNS)


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _parse_row(line: int, row: Mapping[str, str | None]) -> tuple[PolicyRule | None, list[PolicyProblem]]:
    problems: list[PolicyProblem] = []
    key = (row.get("rule_key") or "").strip()
    if not known_rule_key(key):
        problems.append(PolicyProblem(line, lazy("Unknown rule key {key}"), {"key": key[:80]}))
    unit = (row.get("unit") or "").strip()
    if unit not in UNITS:
        problems.append(PolicyProblem(line, lazy("Unknown unit {unit}"), {"unit": unit[:20]}))
    value_text = (row.get("value") or "").strip()
    value = int(value_text) if re.fullmatch(r"\d{1,15}", value_text) else None
    if value is None:
        problems.append(
            PolicyProblem(line, lazy("The value must be a whole number, not {value}"), {"value": value_text[:20]})
        )
    elif (unit == "percent" and value > 100) or (unit == "flag" and value not in (0, 1)):
        problems.append(
            PolicyProblem(
                line, lazy("The value {value} does not fit the unit {unit}"), {"value": value_text, "unit": unit}
            )
        )
    start = _parse_day(row.get("effective_from") or "")
    if start is None:
        problems.append(PolicyProblem(line, lazy("effective_from must be a date (YYYY-MM-DD)")))
    end_text = (row.get("effective_to") or "").strip()
    end = _parse_day(end_text) if end_text else None
    if end_text and end is None:
        problems.append(PolicyProblem(line, lazy("effective_to must be a date (YYYY-MM-DD) or empty")))
    if start is not None and end is not None and end <= start:
        problems.append(PolicyProblem(line, lazy("effective_to must come after effective_from")))
    source = (row.get("source") or "").strip()
    if not source:
        problems.append(PolicyProblem(line, lazy("Every rule needs its legal source")))
    if problems or value is None or start is None:
        return None, problems
    note = (row.get("note") or "").strip()
    return PolicyRule(key, value, unit, start, end, source[:300], note[:500]), []


def parse_policy_csv(text: str) -> list[PolicyRule]:
    """The rules of a policy file (CSV, header CSV_COLUMNS); PolicyFileError lists every problem."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [column for column in CSV_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise PolicyFileError([PolicyProblem(0, lazy("Missing columns: {columns}"), {"columns": ", ".join(missing)})])
    rules: list[PolicyRule] = []
    problems: list[PolicyProblem] = []
    for line, row in enumerate(reader, start=2):
        rule, found = _parse_row(line, row)
        problems.extend(found)
        if rule is not None:
            rules.append(rule)
    problems.extend(overlap_problems(rules))
    if not rules and not problems:
        problems.append(PolicyProblem(0, lazy("The policy file has no rules")))
    if problems:
        raise PolicyFileError(problems)
    return rules


def overlap_problems(rules: Iterable[PolicyRule]) -> list[PolicyProblem]:
    """Two versions of one key in force on the same day would make the answer depend on row order."""
    by_key: dict[str, list[PolicyRule]] = defaultdict(list)
    for rule in rules:
        by_key[rule.rule_key].append(rule)
    problems = []
    for key, versions in sorted(by_key.items()):
        versions.sort(key=lambda rule: rule.effective_from)
        for earlier, later in pairwise(versions):
            if earlier.effective_to is None or earlier.effective_to > later.effective_from:
                problems.append(
                    PolicyProblem(
                        0,
                        lazy("Rule {key} has overlapping versions from {first} and {second}"),
                        {
                            "key": key,
                            "first": earlier.effective_from.isoformat(),
                            "second": later.effective_from.isoformat(),
                        },
                    )
                )
    return problems


# ---------------------------------------------------------------- coverage


@dataclass(frozen=True, slots=True)
class CoverageFacts:
    """What decides the share on one service day. `benefit_level` None: no card (self-paying patient)."""

    service_date: date
    benefit_level: int | None
    card_valid: bool
    route: Route
    hospital_level: HospitalLevel
    care_type: CareType
    visit_total: int = 0  # the visit's cost at BHYT prices, in dong (the small-visit test)
    five_years_since: date | None = None  # first day of continuous cover
    year_copay_to_date: int = 0  # what the patient co-paid this calendar year before this visit
    registered_facility: str | None = None  # the card's MA_DKBD
    facility_code: str | None = None  # this hospital's MACSKCB


@dataclass(frozen=True, slots=True)
class CoverageDecision:
    percent: Decimal  # share of the covered cost the fund pays, 0..100
    right_route: bool
    out_of_list_covered: bool = False
    high_tech_cap: int | None = None  # the most the fund pays for one use of a high-technology service
    reasons: tuple[str, ...] = ()
    rule_keys: tuple[str, ...] = ()

    @property
    def covered(self) -> bool:
        return self.percent > 0


class _Apply(Protocol):
    """The `apply` callback of coverage(): records a rule as applied and returns its value."""

    def __call__(self, key: str, reason: str | None = None, /) -> int: ...


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _route_of(policy: PolicySnapshot, facts: CoverageFacts) -> tuple[bool, str | None, str | None]:
    """(right route?, reason, rule label). The card's registered facility is right route whatever was said."""
    route = facts.route
    if facts.registered_facility and facts.facility_code and facts.registered_facility == facts.facility_code:
        route = "registered"
    if route == "wrong":
        return False, None, None
    key, reason = _RIGHT_ROUTE_RULES[route]
    if policy.flag(key):
        return True, reason, policy.rule(key).label
    return False, None, None


def coverage(policy: PolicySnapshot, facts: CoverageFacts) -> CoverageDecision:
    """The fund's share on the policy's day for the given facts (see the module docstring for the order)."""
    if facts.benefit_level is None:
        return CoverageDecision(Decimal(0), right_route=False, reasons=(REASON_NO_CARD,))
    if facts.benefit_level not in BENEFIT_LEVELS:
        raise ValueError(f"benefit level {facts.benefit_level} is not 1..5")
    if not facts.card_valid:
        return CoverageDecision(Decimal(0), right_route=False, reasons=(REASON_CARD_INVALID,))
    reasons: list[str] = []
    keys: list[str] = []

    def apply(key: str, reason: str | None = None, /) -> int:
        rule = policy.rule(key)
        keys.append(rule.label)
        if reason is not None:
            reasons.append(reason)
        return rule.value

    right_route, route_reason, route_key = _route_of(policy, facts)
    if route_reason and route_key:
        reasons.append(route_reason)
        keys.append(route_key)
    level = facts.benefit_level
    benefit = apply(f"benefit.percent.{level}", REASON_BENEFIT)
    benefit = max(benefit, _exemption(policy, facts, right_route, apply))
    percent = Decimal(benefit)
    if not right_route:
        rate = apply(f"wrong_route.{facts.hospital_level}.{facts.care_type}")
        reasons.append(REASON_WRONG_ROUTE if rate > 0 else REASON_WRONG_ROUTE_NONE)
        percent = percent * Decimal(rate) / HUNDRED
    out_of_list = percent > 0 and policy.flag(f"benefit.out_of_list.{level}")
    if out_of_list:
        keys.append(policy.rule(f"benefit.out_of_list.{level}").label)
        reasons.append(REASON_OUT_OF_LIST)
    cap: int | None = None
    if percent > 0 and policy.flag(f"benefit.high_tech_capped.{level}"):
        keys.append(policy.rule(f"benefit.high_tech_capped.{level}").label)
        cap = apply("high_tech.cap_base_salaries") * apply("base_salary")
    return CoverageDecision(
        percent=_plain(percent),
        right_route=right_route,
        out_of_list_covered=out_of_list,
        high_tech_cap=cap,
        reasons=tuple(reasons),
        rule_keys=tuple(dict.fromkeys(keys)),
    )


def _plain(value: Decimal) -> Decimal:
    """40 rather than 4E+1 or 40.00; 47.5 rather than 47.50."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def _exemption(policy: PolicySnapshot, facts: CoverageFacts, right_route: bool, apply: _Apply) -> int:
    """The benefit share an exemption grants (0 when none applies)."""
    if right_route and facts.hospital_level == "commune" and "commune_level.percent" in policy.rules:
        return apply("commune_level.percent", REASON_COMMUNE)
    if "small_visit.percent_of_base_salary" in policy.rules:
        share = policy.value("small_visit.percent_of_base_salary")
        base = policy.value("base_salary")
        # "lower than 15% of the base salary": strictly below; compared in whole dong without rounding.
        if facts.visit_total * 100 < share * base:
            apply("base_salary")
            apply("small_visit.percent_of_base_salary", REASON_SMALL_VISIT)
            return 100
    if right_route and facts.five_years_since is not None and "five_years.years" in policy.rules:
        years = policy.value("five_years.years")
        limit = policy.value("five_years.copay_base_salaries") * policy.value("base_salary")
        if facts.five_years_since <= _years_before(facts.service_date, years) and facts.year_copay_to_date > limit:
            apply("five_years.years")
            apply("base_salary")
            apply("five_years.copay_base_salaries", REASON_FIVE_YEARS)
            return 100
    return 0


# ---------------------------------------------------------------- split of charges


@dataclass(frozen=True, slots=True)
class ChargeLine:
    code: str
    name: str
    quantity: Decimal
    unit_price_hospital: int
    unit_price_bhyt: int | None
    in_bhyt_list: bool
    high_tech: bool = False
    ref: int | None = None  # the charge's id, carried through


@dataclass(frozen=True, slots=True)
class LineSplit:
    line: ChargeLine
    amount_hospital: int  # quantity x hospital price, rounded
    amount_bhyt: int  # the part of it the fund's share applies to
    fund_pays: int
    patient_copay: int  # the patient's share of amount_bhyt
    patient_other: int  # outside the list, or the hospital price above the BHYT price

    @property
    def patient_pays(self) -> int:
        return self.patient_copay + self.patient_other


@dataclass(frozen=True, slots=True)
class SplitTotals:
    amount_hospital: int
    amount_bhyt: int
    fund_pays: int
    patient_copay: int
    patient_other: int
    patient_pays: int


def round_vnd(value: Decimal) -> int:
    """Whole dong, half up (0.5 -> 1): the convention of Vietnamese invoices."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def bhyt_basis(line: ChargeLine) -> int:
    """The amount the fund's share applies to: in-list lines at the lower of BHYT and hospital price."""
    if not line.in_bhyt_list:
        return 0
    unit = (
        line.unit_price_hospital
        if line.unit_price_bhyt is None
        else min(line.unit_price_bhyt, line.unit_price_hospital)
    )
    return round_vnd(line.quantity * unit)


def visit_total(lines: Iterable[ChargeLine]) -> int:
    """The visit's cost at BHYT prices (the small-visit test), as the sum of the rounded lines."""
    return sum(bhyt_basis(line) for line in lines)


def split_line(line: ChargeLine, decision: CoverageDecision) -> LineSplit:
    if line.quantity <= 0 or line.unit_price_hospital < 0:
        raise ValueError("quantity must be positive and prices not negative")
    amount_hospital = round_vnd(line.quantity * line.unit_price_hospital)
    # Benefit level 5 pays outside the list too: the whole hospital amount is the basis.
    basis = amount_hospital if decision.out_of_list_covered else bhyt_basis(line)
    fund = round_vnd(Decimal(basis) * decision.percent / HUNDRED)
    if line.high_tech and decision.high_tech_cap is not None:
        fund = min(fund, decision.high_tech_cap)
    return LineSplit(line, amount_hospital, basis, fund, basis - fund, amount_hospital - basis)


def split_charges(lines: Sequence[ChargeLine], decision: CoverageDecision) -> list[LineSplit]:
    """Each line rounded on its own; sum the lines for the totals (see `totals`), never round a total again."""
    return [split_line(line, decision) for line in lines]


def totals(splits: Iterable[LineSplit]) -> SplitTotals:
    rows = list(splits)
    return SplitTotals(
        amount_hospital=sum(s.amount_hospital for s in rows),
        amount_bhyt=sum(s.amount_bhyt for s in rows),
        fund_pays=sum(s.fund_pays for s in rows),
        patient_copay=sum(s.patient_copay for s in rows),
        patient_other=sum(s.patient_other for s in rows),
        patient_pays=sum(s.patient_pays for s in rows),
    )


def parse_quantity(text: str) -> Decimal:
    """A positive quantity with at most 3 decimals ("1", "0.5", "2,5")."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.001")):
        raise ValueError(text)
    return value
