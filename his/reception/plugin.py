"""Reception (Circular 54 criterion 32): visits, route claims and numbered tickets per room and day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef("reception.register", "Register visits and print queue tickets", ("receptionist", "admin")),
    PermissionDef(
        "reception.read", "Read visits", ("receptionist", "doctor", "nurse", "cashier", "pharmacist", "admin")
    ),
    PermissionDef("reception.queue", "Call and move patients in a room's queue", ("receptionist", "doctor", "nurse")),
)


def _routes() -> Sequence[Any]:
    from his.reception.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.reception.demo import seed_reception

    await seed_reception(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="reception",
        package="his.reception",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(NavItem("Reception", "/reception", "reception.register"),),
        templates=True,
        demo_seed=_demo_seed,
    )
