"""Statistics (Circular 54 criterion 42): daily flow, occupancy, length of stay, diagnoses, revenue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef(
        "statistics.read",
        "Read hospital statistics and export them",
        ("admin", "auditor", "doctor"),
    ),
)


def _routes() -> Sequence[Any]:
    from his.statistics.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="statistics",
        package="his.statistics",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(NavItem("Statistics", "/statistics", "statistics.read"),),
        templates=True,
        translations=True,
    )
