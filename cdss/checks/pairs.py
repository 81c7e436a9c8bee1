"""Interactions, duplicate therapy and allergies: the kernel finds the hits, this turns them into alerts."""

from __future__ import annotations

from collections.abc import Sequence

from cdss.checks.common import Resolved, severity_of
from cdss.knowledge import Knowledge
from cdss.types import Alert, Severity

__all__ = ["pair_alerts", "screen_alerts"]

# Kernel hit kinds (perf/cdss_kernel.py); repeated here so that the alerts do not depend on which kernel is loaded.
_INTERACTION, _DUPLICATE_SUBSTANCE, _DUPLICATE_CLASS, _ALLERGY = 0, 1, 2, 3
_SEVERITY_RANK: dict[str, int] = {"hard_stop": 0, "warning": 1, "info": 2}

SAME_SUBSTANCE = "The same substance is prescribed in two drugs."
SAME_CLASS = "Two drugs of the same therapeutic class are prescribed ({group}): duplicate therapy?"
ALLERGY_SAME = "The patient is allergic to this substance."
ALLERGY_CLASS = (
    "The patient is allergic to {allergen}; this drug belongs to the same class ({group}): cross-sensitivity."
)


def _hits_to_alerts(knowledge: Knowledge, hits: Sequence[tuple[int, int, int, int, int, int]]) -> list[Alert]:
    names = knowledge.substances
    alerts: dict[tuple[str, int, int], Alert] = {}
    duplicate_pairs: set[tuple[int, int]] = set()
    fallback_duplicate_rules: set[str] = set()
    allergy_best: dict[tuple[int, int], tuple[int, Alert]] = {}
    for kind, i, j, ref, s, t in hits:
        if kind == _INTERACTION:
            for rule in knowledge.entries[ref]:
                key = (rule.id, i, j)
                if key not in alerts:
                    alerts[key] = Alert(
                        severity=severity_of(rule.tier),
                        kind="interaction",
                        substances=[names[s].inn, names[t].inn],
                        message=rule.message,
                        source=rule.source,
                        rule=rule.id,
                        drugs=[i, j],
                    )
        elif kind == _DUPLICATE_SUBSTANCE:
            duplicate_pairs.add((i, j))
            alerts[(f"duplicate:substance:{names[s].inn}", i, j)] = Alert(
                severity="warning",
                kind="duplicate",
                substances=[names[s].inn],
                message=SAME_SUBSTANCE,
                source="cdss",
                rule=f"duplicate:substance:{names[s].inn}",
                drugs=[i, j],
            )
        elif kind == _DUPLICATE_CLASS:
            if (i, j) in duplicate_pairs:
                continue
            code = knowledge.duplicate_class_ids[ref]
            rule_id = f"duplicate:class:{code.removeprefix('class:')}"
            if code.startswith("class:") and knowledge.classes[code[6:]].duplicate_fallback:
                fallback_duplicate_rules.add(rule_id)
            alerts.setdefault(
                (rule_id, i, j),
                Alert(
                    severity="warning",
                    kind="duplicate",
                    substances=[names[s].inn, names[t].inn],
                    message=SAME_CLASS,
                    source="WHO ATC classification" if not code.startswith("class:") else "cdss",
                    rule=rule_id,
                    drugs=[i, j],
                    params={"group": knowledge.duplicate_class_names[ref]},
                ),
            )
        else:  # allergy: j indexes the patient's allergies; keep the most severe hit per drug and allergen
            if ref < 0:
                severity: Severity = "hard_stop"
                alert = Alert(
                    severity=severity,
                    kind="allergy",
                    substances=[names[s].inn],
                    message=ALLERGY_SAME,
                    source="cdss",
                    rule=f"allergy:substance:{names[s].inn}",
                    drugs=[i],
                )
            else:
                severity = knowledge.allergy_class_severity[ref]  # type: ignore[assignment]
                class_id = knowledge.allergy_class_ids[ref]
                alert = Alert(
                    severity=severity,
                    kind="allergy",
                    substances=[names[s].inn, names[t].inn],
                    message=ALLERGY_CLASS,
                    source="cdss",
                    rule=f"allergy:class:{class_id}",
                    drugs=[i],
                    params={"allergen": names[t].inn, "group": knowledge.classes[class_id].name},
                )
            rank = _SEVERITY_RANK[severity]
            best = allergy_best.get((i, j))
            if best is None or rank < best[0]:
                allergy_best[(i, j)] = (rank, alert)
    # One duplicate-class alert per drug pair (a pair may share an ATC group and a named class), none when the pair
    # already repeats a substance.
    # Two combination products can meet through several substance pairs: one ANSM alert per drug pair is enough
    # (the most severe), as for a single substance pair.
    best_ansm: dict[tuple[int, int], tuple[int, str]] = {}
    for (rule_id, i, j), alert in alerts.items():
        if rule_id.startswith("ansm:"):
            ansm_rank = (_SEVERITY_RANK[alert.severity], rule_id)
            if (i, j) not in best_ansm or ansm_rank < best_ansm[(i, j)]:
                best_ansm[(i, j)] = ansm_rank
    # Of the classes a drug pair shares, the first met names the duplicate, a broad fallback class only when the pair
    # shares no other ("ACE inhibitors, plain" for two ACE inhibitors, "renin-angiotensin system blockers" for an
    # ACE inhibitor with an ARB).
    shown_duplicate: dict[tuple[int, int], str] = {}
    for rule_id, i, j in alerts:
        if rule_id.startswith("duplicate:class:"):
            shown = shown_duplicate.get((i, j))
            if shown is None or (shown in fallback_duplicate_rules and rule_id not in fallback_duplicate_rules):
                shown_duplicate[(i, j)] = rule_id
    result: list[Alert] = []
    for (rule_id, i, j), alert in alerts.items():
        if rule_id.startswith("duplicate:class:") and ((i, j) in duplicate_pairs or shown_duplicate[(i, j)] != rule_id):
            continue
        if rule_id.startswith("ansm:") and best_ansm[(i, j)][1] != rule_id:
            continue
        result.append(alert)
    result.extend(alert for _, alert in allergy_best.values())
    return result


def pair_alerts(knowledge: Knowledge, resolved: Resolved) -> list[Alert]:
    from perf import cdss_kernel

    new = resolved.drugs[: resolved.new_count]
    active = resolved.drugs[resolved.new_count :]
    hits = cdss_kernel.check(knowledge.index, new, active, resolved.allergies)
    return _hits_to_alerts(knowledge, hits)


def screen_alerts(knowledge: Knowledge, patients: Sequence[Sequence[tuple[int, ...]]]) -> list[list[Alert]]:
    from perf import cdss_kernel

    return [_hits_to_alerts(knowledge, hits) for hits in cdss_kernel.screen(knowledge.index, patients)]
