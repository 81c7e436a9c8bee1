"""Type stub of the Cython interaction kernel: the same interface as the pure-Python twin `perf/cdss_kernel.py`."""

from collections.abc import Sequence

INTERACTION: int
DUPLICATE_SUBSTANCE: int
DUPLICATE_CLASS: int
ALLERGY: int

Hit = tuple[int, int, int, int, int, int]

class KnowledgeIndex:
    @property
    def substance_count(self) -> int: ...
    def __init__(
        self,
        substance_count: int,
        interactions: Sequence[tuple[int, int, int]],
        duplicate_classes: Sequence[Sequence[int]],
        allergy_classes: Sequence[Sequence[int]],
    ) -> None: ...

def check(
    index: KnowledgeIndex,
    new: Sequence[Sequence[int]],
    active: Sequence[Sequence[int]],
    allergies: Sequence[int],
) -> list[Hit]: ...
def screen(index: KnowledgeIndex, patients: Sequence[Sequence[Sequence[int]]]) -> list[list[Hit]]: ...
