"""Inpatient stay (Circular 54 criteria 39-40): admission, beds, transfers, treatment sheet, discharge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="inpatient", package="his.inpatient", route_handlers=_routes, translations=False)
