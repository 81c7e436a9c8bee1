"""The knowledge base: read from the files in cdss/data/ and compiled once into lookup tables and the kernel index.

Nothing here runs at import time. `base_knowledge()` reads and compiles the shipped data once (cached);
`compile_knowledge(local_rules)` adds the hospital's own rules on top and builds the kernel's `KnowledgeIndex`.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import msgspec

from cdss.names import exact_key, loose_key, name_variants, plain, split_components
from cdss.types import LocalInteraction, SubstanceInfo, Tier

__all__ = [
    "AgeRule",
    "DiagnosisRule",
    "DoseRule",
    "InteractionRule",
    "Knowledge",
    "PregnancyRule",
    "RenalRule",
    "compile_knowledge",
]

# Bump when the compiler's meaning changes, so that the version (a content hash) changes with it.
_COMPILER = "cdss-knowledge-2"
TIER_ORDER: tuple[Tier, ...] = ("contraindicated", "avoid", "precaution", "note")
NATIONAL_SOURCE = "QĐ 5948/QĐ-BYT"
# ATC groups that are not therapeutic duplicates when two of their members are prescribed together (solutions and
# electrolytes, vitamins and minerals, topical and eye preparations, contrast media, antidotes, local anaesthetics,
# beta-lactamase inhibitors, antiplatelets and beta2-agonists, which classes.csv splits into finer classes).
_NOT_DUPLICATE_ATC = ("B05", "A11", "A12", "B03", "V", "D", "S", "A07C", "N01B", "J01CG", "B01AC", "R03AC", "G01")
_DATA_FILES = (
    "substances.csv",
    "combinations.csv",
    "brands.csv",
    "classes.csv",
    "ddi-contraindicated-qd5948.csv",
    "ansm-thesaurus.json",
    "dose.csv",
    "renal.csv",
    "diagnosis.csv",
    "pregnancy.csv",
    "age.csv",
    "atc-groups.csv",
    "interactions-extra.csv",
    "qd5948-combinations.csv",
)


class InteractionRule(msgspec.Struct, frozen=True):
    id: str
    tier: Tier
    message: str
    source: str


class DoseRule(msgspec.Struct, frozen=True):
    route: str  # "any", "oral" or "parenteral"
    adult_single_max_mg: float | None
    adult_daily_max_mg: float | None
    child_single_max_mg_per_kg: float | None
    child_daily_max_mg_per_kg: float | None
    weekly_max_mg: float | None
    source: str
    # A drug taken on one day a week (oral methotrexate): more doses a week than this is a daily schedule by mistake.
    max_doses_per_week: float | None = None


class RenalRule(msgspec.Struct, frozen=True):
    id: str
    crcl_below: float
    tier: Tier
    message: str
    source: str


class DiagnosisRule(msgspec.Struct, frozen=True):
    id: str
    icd10_prefixes: tuple[str, ...]  # without dots, upper case
    tier: Tier
    message: str
    source: str


class PregnancyRule(msgspec.Struct, frozen=True):
    id: str
    pregnancy: Tier | None
    lactation: Tier | None
    message: str
    source: str


class AgeRule(msgspec.Struct, frozen=True):
    id: str
    below_age_years: float | None
    from_age_years: float | None
    tier: Tier
    message: str
    source: str


@dataclass(slots=True)
class _Substance:
    inn: str
    vietnamese: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    atc: list[str] = field(default_factory=list)
    named_classes: list[str] = field(default_factory=list)
    is_class: bool = False  # a pseudo-substance standing for a class (an allergy to "penicillins")


@dataclass(slots=True)
class _NamedClass:
    id: str
    name: str
    members: list[str]  # INN names and "ATC:<prefix>" groups
    allergy_severity: str  # "", "hard_stop", "warning" or "info"
    within: list[str]
    aliases: list[str]
    duplicate: bool
    # "fallback" in classes.csv: a broad class (ACE inhibitor + ARB) that names a duplicate only when the two drugs
    # share no other duplicate class (two ACE inhibitors stay "ACE inhibitors, plain").
    duplicate_fallback: bool = False


class Knowledge:
    """The compiled knowledge. Treat as immutable; `version` is a hash of its content (data files and local rules)."""

    def __init__(self) -> None:
        self.version = ""
        self.substances: list[_Substance] = []
        self.exact: dict[str, tuple[int, ...]] = {}
        self.loose: dict[str, tuple[int, ...]] = {}
        self.classes: dict[str, _NamedClass] = {}
        self.class_substances: dict[str, tuple[int, ...]] = {}
        self.atc_groups: dict[str, str] = {}
        # interactions: unordered substance pair -> rules; the kernel sees one entry id per pair
        self.pair_rules: dict[tuple[int, int], list[InteractionRule]] = {}
        self.entries: list[tuple[InteractionRule, ...]] = []
        # substance pair -> the rules an alert shows (national and local rules, the most severe ANSM rule, ...)
        self.selected: dict[tuple[int, int], tuple[InteractionRule, ...]] = {}
        self.duplicate_class_ids: list[str] = []
        self.duplicate_class_names: list[str] = []
        self.allergy_class_ids: list[str] = []
        self.allergy_class_severity: list[str] = []
        self.dose: dict[int, list[DoseRule]] = {}
        self.renal: dict[int, list[RenalRule]] = {}
        self.diagnosis: dict[int, list[DiagnosisRule]] = {}
        self.pregnancy: dict[int, list[PregnancyRule]] = {}
        self.age: dict[int, list[AgeRule]] = {}
        self.problems: list[str] = []  # rules that could not be compiled (unknown names), for the pharmacist
        self.index: Any = None
        self._name_cache: dict[str, tuple[int, ...]] = {}

    # -- names ---------------------------------------------------------------------------------------------------
    def ids_of(self, name: str) -> tuple[int, ...]:
        """Substance ids a name stands for (several for a combination), () when unknown. Cached per spelling."""
        cached = self._name_cache.get(name)
        if cached is None:
            cached = self._resolve(name)
            if len(self._name_cache) < 100_000:
                self._name_cache[name] = cached
        return cached

    def _lookup(self, name: str) -> tuple[int, ...]:
        for variant in name_variants(name):
            found = self.exact.get(exact_key(variant)) or self.loose.get(loose_key(variant))
            if found:
                return found
        return ()

    def _resolve(self, name: str) -> tuple[int, ...]:
        found = self._lookup(name)
        if found:
            return found
        for wide in (False, True):
            parts = split_components(name, wide=wide)
            if len(parts) < 2:
                continue
            ids: list[int] = []
            for part in parts:
                part_ids = self._lookup(part)
                if not part_ids:
                    break
                ids.extend(part_ids)
            else:
                return tuple(dict.fromkeys(ids))
        return ()

    def info(self, substance: int) -> SubstanceInfo:
        entry = self.substances[substance]
        classes = [code[:5] for code in entry.atc if len(code) >= 5]
        return SubstanceInfo(
            inn=entry.inn,
            vietnamese=list(entry.vietnamese),
            aliases=list(entry.aliases),
            atc=list(entry.atc),
            classes=list(dict.fromkeys(classes + entry.named_classes)),
            is_class=entry.is_class,
        )


# -- reading the data files ----------------------------------------------------------------------------------------
def _data_bytes(name: str) -> bytes:
    return resources.files("cdss").joinpath("data", name).read_bytes()


def _rows(name: str) -> list[dict[str, str]]:
    # newline="": quoted cells of the national list span several lines; keep their line breaks as text.
    text = io.StringIO(_data_bytes(name).decode("utf-8"), newline="")
    return [{key: (value or "").strip() for key, value in row.items()} for row in csv.DictReader(text)]


def _list(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(";") if item.strip()]


def _number(cell: str) -> float | None:
    return float(cell) if cell else None


def _tier(cell: str) -> Tier | None:
    if not cell:
        return None
    if cell not in TIER_ORDER:
        raise ValueError(f"unknown tier {cell!r}")
    return cell  # type: ignore[return-value]


def _slug(text: str) -> str:
    return plain(text).replace(" ", "-")


def _clean(text: str) -> str:
    """The national list comes from a PDF: join broken lines and squeeze spaces."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(slots=True)
class _Builder:
    knowledge: Knowledge
    exact_multi: dict[str, set[tuple[int, ...]]] = field(default_factory=dict)
    loose_multi: dict[str, set[tuple[int, ...]]] = field(default_factory=dict)

    def add_substance(self, substance: _Substance) -> int:
        self.knowledge.substances.append(substance)
        sid = len(self.knowledge.substances) - 1
        for name in [substance.inn, *substance.vietnamese, *substance.aliases]:
            self.add_name(name, (sid,))
        return sid

    def add_name(self, name: str, ids: tuple[int, ...], *, loose: bool = True) -> None:
        self.exact_multi.setdefault(exact_key(name), set()).add(ids)
        if loose:
            self.loose_multi.setdefault(loose_key(name), set()).add(ids)

    def freeze_names(self) -> None:
        # A key naming two different things is kept only in its exact form when that is unambiguous.
        k = self.knowledge
        k.exact = {key: next(iter(ids)) for key, ids in self.exact_multi.items() if len(ids) == 1 and key}
        k.loose = {key: next(iter(ids)) for key, ids in self.loose_multi.items() if len(ids) == 1 and key}
        k._name_cache.clear()


def _load_substances(builder: _Builder) -> None:
    for row in _rows("substances.csv"):
        builder.add_substance(
            _Substance(
                inn=row["inn"],
                vietnamese=_list(row["vietnamese"]),
                aliases=_list(row["aliases"]),
                atc=_list(row["atc"]),
            )
        )
    builder.freeze_names()


def _load_ansm_substances(builder: _Builder, ansm: dict[str, Any]) -> None:
    """Substances of the thesaurus the dictionary does not hold yet (no ATC code, no Vietnamese spelling)."""
    k = builder.knowledge
    # The thesaurus's names for a whole group of salts ("calcium", "potassium", "insuline") stay class names: as a
    # name of each member they would make the name ambiguous.
    group_keys = {exact_key(key) for key in ansm["classes"]}
    for inn, names in ansm["substances"].items():
        french = [name for name in names if exact_key(name) not in group_keys]
        ids = k.ids_of(inn)
        if len(ids) == 1:
            for name in french:
                builder.add_name(name, ids)
            continue
        builder.add_substance(_Substance(inn=inn, aliases=french))
    builder.freeze_names()


def _load_combinations(builder: _Builder) -> None:
    """Names that stand for substances: combinations (co-trimoxazole) and brand names (Augmentin, Hapacol)."""
    k = builder.knowledge
    for file in ("combinations.csv", "brands.csv"):
        for row in _rows(file):
            ids: list[int] = []
            for part in _list(row["substances"]):
                found = k.ids_of(part)
                if len(found) != 1:
                    raise ValueError(f"{file}: {part!r} is not one known substance")
                ids.extend(found)
            builder.add_name(row["name"], tuple(ids), loose=False)
    builder.freeze_names()


def _members(k: Knowledge, members: Iterable[str], by_atc: dict[str, list[int]]) -> set[int]:
    found: set[int] = set()
    for member in members:
        if member.upper().startswith("ATC:"):
            prefix = member[4:].strip().upper()
            for code, ids in by_atc.items():
                if code.startswith(prefix):
                    found.update(ids)
        elif member.startswith("class:"):
            found.update(k.class_substances.get(member[6:], ()))
        else:
            found.update(k.ids_of(member))
    return found


def _atc_index(k: Knowledge) -> dict[str, list[int]]:
    by_atc: dict[str, list[int]] = {}
    for sid, substance in enumerate(k.substances):
        for code in substance.atc:
            by_atc.setdefault(code.upper(), []).append(sid)
    return by_atc


def _load_classes(builder: _Builder, by_atc: dict[str, list[int]]) -> None:
    k = builder.knowledge
    rows = _rows("classes.csv")
    for row in rows:
        named = _NamedClass(
            id=row["id"],
            name=row["name"],
            members=_list(row["members"]),
            allergy_severity=row["allergy_severity"],
            within=_list(row["within"]),
            aliases=_list(row["aliases"]),
            duplicate=row["duplicate"] in ("yes", "fallback"),
            duplicate_fallback=row["duplicate"] == "fallback",
        )
        k.classes[named.id] = named
    for named in k.classes.values():
        members = _members(k, named.members, by_atc)
        k.class_substances[named.id] = tuple(sorted(members))
        for sid in members:
            k.substances[sid].named_classes.append(named.id)
    # Allergies may name a class ("penicillins", "NSAID"): each class is also a pseudo-substance.
    for named in k.classes.values():
        if not named.allergy_severity:
            continue
        sid = builder.add_substance(_Substance(inn=named.name, aliases=[named.id, *named.aliases], is_class=True))
        k.substances[sid].named_classes.extend([named.id, *named.within])
    builder.freeze_names()


def _expand(k: Knowledge, side: str, ansm_classes: dict[str, Any] | None, by_atc: dict[str, list[int]]) -> set[int]:
    if side.startswith("class:") and ansm_classes is not None and side[6:] in ansm_classes:
        return _members(k, ansm_classes[side[6:]]["members"], by_atc)
    if side.startswith("class:") or side.upper().startswith("ATC:"):
        return _members(k, [side], by_atc)
    return set(k.ids_of(side))


def _add_pair_rule(k: Knowledge, first: set[int], second: set[int], rule: InteractionRule) -> None:
    for a in first:
        for b in second:
            if a == b:
                continue  # the same substance twice is a duplicate, not an interaction
            pair = (a, b) if a < b else (b, a)
            rules = k.pair_rules.setdefault(pair, [])
            if rule not in rules:
                rules.append(rule)


def _load_national(k: Knowledge, by_atc: dict[str, list[int]]) -> None:
    # A combination product of the list ("Atazanavir/ritonavir") stands for each of its substances, except where
    # qd5948-combinations.csv names the one substance the interaction comes from.
    responsible = {
        exact_key(row["name"]): _targets(k, row["responsible"], "qd5948-combinations.csv", by_atc)
        for row in _rows("qd5948-combinations.csv")
    }

    def side(name: str) -> set[int]:
        return responsible.get(exact_key(name)) or _expand(k, name, None, by_atc)

    for row in _rows("ddi-contraindicated-qd5948.csv"):
        first = side(row["substance_1"])
        second = side(row["substance_2"])
        if not first or not second:
            k.problems.append(
                f"{NATIONAL_SOURCE} #{row['stt']}: cannot map {row['substance_1']!r} or {row['substance_2']!r}"
            )
            continue
        consequence, management = _clean(row["consequence"]), _clean(row["management"])
        if consequence and management and not consequence.endswith((".", "!", "?", ":")):
            consequence += "."
        message = " ".join(part for part in (consequence, management) if part)
        rule = InteractionRule(
            id=f"qd5948:{row['stt']}",
            tier="contraindicated",
            message=message,
            source=f"{NATIONAL_SOURCE} #{row['stt']}",
        )
        _add_pair_rule(k, first, second, rule)


def _load_extra(k: Knowledge, by_atc: dict[str, list[int]]) -> None:
    """Interactions curated for this project (English msgids), where the two published sources are silent or weak."""
    seen: set[str] = set()
    for row in _rows("interactions-extra.csv"):
        first = _targets(k, row["first"], "interactions-extra.csv", by_atc)
        second = _targets(k, row["second"], "interactions-extra.csv", by_atc)
        rule_id = _unique_id(seen, f"cdss:{_slug(_list(row['first'])[0])}:{_slug(_list(row['second'])[0])}")
        tier = _tier(row["tier"]) or "precaution"
        _add_pair_rule(
            k, first, second, InteractionRule(id=rule_id, tier=tier, message=row["message"], source=row["source"])
        )


_ANSM_TIER_TEXT = {
    "contraindicated": "ANSM: contraindicated combination.",
    "avoid": "ANSM: combination not recommended.",
    "precaution": "ANSM: precaution for use.",
    "note": "ANSM: to be taken into account.",
}


def _load_ansm(k: Knowledge, ansm: dict[str, Any], by_atc: dict[str, list[int]]) -> None:
    classes = ansm["classes"]
    for entry in ansm["rules"]:
        first = _expand(k, entry["a"], classes, by_atc)
        second = _expand(k, entry["b"], classes, by_atc)
        rule = InteractionRule(
            id=entry["id"],
            tier=entry["tier"],
            message=f"{_ANSM_TIER_TEXT[entry['tier']]} {entry['text']}",
            source=ansm["source"],
        )
        _add_pair_rule(k, first, second, rule)


def _load_dose(k: Knowledge) -> None:
    for row in _rows("dose.csv"):
        ids = k.ids_of(row["substance"])
        if len(ids) != 1:
            raise ValueError(f"dose.csv: unknown substance {row['substance']!r}")
        k.dose.setdefault(ids[0], []).append(
            DoseRule(
                route=row["route"] or "any",
                adult_single_max_mg=_number(row["adult_single_max_mg"]),
                adult_daily_max_mg=_number(row["adult_daily_max_mg"]),
                child_single_max_mg_per_kg=_number(row["child_single_max_mg_per_kg"]),
                child_daily_max_mg_per_kg=_number(row["child_daily_max_mg_per_kg"]),
                weekly_max_mg=_number(row["weekly_max_mg"]),
                source=row["source"],
                max_doses_per_week=_number(row["max_doses_per_week"]),
            )
        )


def _targets(k: Knowledge, cell: str, file: str, by_atc: dict[str, list[int]]) -> set[int]:
    found: set[int] = set()
    excluded: set[int] = set()
    for target in _list(cell):
        if target.startswith("!"):  # "class:nsaids;!acetylsalicylic acid": the class without that member
            excluded.update(k.ids_of(target[1:]))
            continue
        ids = _expand(k, target, None, by_atc)
        if not ids and not target.upper().startswith("ATC:"):  # an ATC group may have no member in the dictionary yet
            raise ValueError(f"{file}: unknown substance or class {target!r}")
        found |= ids
    return found - excluded


def _unique_id(seen: set[str], base: str) -> str:
    candidate, number = base, 2
    while candidate in seen:
        candidate, number = f"{base}-{number}", number + 1
    seen.add(candidate)
    return candidate


def _load_patient_rules(k: Knowledge, by_atc: dict[str, list[int]]) -> None:
    seen: set[str] = set()
    for row in _rows("renal.csv"):
        threshold = float(row["crcl_below"])
        rule = RenalRule(
            id=_unique_id(seen, f"renal:{_slug(_list(row['substance'])[0])}:{threshold:g}"),
            crcl_below=threshold,
            tier=_tier(row["tier"]) or "precaution",
            message=row["message"],
            source=row["source"],
        )
        for sid in _targets(k, row["substance"], "renal.csv", by_atc):
            k.renal.setdefault(sid, []).append(rule)
    for row in _rows("diagnosis.csv"):
        prefixes = tuple(code.replace(".", "").upper() for code in _list(row["icd10"]))
        diagnosis_rule = DiagnosisRule(
            id=_unique_id(seen, f"diagnosis:{_slug(prefixes[0])}:{_slug(_list(row['substance'])[0])}"),
            icd10_prefixes=prefixes,
            tier=_tier(row["tier"]) or "precaution",
            message=row["message"],
            source=row["source"],
        )
        for sid in _targets(k, row["substance"], "diagnosis.csv", by_atc):
            k.diagnosis.setdefault(sid, []).append(diagnosis_rule)
    for row in _rows("pregnancy.csv"):
        pregnancy_rule = PregnancyRule(
            id=_unique_id(seen, f"pregnancy:{_slug(_list(row['substance'])[0])}"),
            pregnancy=_tier(row["pregnancy"]),
            lactation=_tier(row["lactation"]),
            message=row["message"],
            source=row["source"],
        )
        for sid in _targets(k, row["substance"], "pregnancy.csv", by_atc):
            k.pregnancy.setdefault(sid, []).append(pregnancy_rule)
    for row in _rows("age.csv"):
        age_rule = AgeRule(
            id=_unique_id(seen, f"age:{_slug(_list(row['substance'])[0])}"),
            below_age_years=_number(row["below_age_years"]),
            from_age_years=_number(row["from_age_years"]),
            tier=_tier(row["tier"]) or "precaution",
            message=row["message"],
            source=row["source"],
        )
        for sid in _targets(k, row["substance"], "age.csv", by_atc):
            k.age.setdefault(sid, []).append(age_rule)


def _data_hash() -> str:
    digest = hashlib.sha256(_COMPILER.encode())
    for name in _DATA_FILES:
        digest.update(name.encode())
        digest.update(_data_bytes(name))
    return digest.hexdigest()


@functools.cache
def base_knowledge() -> Knowledge:
    """The shipped knowledge without local rules and without the kernel index (read once per process)."""
    k = Knowledge()
    builder = _Builder(k)
    _load_substances(builder)
    _load_combinations(builder)
    ansm = json.loads(_data_bytes("ansm-thesaurus.json"))
    _load_ansm_substances(builder, ansm)
    by_atc = _atc_index(k)
    k.atc_groups = {row["code"]: row["name"] for row in _rows("atc-groups.csv")}
    _load_classes(builder, by_atc)
    _load_national(k, by_atc)
    _load_ansm(k, ansm, by_atc)
    _load_extra(k, by_atc)
    _load_dose(k)
    _load_patient_rules(k, by_atc)
    k.version = _data_hash()
    return k


@functools.cache
def base_selection() -> dict[tuple[int, int], tuple[InteractionRule, ...]]:
    """The alert-worthy rules of every shipped substance pair, in pair order (computed once)."""
    base = base_knowledge()
    return {pair: _selected(rules) for pair, rules in sorted(base.pair_rules.items())}


def _local_hash(base: str, local_rules: Sequence[LocalInteraction]) -> str:
    if not local_rules:
        return base[:16]
    encoded = msgspec.json.encode(sorted(local_rules, key=lambda rule: rule.id))
    return hashlib.sha256(base.encode() + encoded).hexdigest()[:16]


def _selected(rules: Sequence[InteractionRule]) -> tuple[InteractionRule, ...]:
    """The alert-worthy rules of one substance pair.

    A pair keeps every rule of the national list and every local rule, only the most severe ANSM rule (the
    thesaurus often matches a pair both by substance and by class), and a curated rule only where it is more severe
    than the published ones."""
    if len(rules) == 1:  # most pairs: nothing to choose
        return (rules[0],)
    ansm = [rule for rule in rules if rule.id.startswith("ansm:")]
    curated = [rule for rule in rules if rule.id.startswith("cdss:")]
    kept = [rule for rule in rules if not rule.id.startswith(("ansm:", "cdss:"))]
    if ansm:
        kept.append(min(ansm, key=lambda rule: (TIER_ORDER.index(rule.tier), rule.id)))
    published = min((TIER_ORDER.index(rule.tier) for rule in kept if not rule.id.startswith("local:")), default=9)
    kept.extend(rule for rule in curated if TIER_ORDER.index(rule.tier) < published)
    return tuple(kept)


def _entries(k: Knowledge, selected: dict[tuple[int, int], tuple[InteractionRule, ...]]) -> list[tuple[int, int, int]]:
    """One kernel entry per substance pair (in a deterministic order); its rules in `k.entries`."""
    interactions: list[tuple[int, int, int]] = []
    k.entries = []
    for (a, b), rules in selected.items():
        interactions.append((a, b, len(k.entries)))
        k.entries.append(rules)
    return interactions


def _class_tables(k: Knowledge) -> tuple[list[list[int]], list[list[int]]]:
    duplicate_ids: dict[str, int] = {}
    allergy_ids: dict[str, int] = {}
    k.duplicate_class_ids, k.duplicate_class_names = [], []
    k.allergy_class_ids, k.allergy_class_severity = [], []

    def duplicate_id(code: str, name: str) -> int:
        if code not in duplicate_ids:
            duplicate_ids[code] = len(k.duplicate_class_ids)
            k.duplicate_class_ids.append(code)
            k.duplicate_class_names.append(name)
        return duplicate_ids[code]

    def allergy_id(code: str) -> int:
        if code not in allergy_ids:
            allergy_ids[code] = len(k.allergy_class_ids)
            k.allergy_class_ids.append(code)
            k.allergy_class_severity.append(k.classes[code].allergy_severity or "info")
        return allergy_ids[code]

    duplicates: list[list[int]] = []
    allergies: list[list[int]] = []
    for substance in k.substances:
        own: list[int] = []
        if not substance.is_class:
            for code in substance.atc:
                group = code[:5].upper()
                # "X" groups ("N03AX other antiepileptics") gather unlike drugs: no duplicate therapy within them.
                if len(group) == 5 and group[4] != "X" and not group.startswith(_NOT_DUPLICATE_ATC):
                    own.append(duplicate_id(group, k.atc_groups.get(group, f"ATC {group}")))
            for class_id in substance.named_classes:
                named = k.classes[class_id]
                if named.duplicate:
                    own.append(duplicate_id(f"class:{class_id}", named.name))
        duplicates.append(sorted(set(own)))
        allergies.append(sorted({allergy_id(c) for c in substance.named_classes if k.classes[c].allergy_severity}))
    return duplicates, allergies


def compile_knowledge(local_rules: Sequence[LocalInteraction] = ()) -> Knowledge:
    """The shipped knowledge plus the hospital's local rules, with its kernel index built."""
    from perf import cdss_kernel

    base = base_knowledge()
    k = Knowledge()
    for name in (
        "substances",
        "exact",
        "loose",
        "classes",
        "class_substances",
        "atc_groups",
        "dose",
        "renal",
        "diagnosis",
        "pregnancy",
        "age",
    ):
        setattr(k, name, getattr(base, name))
    k.problems = list(base.problems)
    # Local rules only touch a few pairs: start from the shipped selection and re-select only those.
    local_pairs: dict[tuple[int, int], list[InteractionRule]] = {}
    k.pair_rules = local_pairs
    by_atc = _atc_index(k)
    for local in local_rules:
        first = _expand(k, local.first, None, by_atc)
        second = _expand(k, local.second, None, by_atc)
        if not first or not second:
            k.problems.append(f"local:{local.id}: cannot map {local.first!r} or {local.second!r}")
            continue
        rule = InteractionRule(
            id=f"local:{local.id}", tier=local.tier, message=local.message, source=f"local:{local.id}"
        )
        _add_pair_rule(k, first, second, rule)
    k.version = _local_hash(base.version, local_rules)
    selected = dict(base_selection())
    for pair, rules in local_pairs.items():
        selected[pair] = _selected([*base.pair_rules.get(pair, ()), *rules])
    k.pair_rules = {pair: list(rules) for pair, rules in local_pairs.items()}
    k.selected = selected
    interactions = _entries(k, selected)
    duplicates, allergies = _class_tables(k)
    k.index = cdss_kernel.KnowledgeIndex(len(k.substances), interactions, duplicates, allergies)
    return k
