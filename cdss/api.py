"""The public API of decision support: load the knowledge, check a request, screen many patients, map names.

Pure: no database, no web framework, no hospital module. The knowledge is read from cdss/data/ on first use and
compiled once per set of local rules.

    knowledge = load_knowledge()
    alerts = check(knowledge, CheckRequest(new=[Drug(["Warfarin"])], active=[Drug(["Aspirin"])]))
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from cdss.checks import (
    diagnosis_alerts,
    dose_alerts,
    pair_alerts,
    pregnancy_alerts,
    resolve,
    screen_alerts,
    sort_alerts,
)
from cdss.knowledge import Knowledge, compile_knowledge
from cdss.types import (
    Alert,
    CheckRequest,
    Drug,
    Kind,
    LocalInteraction,
    Patient,
    Severity,
    SubstanceInfo,
    Tier,
)

__all__ = [
    "Alert",
    "CheckRequest",
    "CheckResult",
    "Drug",
    "Kind",
    "Knowledge",
    "LocalInteraction",
    "Patient",
    "Severity",
    "SubstanceInfo",
    "Tier",
    "check",
    "check_with_unmapped",
    "english_messages",
    "load_knowledge",
    "resolve_substance",
    "screen",
    "unmapped",
]


@functools.lru_cache(maxsize=8)
def _compiled(local_rules: tuple[LocalInteraction, ...]) -> Knowledge:
    return compile_knowledge(local_rules)


def load_knowledge(local_rules: Sequence[LocalInteraction] = ()) -> Knowledge:
    """The shipped knowledge plus the hospital's local rules; `Knowledge.version` is a hash of the content.

    Compiled once per distinct set of local rules (the last few are kept); `Knowledge.problems` lists local rules
    that name something the knowledge does not know."""
    return _compiled(tuple(local_rules))


class CheckResult:
    """The alerts of one request and the names in it that the knowledge could not map."""

    __slots__ = ("alerts", "unmapped")

    def __init__(self, alerts: list[Alert], unmapped_names: list[str]) -> None:
        self.alerts = alerts
        self.unmapped = unmapped_names


def check_with_unmapped(knowledge: Knowledge, request: CheckRequest) -> CheckResult:
    resolved = resolve(knowledge, request)
    alerts = [
        *pair_alerts(knowledge, resolved),
        *dose_alerts(knowledge, request, resolved),
        *diagnosis_alerts(knowledge, request, resolved),
        *pregnancy_alerts(knowledge, request, resolved),
    ]
    return CheckResult(sort_alerts(alerts), list(resolved.unmapped))


def check(knowledge: Knowledge, request: CheckRequest) -> list[Alert]:
    """Every alert for the new drugs of the request: hard stops first, deterministic order.

    Interactions new x new and new x active; allergies, dose, renal, age, diagnosis and pregnancy for the new
    drugs; duplicates new x new and new x active. Alert.drugs index `request.new + request.active`."""
    return check_with_unmapped(knowledge, request).alerts


def screen(knowledge: Knowledge, patients: Sequence[Sequence[Drug]]) -> list[list[Alert]]:
    """Whole-hospital screening: each patient's active drugs against each other (interactions and duplicates)."""
    resolved = [[_drug_ids(knowledge, drug) for drug in drugs] for drugs in patients]
    return [sort_alerts(alerts) for alerts in screen_alerts(knowledge, resolved)]


def _drug_ids(knowledge: Knowledge, drug: Drug) -> tuple[int, ...]:
    ids: list[int] = []
    for name in drug.substances:
        ids.extend(knowledge.ids_of(name))
    return tuple(dict.fromkeys(ids))


def english_messages(knowledge: Knowledge) -> list[str]:
    """Every English msgid an alert can carry (sorted), for the hospital module's translation catalogue: the
    engine's own texts and those of the curated rules. National-list (Vietnamese), ANSM (French) and local rules'
    messages are not msgids."""
    from cdss.checks import dose, pairs

    texts = {
        pairs.SAME_SUBSTANCE,
        pairs.SAME_CLASS,
        pairs.ALLERGY_SAME,
        pairs.ALLERGY_CLASS,
        dose.SINGLE_TOO_HIGH,
        dose.DAILY_TOO_HIGH,
        dose.WEEKLY_TOO_HIGH,
        dose.TOTAL_TOO_HIGH,
        dose.TOO_FREQUENT,
        *(message + dose.ESTIMATED for message in (dose.SINGLE_TOO_HIGH, dose.DAILY_TOO_HIGH, dose.TOTAL_TOO_HIGH)),
    }
    for table in (knowledge.renal, knowledge.diagnosis, knowledge.pregnancy, knowledge.age):
        texts.update(rule.message for rules in table.values() for rule in rules)
    texts.update(rule.message for rules in knowledge.entries for rule in rules if rule.id.startswith("cdss:"))
    return sorted(texts)


def resolve_substance(knowledge: Knowledge, name: str) -> SubstanceInfo | None:
    """What a name stands for: the substance (INN, Vietnamese spellings, ATC codes, classes), or None when the name
    is unknown or names a combination of several substances."""
    ids = knowledge.ids_of(name)
    if len(ids) != 1:
        return None
    return knowledge.info(ids[0])


def unmapped(knowledge: Knowledge, names: Iterable[str]) -> list[str]:
    """The names (in order, once each) the knowledge cannot map to a substance or class."""
    return list(dict.fromkeys(name for name in names if not knowledge.ids_of(name)))
