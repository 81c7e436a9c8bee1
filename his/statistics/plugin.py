"""Statistics (Circular 54 criterion 42): daily flow, occupancy, length of stay, diagnoses, revenue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="statistics", package="his.statistics", route_handlers=_routes, translations=False)
