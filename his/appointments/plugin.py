"""Appointments (Circular 54 criterion 50): slots, follow-ups, reminders, no-shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def plugin() -> ModulePlugin:
    return ModulePlugin(name="appointments", package="his.appointments", route_handlers=_routes, translations=False)
