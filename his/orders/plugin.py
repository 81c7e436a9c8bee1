"""Orders and results (Circular 54 criteria 37-38) and the clinical data repository (level 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="orders", package="his.orders", route_handlers=_routes, translations=False)
