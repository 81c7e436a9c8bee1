"""Queues (Circular 54 criterion 44, infrastructure 12-13): kiosk tickets, counters, live displays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="queues", package="his.queues", route_handlers=_routes, translations=False)
