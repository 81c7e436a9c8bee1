"""A realistic, deterministic knowledge base and patients for the interaction kernel's tests and benchmarks.

Shaped like a national formulary: about 2,000 substances, 5,000 interaction pairs whose partners concentrate on a
few hub substances (anticoagulants, enzyme inhibitors: a Zipf-like draw), a few hundred therapeutic classes (most
substances in one, some in two), a few dozen cross-sensitivity classes, one drug in ten a combination product, and
prescriptions drawn mostly from the few hundred substances in common use.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SUBSTANCES = 2_000
INTERACTION_PAIRS = 5_000
THERAPEUTIC_CLASSES = 300
ALLERGY_CLASSES = 40
COMMON_SUBSTANCES = 400


@dataclass(frozen=True, slots=True)
class Knowledge:
    substance_count: int
    interactions: list[tuple[int, int, int]]
    duplicate_classes: list[list[int]]
    allergy_classes: list[list[int]]

    def arguments(self) -> tuple[int, list[tuple[int, int, int]], list[list[int]], list[list[int]]]:
        """What KnowledgeIndex takes, in order."""
        return self.substance_count, self.interactions, self.duplicate_classes, self.allergy_classes


def _zipf_substance(rng: random.Random) -> int:
    # Rank r drawn with weight ~ 1/r: a handful of hubs take a large share of the interaction pairs.
    return min(int(SUBSTANCES ** rng.random()) - 1, SUBSTANCES - 1)


def knowledge(seed: int = 54) -> Knowledge:
    rng = random.Random(seed)
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < INTERACTION_PAIRS:
        a, b = _zipf_substance(rng), rng.randrange(SUBSTANCES)
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    interactions = [(a, b, entry) for entry, (a, b) in enumerate(sorted(pairs))]
    rng.shuffle(interactions)
    duplicate_classes = [
        rng.sample(range(THERAPEUTIC_CLASSES), 2) if rng.random() < 0.15 else [rng.randrange(THERAPEUTIC_CLASSES)]
        for _ in range(SUBSTANCES)
    ]
    allergy_classes = [[rng.randrange(ALLERGY_CLASSES)] if rng.random() < 0.2 else [] for _ in range(SUBSTANCES)]
    return Knowledge(SUBSTANCES, interactions, duplicate_classes, allergy_classes)


def drug(rng: random.Random) -> list[int]:
    """One prescribed drug: mostly a common substance, one in ten a combination of two or three."""
    size = rng.choice((2, 3)) if rng.random() < 0.1 else 1
    return [rng.randrange(COMMON_SUBSTANCES) if rng.random() < 0.8 else rng.randrange(SUBSTANCES) for _ in range(size)]


def drugs(rng: random.Random, count: int) -> list[list[int]]:
    return [drug(rng) for _ in range(count)]


def hospital(seed: int = 105, patients: int = 1_000) -> list[list[list[int]]]:
    """Every inpatient's active drugs: 8 to 15 each."""
    rng = random.Random(seed)
    return [drugs(rng, rng.randint(8, 15)) for _ in range(patients)]
