"""Decision support in the hospital (issue 5): knowledge versions, local rules, allergies, alerts, screening."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="decision", package="his.decision", route_handlers=_routes, translations=False)
