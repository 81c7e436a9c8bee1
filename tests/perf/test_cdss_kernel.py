"""The interaction kernel (perf/cdss_kernel.py and native/cdss_kernel.pyx): each hit kind, errors, and proof by
Hypothesis that the twin, the native kernel and a literal reading of the interface always agree."""

from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.perf.conftest import NOT_BUILT, native_kernel
from tests.perf.knowledge import drugs, hospital, knowledge

ROOT = Path(__file__).resolve().parents[2]
TWIN = importlib.import_module("perf.cdss_kernel")

# A hand-made formulary. Substances:
WARFARIN, ASPIRIN, IBUPROFEN, AMOXICILLIN, AMPICILLIN, PARACETAMOL, CODEINE, CEFALEXIN = range(8)
# Interaction entries (the second given in reverse order: pairs are unordered).
INTERACTIONS = [(WARFARIN, ASPIRIN, 100), (IBUPROFEN, WARFARIN, 101)]
# Therapeutic classes: NSAID 10, antiplatelet 11, analgesic 12, penicillin 20, beta-lactam 21.
DUPLICATE_CLASSES = [[], [10, 11, 12], [12, 10], [20, 21], [21, 20], [12], [12], [21]]
# Cross-sensitivity classes: penicillin 30, beta-lactam 31.
ALLERGY_CLASSES = [[], [], [], [30, 31], [30, 31, 31], [], [], [31]]

INTERACTION, DUPLICATE_SUBSTANCE, DUPLICATE_CLASS, ALLERGY = 0, 1, 2, 3


def formulary(module: ModuleType) -> object:
    return module.KnowledgeIndex(8, INTERACTIONS, DUPLICATE_CLASSES, ALLERGY_CLASSES)


def test_constants_are_those_of_the_interface(kernel_module: ModuleType) -> None:
    kinds = (kernel_module.INTERACTION, kernel_module.DUPLICATE_SUBSTANCE, kernel_module.DUPLICATE_CLASS)
    assert (*kinds, kernel_module.ALLERGY) == (0, 1, 2, 3)
    assert formulary(kernel_module).substance_count == 8  # type: ignore[attr-defined]


def test_interaction_between_a_new_and_an_active_drug(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    assert kernel_module.check(index, [[WARFARIN]], [[ASPIRIN]], []) == [(INTERACTION, 0, 1, 100, WARFARIN, ASPIRIN)]
    # Seen from the other side: the new drug's substance comes first.
    assert kernel_module.check(index, [[ASPIRIN]], [[WARFARIN]], []) == [(INTERACTION, 0, 1, 100, ASPIRIN, WARFARIN)]


def test_interaction_between_two_new_drugs_but_never_two_active_ones(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    assert kernel_module.check(index, [[IBUPROFEN], [WARFARIN]], [], []) == [
        (INTERACTION, 0, 1, 101, IBUPROFEN, WARFARIN)
    ]
    assert kernel_module.check(index, [], [[WARFARIN], [ASPIRIN]], []) == []
    assert kernel_module.check(index, [[AMOXICILLIN]], [[WARFARIN], [ASPIRIN]], []) == []


def test_interaction_inside_a_combination_product(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    # The active list is [paracetamol], [paracetamol + aspirin]: the second is index 2 of new + active.
    hits = kernel_module.check(index, [[WARFARIN]], [[PARACETAMOL], [PARACETAMOL, ASPIRIN]], [])
    assert hits == [(INTERACTION, 0, 2, 100, WARFARIN, ASPIRIN)]


def test_duplicate_substance_hides_the_class_duplicate_of_that_pair(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    hits = kernel_module.check(index, [[PARACETAMOL]], [[PARACETAMOL, CODEINE]], [])
    # Paracetamol twice: one DUPLICATE_SUBSTANCE, no "analgesic" hit for paracetamol/paracetamol; paracetamol and
    # codeine are both analgesics (class 12).
    assert hits == [
        (DUPLICATE_SUBSTANCE, 0, 1, PARACETAMOL, PARACETAMOL, PARACETAMOL),
        (DUPLICATE_CLASS, 0, 1, 12, PARACETAMOL, CODEINE),
    ]


def test_one_class_duplicate_per_shared_class(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    # Aspirin (NSAID, antiplatelet, analgesic) and ibuprofen (analgesic, NSAID) share NSAID and analgesic.
    assert kernel_module.check(index, [[ASPIRIN]], [[IBUPROFEN]], []) == [
        (DUPLICATE_CLASS, 0, 1, 10, ASPIRIN, IBUPROFEN),
        (DUPLICATE_CLASS, 0, 1, 12, ASPIRIN, IBUPROFEN),
    ]


def test_allergy_to_the_substance_itself(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    # other_index indexes the allergies; ref -1 because the substance IS the allergen (no class hits then).
    assert kernel_module.check(index, [[AMPICILLIN]], [], [PARACETAMOL, AMPICILLIN]) == [
        (ALLERGY, 0, 1, -1, AMPICILLIN, AMPICILLIN)
    ]


def test_cross_sensitivity_allergy_checks_new_drugs_only(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    hits = kernel_module.check(index, [[AMOXICILLIN], [PARACETAMOL], [CEFALEXIN]], [[AMPICILLIN]], [AMPICILLIN])
    assert [hit for hit in hits if hit[0] == ALLERGY] == [
        (ALLERGY, 0, 0, 30, AMOXICILLIN, AMPICILLIN),
        (ALLERGY, 0, 0, 31, AMOXICILLIN, AMPICILLIN),
        (ALLERGY, 2, 0, 31, CEFALEXIN, AMPICILLIN),
    ]
    assert [hit for hit in hits if hit[0] == DUPLICATE_CLASS] == [
        (DUPLICATE_CLASS, 0, 2, 21, AMOXICILLIN, CEFALEXIN),
        (DUPLICATE_CLASS, 0, 3, 20, AMOXICILLIN, AMPICILLIN),
        (DUPLICATE_CLASS, 0, 3, 21, AMOXICILLIN, AMPICILLIN),
        (DUPLICATE_CLASS, 2, 3, 21, CEFALEXIN, AMPICILLIN),
    ]


def test_sorted_and_free_of_duplicates_when_drugs_repeat_substances(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    hits = kernel_module.check(index, [[ASPIRIN, WARFARIN, ASPIRIN], [WARFARIN, WARFARIN]], [[ASPIRIN]], [WARFARIN])
    assert hits == [
        (INTERACTION, 0, 1, 100, ASPIRIN, WARFARIN),
        (INTERACTION, 0, 2, 100, WARFARIN, ASPIRIN),
        (INTERACTION, 1, 2, 100, WARFARIN, ASPIRIN),
        (DUPLICATE_SUBSTANCE, 0, 1, WARFARIN, WARFARIN, WARFARIN),
        (DUPLICATE_SUBSTANCE, 0, 2, ASPIRIN, ASPIRIN, ASPIRIN),
        (ALLERGY, 0, 0, -1, WARFARIN, WARFARIN),
        (ALLERGY, 1, 0, -1, WARFARIN, WARFARIN),
    ]


def test_empty_lists_and_tuples(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    assert kernel_module.check(index, [], [], []) == []
    assert kernel_module.check(index, (), ((WARFARIN,), (ASPIRIN,)), (WARFARIN,)) == []
    assert kernel_module.check(index, ((), (WARFARIN,)), ((),), ()) == []
    assert kernel_module.check(kernel_module.KnowledgeIndex(0, [], [], []), [], [], []) == []


def test_screen_checks_each_patient_alone(kernel_module: ModuleType) -> None:
    index = formulary(kernel_module)
    patients = [[[WARFARIN], [PARACETAMOL], [ASPIRIN]], [], [[ASPIRIN]], [[CODEINE], [PARACETAMOL, CODEINE]]]
    assert kernel_module.screen(index, patients) == [
        [(INTERACTION, 0, 2, 100, WARFARIN, ASPIRIN), (DUPLICATE_CLASS, 1, 2, 12, PARACETAMOL, ASPIRIN)],
        [],
        [],
        [
            (DUPLICATE_SUBSTANCE, 0, 1, CODEINE, CODEINE, CODEINE),
            (DUPLICATE_CLASS, 0, 1, 12, CODEINE, PARACETAMOL),
        ],
    ]
    assert kernel_module.screen(index, []) == []


@pytest.mark.parametrize(
    ("new", "active", "allergies"),
    [
        ([[8]], [], []),
        ([[-1]], [], []),
        ([], [[WARFARIN], [2**70]], []),
        ([[WARFARIN]], [], [8]),
        ([[WARFARIN]], [], [-1]),
    ],
    ids=["new-too-large", "new-negative", "active-huge", "allergy-too-large", "allergy-negative"],
)
def test_ids_out_of_range_are_refused(
    kernel_module: ModuleType, new: list[list[int]], active: list[list[int]], allergies: list[int]
) -> None:
    index = formulary(kernel_module)
    with pytest.raises(ValueError, match="out of range"):
        kernel_module.check(index, new, active, allergies)


def test_screen_refuses_ids_out_of_range(kernel_module: ModuleType) -> None:
    with pytest.raises(ValueError, match="out of range"):
        kernel_module.screen(formulary(kernel_module), [[[WARFARIN]], [[ASPIRIN], [9]]])


@pytest.mark.parametrize(
    ("count", "interactions", "duplicate", "allergy"),
    [
        (-1, [], [], []),
        (3, [(0, 3, 1)], [[], [], []], [[], [], []]),
        (3, [(-1, 2, 1)], [[], [], []], [[], [], []]),
        (3, [(1, 1, 1)], [[], [], []], [[], [], []]),
        (3, [(0, 1, 1), (1, 0, 2)], [[], [], []], [[], [], []]),
        (3, [(0, 1, -5)], [[], [], []], [[], [], []]),
        (3, [], [[], []], [[], [], []]),
        (3, [], [[], [], []], [[], [], [], []]),
        (3, [], [[], [-2], []], [[], [], []]),
        (3, [], [[], [], []], [[-1], [], []]),
    ],
    ids=[
        "negative-count",
        "partner-too-large",
        "partner-negative",
        "self-interaction",
        "pair-twice",
        "negative-entry",
        "duplicate-table-short",
        "allergy-table-long",
        "negative-duplicate-class",
        "negative-allergy-class",
    ],
)
def test_bad_knowledge_is_refused(
    kernel_module: ModuleType,
    count: int,
    interactions: list[tuple[int, int, int]],
    duplicate: list[list[int]],
    allergy: list[list[int]],
) -> None:
    with pytest.raises(ValueError):
        kernel_module.KnowledgeIndex(count, interactions, duplicate, allergy)


# --- Twin, native and a literal reading of the interface agree -------------------------------------------------------


def literal_check(
    interactions: Sequence[tuple[int, int, int]],
    duplicate_classes: Sequence[Sequence[int]],
    allergy_classes: Sequence[Sequence[int]],
    new: Sequence[Sequence[int]],
    active: Sequence[Sequence[int]],
    allergies: Sequence[int],
) -> list[tuple[int, ...]]:
    """The interface read word for word: every pair of drugs, every pair of their substances."""
    entry = {}
    for a, b, number in interactions:
        entry[a, b] = entry[b, a] = number
    all_drugs = [*new, *active]
    hits: set[tuple[int, ...]] = set()
    for i in range(len(new)):
        for j in range(i + 1, len(all_drugs)):
            for s in all_drugs[i]:
                for t in all_drugs[j]:
                    if s == t:
                        hits.add((DUPLICATE_SUBSTANCE, i, j, s, s, s))
                        continue
                    if (s, t) in entry:
                        hits.add((INTERACTION, i, j, entry[s, t], s, t))
                    for klass in set(duplicate_classes[s]) & set(duplicate_classes[t]):
                        hits.add((DUPLICATE_CLASS, i, j, klass, s, t))
        for k, allergen in enumerate(allergies):
            for s in new[i]:
                if s == allergen:
                    hits.add((ALLERGY, i, k, -1, s, allergen))
                    continue
                for klass in set(allergy_classes[s]) & set(allergy_classes[allergen]):
                    hits.add((ALLERGY, i, k, klass, s, allergen))
    return sorted(hits)


@dataclass(frozen=True)
class Case:
    """Knowledge and one prescription, as Hypothesis draws them."""

    count: int
    interactions: list[tuple[int, int, int]]
    duplicate: list[list[int]]
    allergy: list[list[int]]
    new: list[list[int]]
    active: list[list[int]]
    allergies: list[int]

    def knowledge(self) -> tuple[int, list[tuple[int, int, int]], list[list[int]], list[list[int]]]:
        return self.count, self.interactions, self.duplicate, self.allergy


@st.composite
def cases(draw: st.DrawFn) -> Case:
    count = draw(st.integers(1, 12))
    substance = st.integers(0, count - 1)
    pairs = sorted(draw(st.sets(st.tuples(substance, substance).filter(lambda pair: pair[0] < pair[1]), max_size=25)))
    entries = draw(st.lists(st.integers(0, 2**62), min_size=len(pairs), max_size=len(pairs)))
    interactions = [
        (b, a, entry) if draw(st.booleans()) else (a, b, entry) for (a, b), entry in zip(pairs, entries, strict=True)
    ]
    classes = st.lists(st.lists(st.integers(0, 6), max_size=3), min_size=count, max_size=count)
    drug = st.lists(substance, max_size=4)  # combination products, repeated substances, even no substance
    return Case(
        count,
        interactions,
        draw(classes),
        draw(classes),
        draw(st.lists(drug, max_size=7)),
        draw(st.lists(drug, max_size=7)),
        draw(st.lists(substance, max_size=4)),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_twin_native_and_literal_reading_agree(case: Case) -> None:
    expected = literal_check(case.interactions, case.duplicate, case.allergy, case.new, case.active, case.allergies)
    twin_index = TWIN.KnowledgeIndex(*case.knowledge())
    twin_hits = TWIN.check(twin_index, case.new, case.active, case.allergies)
    assert twin_hits == expected
    patients = [case.new, case.active, [*case.new, *case.active]]
    twin_screen = TWIN.screen(twin_index, patients)
    assert twin_screen == [literal_check(*case.knowledge()[1:], drugs, [], []) for drugs in patients]
    native = native_kernel()
    if native is not None:  # identical, not merely equivalent: same hits, same order
        native_index = native.KnowledgeIndex(*case.knowledge())
        assert native.check(native_index, case.new, case.active, case.allergies) == twin_hits
        assert native.screen(native_index, patients) == twin_screen


def test_twin_and_native_agree_on_the_realistic_formulary() -> None:
    native = native_kernel()
    if native is None:
        pytest.skip(NOT_BUILT)
    arguments = knowledge().arguments()
    twin_index, native_index = TWIN.KnowledgeIndex(*arguments), native.KnowledgeIndex(*arguments)
    patients = hospital(patients=200)
    twin_hits = TWIN.screen(twin_index, patients)
    assert native.screen(native_index, patients) == twin_hits
    assert sum(map(len, twin_hits)) > 100  # the formulary is dense enough to exercise every path
    for patient in patients[:50]:
        new, active = patient[: len(patient) // 2], patient[len(patient) // 2 :]
        allergies = [substance for drug in patient[:2] for substance in drug]
        assert native.check(native_index, new, active, allergies) == TWIN.check(twin_index, new, active, allergies)


def test_native_check_during_a_screen_in_another_thread() -> None:
    """screen releases the GIL; a check meanwhile on the same index takes its own scratch and stays right."""
    native = native_kernel()
    if native is None:
        pytest.skip(NOT_BUILT)
    facts = knowledge()
    index = native.KnowledgeIndex(
        facts.substance_count, facts.interactions, facts.duplicate_classes, facts.allergy_classes
    )
    patients = hospital(patients=2_000)
    expected_screen = native.screen(index, patients)
    rng = random.Random(3)
    calls = [(drugs(rng, 10), drugs(rng, 10), [rng.randrange(400)]) for _ in range(50)]
    expected_checks = [native.check(index, *call) for call in calls]
    screens: list[object] = []
    worker = threading.Thread(target=lambda: screens.extend(native.screen(index, patients) for _ in range(3)))
    worker.start()
    checks = [native.check(index, *call) for _ in range(20) for call in calls]
    worker.join()
    assert checks == expected_checks * 20
    assert screens == [expected_screen] * 3


# --- Dispatch (perf/__init__.py) -------------------------------------------------------------------------------------


def run_python(code: str, **environment: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != "HIS_NO_EXTENSIONS"} | environment
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_importing_perf_chooses_nothing_yet() -> None:
    code = "import sys, perf; print(sorted(m for m in sys.modules if m.startswith(('native', 'perf.'))))"
    assert run_python(code) == "[]"


def test_dispatch_prefers_the_native_kernel_unless_told_otherwise() -> None:
    code = "import perf; from perf import cdss_kernel; print(perf.NATIVE, cdss_kernel.__name__)"
    assert run_python(code, HIS_NO_EXTENSIONS="1") == "False perf.cdss_kernel"
    if native_kernel() is None:
        assert run_python(code) == "False perf.cdss_kernel"
    else:
        assert run_python(code) == "True native.cdss_kernel"


def test_importing_the_twin_does_not_replace_the_dispatch() -> None:
    if native_kernel() is None:
        pytest.skip(NOT_BUILT)
    code = (
        "import importlib, perf; twin = importlib.import_module('perf.cdss_kernel'); import perf.cdss_kernel; "
        "from perf import cdss_kernel; "
        "print(twin.__name__, cdss_kernel.__name__, perf.cdss_kernel.__name__, perf.NATIVE)"
    )
    assert run_python(code) == "perf.cdss_kernel native.cdss_kernel native.cdss_kernel True"


def test_the_extension_is_built_in_ci() -> None:
    if os.environ.get("CI") != "true":
        pytest.skip("only CI (CI=true) must have the compiled kernel; elsewhere the twin may stand in")
    assert native_kernel() is not None, NOT_BUILT
