"""Dose range (single, daily and weekly maximum by age and weight), renal adjustment and age limits (kind "dose").

A dose is checked for a drug of one substance (the dose of a combination product does not say which substance it
measures). Doses of the same substance in several drugs (new and active) add up towards the daily maximum.
Exceeding a maximum is a warning; reaching one and a half times it is a hard stop. A drug taken on one day a week
(oral methotrexate) prescribed more often than its `max_doses_per_week` is a hard stop, whatever the dose.
"""

from __future__ import annotations

from collections.abc import Sequence

from cdss.checks.common import Resolved, all_drugs, severity_of
from cdss.knowledge import DoseRule, Knowledge
from cdss.names import plain
from cdss.types import Alert, CheckRequest, Drug, Severity

__all__ = ["dose_alerts", "route_kind"]

CHILD_BELOW_YEARS = 18.0
ESTIMATE_WEIGHT_BELOW_YEARS = 12.0
HARD_STOP_FACTOR = 1.5

SINGLE_TOO_HIGH = "Single dose {dose} mg is above the maximum of {maximum} mg."
DAILY_TOO_HIGH = "Daily dose {dose} mg is above the maximum of {maximum} mg a day."
WEEKLY_TOO_HIGH = (
    "Weekly dose {dose} mg is above the maximum of {maximum} mg a week; this drug is usually taken once a week."
)
ESTIMATED = " The maximum is for an estimated weight of {weight} kg for the age: record the weight for an exact check."
TOTAL_TOO_HIGH = (
    "Together the prescribed drugs give {dose} mg a day of this substance, above the maximum of {maximum} mg."
)
TOO_FREQUENT = (
    "Prescribed {doses} times a week, but this drug is taken once a week (at most {maximum} doses a week): "
    "daily dosing by mistake has caused fatal overdoses."
)

_ORAL = ("oral", "uong", "po", "per os", "ngam", "nhai", "sublingual", "duoi luoi")
_PARENTERAL = (
    "tiem",
    "truyen",
    "tinh mach",
    "bap",
    "duoi da",
    "iv",
    "im",
    "sc",
    "inject",
    "intraven",
    "intramus",
    "subcut",
    "parenteral",
    "infusion",
)
_LOCAL = (
    "dung ngoai",
    "boi",
    "nho mat",
    "nho mui",
    "nho tai",
    "xit",
    "hit",
    "khi dung",
    "topical",
    "cutaneous",
    "ophthalmic",
    "eye",
    "ear",
    "nasal",
    "inhal",
    "dat am dao",
    "vaginal",
    "transdermal",
    "mieng dan",
)


def route_kind(route: str | None) -> str:
    """ "oral", "parenteral", "local" (no systemic dose check) or "any" when unknown."""
    if not route:
        return "any"
    text = f" {plain(route)} "
    for kind, words in (("local", _LOCAL), ("parenteral", _PARENTERAL), ("oral", _ORAL)):
        if any(f" {word} " in text or (len(word) > 3 and word in text) for word in words):
            return kind
    return "any"


def _limits(rules: Sequence[DoseRule], route: str) -> DoseRule | None:
    """The rule for the route; with an unknown route the most permissive limits of all routes."""
    matching = [rule for rule in rules if rule.route in (route, "any")]
    if route != "any" and matching:
        specific = [rule for rule in matching if rule.route == route]
        return (specific or matching)[0]
    if not rules:
        return None

    def widest(values: list[float | None]) -> float | None:
        return None if any(value is None for value in values) else max(v for v in values if v is not None)

    return DoseRule(
        route="any",
        adult_single_max_mg=widest([rule.adult_single_max_mg for rule in rules]),
        adult_daily_max_mg=widest([rule.adult_daily_max_mg for rule in rules]),
        child_single_max_mg_per_kg=widest([rule.child_single_max_mg_per_kg for rule in rules]),
        child_daily_max_mg_per_kg=widest([rule.child_daily_max_mg_per_kg for rule in rules]),
        weekly_max_mg=widest([rule.weekly_max_mg for rule in rules]),
        source=rules[0].source,
        max_doses_per_week=widest([rule.max_doses_per_week for rule in rules]),
    )


def estimated_weight_kg(age_years: float) -> float:
    """Weight for age when none is recorded (APLS formulas), used only for children under 12."""
    if age_years < 1:
        return 3.5 + age_years * 12 * 0.5
    if age_years <= 5:
        return 2 * age_years + 8
    return 3 * age_years + 7


def _child_weight(request: CheckRequest) -> tuple[float | None, bool]:
    """The child's weight for dosing and whether it is estimated from the age; (None, False) for an adult."""
    patient = request.patient
    if patient.age_years is None or patient.age_years >= CHILD_BELOW_YEARS:
        return None, False
    if patient.weight_kg:
        return patient.weight_kg, False
    if patient.age_years < ESTIMATE_WEIGHT_BELOW_YEARS:
        return estimated_weight_kg(patient.age_years), True
    return None, False


def _maxima(rule: DoseRule, request: CheckRequest) -> tuple[float | None, float | None]:
    """(single, daily) maximum in mg for this patient: by weight for a child when the rule allows (the weight for
    age when none is recorded)."""
    single, daily = rule.adult_single_max_mg, rule.adult_daily_max_mg
    weight, _ = _child_weight(request)
    if weight is not None:
        if rule.child_single_max_mg_per_kg is not None:
            by_weight = rule.child_single_max_mg_per_kg * weight
            single = by_weight if single is None else min(single, by_weight)
        if rule.child_daily_max_mg_per_kg is not None:
            by_weight = rule.child_daily_max_mg_per_kg * weight
            daily = by_weight if daily is None else min(daily, by_weight)
    return single, daily


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _over(dose: float, maximum: float) -> Severity | None:
    if dose <= maximum * 1.000001:
        return None
    return "hard_stop" if dose >= maximum * HARD_STOP_FACTOR else "warning"


def _alert(
    severity: Severity,
    inn: str,
    message: str,
    rule: str,
    source: str,
    drugs: list[int],
    dose: float,
    maximum: float,
    request: CheckRequest | None = None,
) -> Alert:
    params = {"dose": _number(dose), "maximum": _number(maximum)}
    weight, estimated = _child_weight(request) if request is not None else (None, False)
    if estimated and weight is not None:
        message += ESTIMATED
        params["weight"] = _number(weight)
    return Alert(
        severity=severity,
        kind="dose",
        substances=[inn],
        message=message,
        source=source,
        rule=rule,
        drugs=drugs,
        params=params,
    )


def _frequency_alert(rules: Sequence[DoseRule], route: str, inn: str, drug: Drug, index: int) -> Alert | None:
    # Only a rule of the drug's route counts (any rule when the route is unknown): daily methotrexate injections are
    # a real regimen (gestational trophoblastic disease), daily tablets are an error.
    limits = [
        rule
        for rule in rules
        if rule.max_doses_per_week is not None and (route == "any" or rule.route in (route, "any"))
    ]
    if not limits or drug.doses_per_day is None:
        return None
    rule = max(limits, key=lambda rule: rule.max_doses_per_week or 0.0)
    maximum = rule.max_doses_per_week or 0.0
    per_week = drug.doses_per_day * 7
    if per_week <= maximum * 1.000001:
        return None
    return Alert(
        severity="hard_stop",
        kind="dose",
        substances=[inn],
        message=TOO_FREQUENT,
        source=rule.source,
        rule=f"dose:{inn}:frequency",
        drugs=[index],
        params={"doses": _number(per_week), "maximum": _number(maximum)},
    )


def _range_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    alerts: list[Alert] = []
    drugs: Sequence[Drug] = all_drugs(request)
    daily_totals: dict[int, list[tuple[int, float, DoseRule]]] = {}
    for index, (drug, ids) in enumerate(zip(drugs, resolved.drugs, strict=True)):
        if len(ids) != 1:
            continue
        route = route_kind(drug.route)
        rules = knowledge.dose.get(ids[0])
        if route == "local" or not rules:
            continue
        rule = _limits(rules, route)
        if rule is None:
            continue
        inn = knowledge.substances[ids[0]].inn
        # A daily schedule of a once-a-week drug is wrong whatever the dose, even when none is given; shown unless
        # the weekly total already stops the prescription.
        frequency = _frequency_alert(rules, route, inn, drug, index) if index < resolved.new_count else None
        if drug.dose_mg is None:
            if frequency is not None:
                alerts.append(frequency)
            continue
        daily_dose = drug.dose_mg * drug.doses_per_day if drug.doses_per_day is not None else None
        if daily_dose is not None:
            daily_totals.setdefault(ids[0], []).append((index, daily_dose, rule))
        if index >= resolved.new_count:
            continue  # active drugs only count towards the totals
        single_max, daily_max = _maxima(rule, request)
        if single_max is not None and (severity := _over(drug.dose_mg, single_max)):
            alerts.append(
                _alert(
                    severity,
                    inn,
                    SINGLE_TOO_HIGH,
                    f"dose:{inn}:single",
                    rule.source,
                    [index],
                    drug.dose_mg,
                    single_max,
                    request,
                )
            )
        if daily_dose is not None and daily_max is not None and (severity := _over(daily_dose, daily_max)):
            alerts.append(
                _alert(
                    severity,
                    inn,
                    DAILY_TOO_HIGH,
                    f"dose:{inn}:daily",
                    rule.source,
                    [index],
                    daily_dose,
                    daily_max,
                    request,
                )
            )
        if daily_dose is not None and rule.weekly_max_mg is not None:
            weekly = daily_dose * 7
            if severity := _over(weekly, rule.weekly_max_mg):
                if severity == "hard_stop":
                    frequency = None  # the weekly total already stops it and says the drug is taken once a week
                alerts.append(
                    _alert(
                        severity,
                        inn,
                        WEEKLY_TOO_HIGH,
                        f"dose:{inn}:weekly",
                        rule.source,
                        [index],
                        weekly,
                        rule.weekly_max_mg,
                    )
                )
        if frequency is not None:
            alerts.append(frequency)
    for substance, parts in daily_totals.items():
        if len(parts) < 2 or all(index >= resolved.new_count for index, _, _ in parts):
            continue
        inn = knowledge.substances[substance].inn
        total = sum(dose for _, dose, _ in parts)
        _, daily_max = _maxima(parts[0][2], request)
        if daily_max is not None and (severity := _over(total, daily_max)):
            alerts.append(
                _alert(
                    severity,
                    inn,
                    TOTAL_TOO_HIGH,
                    f"dose:{inn}:total",
                    parts[0][2].source,
                    [index for index, _, _ in parts],
                    total,
                    daily_max,
                    request,
                )
            )
    return alerts


def _renal_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    clearance = request.patient.creatinine_clearance_ml_min
    if clearance is None:
        return []
    alerts: list[Alert] = []
    for index, ids in enumerate(resolved.drugs[: resolved.new_count]):
        for substance in ids:
            crossed = [rule for rule in knowledge.renal.get(substance, ()) if clearance < rule.crcl_below]
            if not crossed:
                continue
            rule = min(crossed, key=lambda rule: rule.crcl_below)  # the most specific (lowest) threshold crossed
            alerts.append(
                Alert(
                    severity=severity_of(rule.tier),
                    kind="dose",
                    substances=[knowledge.substances[substance].inn],
                    message=rule.message,
                    source=rule.source,
                    rule=rule.id,
                    drugs=[index],
                    params={"clearance": _number(clearance)},
                )
            )
    return alerts


def _age_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    age = request.patient.age_years
    if age is None:
        return []
    alerts: list[Alert] = []
    for index, ids in enumerate(resolved.drugs[: resolved.new_count]):
        for substance in ids:
            for rule in knowledge.age.get(substance, ()):
                too_young = rule.below_age_years is not None and age < rule.below_age_years
                too_old = rule.from_age_years is not None and age >= rule.from_age_years
                if too_young or too_old:
                    alerts.append(
                        Alert(
                            severity=severity_of(rule.tier),
                            kind="dose",
                            substances=[knowledge.substances[substance].inn],
                            message=rule.message,
                            source=rule.source,
                            rule=rule.id,
                            drugs=[index],
                        )
                    )
    return alerts


def dose_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    return [
        *_range_alerts(knowledge, request, resolved),
        *_renal_alerts(knowledge, request, resolved),
        *_age_alerts(knowledge, request, resolved),
    ]
