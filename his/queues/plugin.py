"""Queues (Circular 54 criterion 44, infrastructure 12-13): kiosk tickets, counters, live displays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef(
        "queues.serve",
        "Call, recall, skip and serve numbers at a counter",
        ("receptionist", "cashier", "pharmacist", "nurse", "doctor", "admin"),
    ),
    PermissionDef("queues.manage", "Set up service points and counters of the queues", ("admin",)),
)


def _routes() -> Sequence[Any]:
    from his.queues.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.queues.demo import seed_queues

    await seed_queues(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="queues",
        package="his.queues",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(NavItem("Queues", "/queues", "queues.serve"),),
        templates=True,
        static=True,
        translations=True,
        demo_seed=_demo_seed,
    )
