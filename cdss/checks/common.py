"""What every check shares: the request's names resolved to substance ids once, tiers as severities, ordering."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cdss.knowledge import Knowledge
from cdss.types import Alert, CheckRequest, Drug, Kind, Severity, Tier

__all__ = ["KIND_ORDER", "SEVERITY_ORDER", "Resolved", "resolve", "severity_of", "sort_alerts"]

SEVERITY_ORDER: dict[Severity, int] = {"hard_stop": 0, "warning": 1, "info": 2}
KIND_ORDER: dict[Kind, int] = {
    "interaction": 0,
    "allergy": 1,
    "diagnosis": 2,
    "pregnancy": 3,
    "dose": 4,
    "duplicate": 5,
}
_TIER_SEVERITY: dict[Tier, Severity] = {
    "contraindicated": "hard_stop",
    "avoid": "warning",
    "precaution": "warning",
    "note": "info",
}


def severity_of(tier: Tier) -> Severity:
    return _TIER_SEVERITY[tier]


@dataclass(frozen=True, slots=True)
class Resolved:
    """The request with every name turned into substance ids (new drugs first, then active ones)."""

    drugs: tuple[tuple[int, ...], ...]  # new + active
    new_count: int
    allergies: tuple[int, ...]
    unmapped: tuple[str, ...]  # names the knowledge cannot map, in the order met, once each


def _drug_ids(knowledge: Knowledge, drug: Drug, unmapped: dict[str, None]) -> tuple[int, ...]:
    ids: list[int] = []
    for name in drug.substances:
        found = knowledge.ids_of(name)
        if found:
            ids.extend(found)
        else:
            unmapped[name] = None
    return tuple(dict.fromkeys(ids))


def resolve(knowledge: Knowledge, request: CheckRequest) -> Resolved:
    unmapped: dict[str, None] = {}
    drugs = tuple(_drug_ids(knowledge, drug, unmapped) for drug in (*request.new, *request.active))
    allergies: list[int] = []
    for name in request.patient.allergies:
        found = knowledge.ids_of(name)
        if found:
            allergies.extend(found)
        else:
            unmapped[name] = None
    return Resolved(drugs, len(request.new), tuple(dict.fromkeys(allergies)), tuple(unmapped))


def all_drugs(request: CheckRequest) -> Sequence[Drug]:
    return (*request.new, *request.active)


def sort_alerts(alerts: Iterable[Alert]) -> list[Alert]:
    """Hard stops first, then warnings, then information; within a severity by kind, drugs and rule."""
    return sorted(
        alerts,
        key=lambda alert: (
            SEVERITY_ORDER[alert.severity],
            KIND_ORDER[alert.kind],
            alert.drugs,
            alert.rule,
            alert.substances,
        ),
    )
