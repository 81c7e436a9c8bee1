"""Orders and results (Circular 54 criteria 37-38) and the clinical data repository (level 2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef("orders.place", "Order tests, imaging, procedures and consultations", ("doctor",)),
    PermissionDef(
        "orders.read",
        "Read orders and their results",
        ("doctor", "nurse", "lab_technician", "radiologist", "admin"),
    ),
    PermissionDef(
        "orders.perform", "Work a department's orders: accept, start, enter results", ("lab_technician", "radiologist")
    ),
    PermissionDef("orders.verify", "Verify results so that they become final", ("lab_technician", "radiologist")),
    PermissionDef("orders.cancel", "Cancel orders, with a reason", ("doctor", "lab_technician", "radiologist")),
    PermissionDef("orders.acknowledge", "Acknowledge the results of one's orders", ("doctor",)),
    PermissionDef("orders.record", "Open a patient's shared clinical record", ("doctor", "nurse")),
)


def _routes() -> Sequence[Any]:
    from his.orders.http import PAGE_HANDLERS, api_router, cdr_router

    return [api_router(), cdr_router(), *PAGE_HANDLERS]


def _cli() -> Sequence[Any]:
    from his.orders.cli import orders

    return [orders]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.orders.demo import seed_orders

    await seed_orders(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="orders",
        package="his.orders",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(
            NavItem("Results", "/orders/results", "orders.acknowledge"),
            NavItem("Laboratory", "/orders/worklist?department=lab", "orders.perform"),
            NavItem("Imaging", "/orders/worklist?department=imaging", "orders.perform"),
        ),
        templates=True,
        static=True,
        translations=True,
        cli_commands=_cli,
        demo_seed=_demo_seed,
    )
