"""Inpatient stay (Circular 54 criteria 39-40): admission, beds, transfers, treatment sheet, discharge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef("inpatient.admit", "Admit and discharge inpatients", ("doctor",)),
    PermissionDef(
        "inpatient.beds", "Use the bed board: assign beds, transfer, set bed status", ("doctor", "nurse", "admin")
    ),
    PermissionDef(
        "inpatient.sheet", "Write the treatment sheet: progress, vital signs, orders of the day", ("doctor", "nurse")
    ),
    PermissionDef("inpatient.read", "Read inpatient stays and their papers", ("doctor", "nurse", "cashier", "admin")),
)


def _routes() -> Sequence[Any]:
    from his.inpatient.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.inpatient.demo import seed_inpatient

    await seed_inpatient(kernel, rng)


def _event_handlers() -> Sequence[Any]:
    from his.inpatient.handlers import event_handlers

    return event_handlers()


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="inpatient",
        package="his.inpatient",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(NavItem("Inpatients", "/inpatient", "inpatient.read"),),
        templates=True,
        static=True,
        translations=True,
        demo_seed=_demo_seed,
        event_handlers=_event_handlers,
    )
