"""The pure-Python twins of the hot paths and the dispatch between twin and native kernel (HIS_NO_EXTENSIONS).

``from perf import cdss_kernel`` gives the interaction kernel in use: the Cython one (`native.cdss_kernel`) unless the
environment variable ``HIS_NO_EXTENSIONS=1`` is set or the extension is not built, else the pure-Python twin
(`perf/cdss_kernel.py`). ``perf.NATIVE`` tells which. Both are chosen when first asked for, not at import.

The twin's own module is ``perf.cdss_kernel`` too (the interface names both so), and importing a submodule makes the
import system bind it on its package, which would silently replace the dispatch. The package's module class therefore
answers ``cdss_kernel`` and ``NATIVE`` through properties and ignores that binding; whoever needs the twin itself
(tests, benchmarks) takes ``importlib.import_module("perf.cdss_kernel")``.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    NATIVE: bool

_TWIN = "perf.cdss_kernel"
_NATIVE = "native.cdss_kernel"


def _choose_kernel() -> tuple[ModuleType, bool]:
    if os.environ.get("HIS_NO_EXTENSIONS") != "1":
        try:
            return importlib.import_module(_NATIVE), True
        except ImportError:
            pass  # not built (a checkout without a compiler): the twin gives the same results, only slower
    return importlib.import_module(_TWIN), False


class _PerfPackage(ModuleType):
    """The `perf` package whose kernel attributes are chosen on first access and cannot be rebound."""

    _kernel_choice: tuple[ModuleType, bool] | None = None

    def _choice(self) -> tuple[ModuleType, bool]:
        choice = self._kernel_choice
        if choice is None:
            choice = _choose_kernel()
            self._kernel_choice = choice
        return choice

    @property
    def cdss_kernel(self) -> ModuleType:
        return self._choice()[0]

    @cdss_kernel.setter
    def cdss_kernel(self, module: ModuleType) -> None:
        # The import system binds the twin submodule here after loading it; the dispatch keeps answering.
        pass

    @property
    def NATIVE(self) -> bool:
        return self._choice()[1]


sys.modules[__name__].__class__ = _PerfPackage
