"""Benchmarks of the interaction kernel, twin against native (docs/performance.md, "Interaction kernel").

Measured with `make bench-cdss`; in the ordinary suite each runs its function once and checks the result, so the
benchmarks stay correct without costing time. Never assert on time: the machine is shared.

Targets (issue 5): a full check of 20 new x 15 active drugs (490 drug pairs) in <= 10 us native, at least 5x the
twin; the whole hospital (1,000 patients, 8-15 active drugs each) in <= 50 ms.
"""

from __future__ import annotations

import random
from functools import cache
from types import ModuleType

from pytest_benchmark.fixture import BenchmarkFixture

from tests.perf.knowledge import COMMON_SUBSTANCES, drugs, hospital, knowledge

NEW_DRUGS, ACTIVE_DRUGS, ALLERGIES = 20, 15, 3


@cache
def _index(module: ModuleType) -> object:
    return module.KnowledgeIndex(*knowledge().arguments())


def _prescription() -> tuple[list[list[int]], list[list[int]], list[int]]:
    rng = random.Random(7)
    new, active = drugs(rng, NEW_DRUGS), drugs(rng, ACTIVE_DRUGS)
    return new, active, [rng.randrange(COMMON_SUBSTANCES) for _ in range(ALLERGIES)]


def test_check_20_new_against_15_active(benchmark: BenchmarkFixture, kernel_module: ModuleType) -> None:
    index = _index(kernel_module)
    new, active, allergies = _prescription()
    hits = benchmark(kernel_module.check, index, new, active, allergies)
    kinds = {hit[0] for hit in hits}
    assert kinds == {0, 1, 2, 3}  # every kind of hit on this prescription: the benchmark walks every path
    assert all(hit[1] < NEW_DRUGS for hit in hits)


def test_screen_the_whole_hospital(benchmark: BenchmarkFixture, kernel_module: ModuleType) -> None:
    index = _index(kernel_module)
    patients = hospital()
    results = benchmark(kernel_module.screen, index, patients)
    assert len(results) == 1_000
    assert sum(map(len, results)) > 500
