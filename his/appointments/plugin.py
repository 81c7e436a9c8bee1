"""Appointments (Circular 54 criterion 50): slots, follow-ups, reminders, no-shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef(
        "appointments.book",
        "Book, move, cancel and check in appointments; mark reminders",
        ("receptionist", "nurse", "doctor", "admin"),
    ),
    PermissionDef(
        "appointments.read", "Read appointments and reminder lists", ("receptionist", "nurse", "doctor", "admin")
    ),
    PermissionDef("appointments.schedule", "Edit doctors' schedules and closures; generate slots", ("admin",)),
    PermissionDef("appointments.statistics", "Read no-show statistics", ("admin", "doctor")),
)


def _routes() -> Sequence[Any]:
    from his.appointments.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


def _cli_commands() -> Sequence[Any]:
    from his.appointments.cli import appointments

    return [appointments]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.appointments.demo import seed_appointments

    await seed_appointments(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="appointments",
        package="his.appointments",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(
            NavItem("Appointments", "/appointments", "appointments.read"),
            NavItem("Schedules", "/appointments/schedules", "appointments.schedule"),
        ),
        templates=True,
        translations=True,
        cli_commands=_cli_commands,
        demo_seed=_demo_seed,
    )
