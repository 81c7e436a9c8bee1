"""The interaction, duplicate-therapy and allergy kernel of decision support: the pure-Python twin.

`native/cdss_kernel.pyx` is the same kernel in Cython; callers import whichever is in use through `perf`
(``from perf import cdss_kernel``), never this module or `native` directly. Both give identical results, which
``tests/perf/test_cdss_kernel.py`` proves on random indexes with Hypothesis.

Substances are small non-negative ints ``0..substance_count-1`` assigned by the cdss knowledge compiler; a drug is a
sequence of substance ids (a combination product has several). Class-level rules reach the kernel already expanded
into substance pairs, so the kernel only knows substance ids and class ids.

`check` compares every pair of drugs ``new x new`` (``i < j``) and ``new x active``, and every new drug with the
patient's allergies. A hit is the tuple ``(kind, new_drug_index, other_index, ref, substance_of_new_drug,
other_substance)``:

- ``INTERACTION``: the two drugs hold substances ``s`` and ``t`` forming an interaction pair; ``ref`` is its entry id.
- ``DUPLICATE_SUBSTANCE``: both drugs hold substance ``s``; ``ref = s`` and both substances are ``s``. That
  substance pair yields no ``DUPLICATE_CLASS`` hit.
- ``DUPLICATE_CLASS``: two different substances share a therapeutic class; one hit per shared class.
- ``ALLERGY``: ``other_index`` indexes ``allergies``, ``other_substance`` is the allergen; ``ref = -1`` when the drug's
  substance is the allergen itself, else one hit per shared cross-sensitivity class.

For the pair kinds ``other_index`` indexes ``list(new) + list(active)``: ``i < j < len(new)`` is another new drug,
``j >= len(new)`` is ``active[j - len(new)]``. The result is sorted (plain tuple order) and free of duplicates, even
when a drug repeats a substance. An id out of range raises ValueError.

How it is fast in pure Python: `KnowledgeIndex` builds, once, a dict of partners per substance (partner -> entry id)
and tuples of sorted, unique class ids. `check` never looks at a drug pair that has nothing in common: it indexes the
call's drugs by substance and by therapeutic class, then for each substance of each new drug walks its later
occurrences, the intersection of its partners with the substances present (a dict-view intersection, done in C over
the smaller side) and the members of its classes. The work is proportional to the substances, their classes and the
hits, not to the number of drug pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import index as as_int

INTERACTION = 0
DUPLICATE_SUBSTANCE = 1
DUPLICATE_CLASS = 2
ALLERGY = 3

Hit = tuple[int, int, int, int, int, int]

__all__ = [
    "ALLERGY",
    "DUPLICATE_CLASS",
    "DUPLICATE_SUBSTANCE",
    "INTERACTION",
    "Hit",
    "KnowledgeIndex",
    "check",
    "screen",
]


def _class_table(
    name: str, per_substance: Sequence[Sequence[int]], substance_count: int
) -> tuple[tuple[int, ...], ...]:
    if len(per_substance) != substance_count:
        raise ValueError(f"{name} has {len(per_substance)} rows, expected one per substance ({substance_count})")
    table: list[tuple[int, ...]] = []
    for classes in per_substance:
        unique = sorted({as_int(c) for c in classes})
        if unique and unique[0] < 0:
            raise ValueError(f"{name}: class ids must be >= 0, got {unique[0]}")
        table.append(tuple(unique))
    return tuple(table)


class KnowledgeIndex:
    """The compiled knowledge the kernel checks against, built once per knowledge version.

    ``interactions`` holds ``(substance a, substance b, entry id >= 0)``, unordered and unique per pair (a repeated
    pair or a substance paired with itself is a compiler bug: ValueError). ``duplicate_classes`` and
    ``allergy_classes`` hold, per substance id (exactly ``substance_count`` rows), its therapeutic and
    cross-sensitivity class ids (>= 0).
    """

    __slots__ = ("_allergy_classes", "_duplicate_classes", "_partners", "substance_count")

    def __init__(
        self,
        substance_count: int,
        interactions: Sequence[tuple[int, int, int]],
        duplicate_classes: Sequence[Sequence[int]],
        allergy_classes: Sequence[Sequence[int]],
    ) -> None:
        count = as_int(substance_count)
        if count < 0:
            raise ValueError(f"substance_count must be >= 0, got {count}")
        partners: list[dict[int, int]] = [{} for _ in range(count)]
        for a_raw, b_raw, entry_raw in interactions:
            a, b, entry = as_int(a_raw), as_int(b_raw), as_int(entry_raw)
            if not (0 <= a < count and 0 <= b < count):
                raise ValueError(f"interaction ({a}, {b}): substance id out of range 0..{count - 1}")
            if a == b:
                raise ValueError(f"interaction ({a}, {b}): a substance cannot interact with itself")
            if entry < 0:
                raise ValueError(f"interaction ({a}, {b}): entry id must be >= 0, got {entry}")
            if b in partners[a]:
                raise ValueError(f"interaction ({a}, {b}) is listed twice")
            partners[a][b] = entry
            partners[b][a] = entry
        self.substance_count: int = count
        self._partners: tuple[dict[int, int], ...] = tuple(partners)
        self._duplicate_classes = _class_table("duplicate_classes", duplicate_classes, count)
        self._allergy_classes = _class_table("allergy_classes", allergy_classes, count)


def _out_of_range(what: str, substance: int, count: int) -> ValueError:
    return ValueError(f"{what}: substance id {substance} out of range 0..{count - 1}")


def check(
    index: KnowledgeIndex,
    new: Sequence[Sequence[int]],
    active: Sequence[Sequence[int]],
    allergies: Sequence[int],
) -> list[Hit]:
    """Every hit between the new drugs, the new and the active drugs, and the new drugs and the allergies."""
    count = index.substance_count
    partners = index._partners
    duplicate_classes = index._duplicate_classes
    new_count = len(new)

    # The drugs of this call indexed by substance (ascending drug indices, each drug once per substance) and by
    # therapeutic class ((drug, substance) pairs); the new drugs' unique substances in order.
    drugs_of: dict[int, list[int]] = {}
    members_of: dict[int, list[tuple[int, int]]] = {}
    new_substances: list[list[int]] = []
    drug_index = 0
    for group in (new, active):
        for drug in group:
            unique: list[int] = []
            for substance in drug:
                if not 0 <= substance < count:
                    raise _out_of_range("drug", substance, count)
                holders = drugs_of.get(substance)
                if holders is None:
                    drugs_of[substance] = [drug_index]
                elif holders[-1] != drug_index:
                    holders.append(drug_index)
                else:
                    continue  # the drug repeats this substance
                unique.append(substance)
                for klass in duplicate_classes[substance]:
                    members = members_of.get(klass)
                    if members is None:
                        members_of[klass] = [(drug_index, substance)]
                    else:
                        members.append((drug_index, substance))
            if drug_index < new_count:
                new_substances.append(unique)
            drug_index += 1

    hits: list[Hit] = []
    append = hits.append
    present = drugs_of.keys()
    for i, substances in enumerate(new_substances):
        for s in substances:
            for j in drugs_of[s]:
                if j > i:
                    append((DUPLICATE_SUBSTANCE, i, j, s, s, s))
            mine = partners[s]
            if mine:
                # Set intersection in C, walking the smaller side: a hub's hundreds of partners cost little.
                for t in mine.keys() & present:
                    entry = mine[t]
                    for j in drugs_of[t]:
                        if j > i:
                            append((INTERACTION, i, j, entry, s, t))
            for klass in duplicate_classes[s]:
                for j, t in members_of[klass]:
                    if j > i and t != s:
                        append((DUPLICATE_CLASS, i, j, klass, s, t))

    if allergies:
        _allergy_hits(index, allergies, new_substances, drugs_of, new_count, append)
    hits.sort()
    return hits


def _allergy_hits(
    index: KnowledgeIndex,
    allergies: Sequence[int],
    new_substances: list[list[int]],
    drugs_of: dict[int, list[int]],
    new_count: int,
    add: Callable[[Hit], None],
) -> None:
    count = index.substance_count
    allergy_classes = index._allergy_classes
    members_of: dict[int, list[tuple[int, int]]] = {}
    for i, substances in enumerate(new_substances):
        for s in substances:
            for klass in allergy_classes[s]:
                members = members_of.get(klass)
                if members is None:
                    members_of[klass] = [(i, s)]
                else:
                    members.append((i, s))
    for k, allergen in enumerate(allergies):
        if not 0 <= allergen < count:
            raise _out_of_range("allergy", allergen, count)
        for i in drugs_of.get(allergen, ()):
            if i < new_count:
                add((ALLERGY, i, k, -1, allergen, allergen))
        for klass in allergy_classes[allergen]:
            for i, s in members_of.get(klass, ()):
                if s != allergen:
                    add((ALLERGY, i, k, klass, s, allergen))


def screen(index: KnowledgeIndex, patients: Sequence[Sequence[Sequence[int]]]) -> list[list[Hit]]:
    """Whole-hospital screening: every patient's active drugs checked against each other (no allergies)."""
    return [check(index, drugs, (), ()) for drugs in patients]
