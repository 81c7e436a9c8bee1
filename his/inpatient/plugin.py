"""Inpatient stay (Circular 54 criteria 39-40): admission, beds, transfers, treatment sheet, discharge."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef
from his.outpatient.checks import PrescriptionCheck, PrescriptionChecks

PERMISSIONS = (
    PermissionDef("inpatient.admit", "Admit and discharge inpatients", ("doctor",)),
    PermissionDef(
        "inpatient.beds", "Use the bed board: assign beds, transfer, set bed status", ("doctor", "nurse", "admin")
    ),
    PermissionDef(
        "inpatient.sheet", "Write the treatment sheet: progress, vital signs, orders of the day", ("doctor", "nurse")
    ),
    PermissionDef(
        "inpatient.medicate", "Order and stop inpatients' medications (checked by decision support)", ("doctor",)
    ),
    PermissionDef("inpatient.read", "Read inpatient stays and their papers", ("doctor", "nurse", "cashier", "admin")),
)


@dataclass(frozen=True, slots=True)
class InpatientPlugin(ModulePlugin):
    """The module's plugin, with the registry of decision-support checks run before a medication order is
    written (the same checks as prescriptions: his/outpatient/checks.py). One per application."""

    medication_checks: PrescriptionChecks = field(default_factory=PrescriptionChecks)


def _routes() -> Sequence[Any]:
    from his.inpatient.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.inpatient.demo import seed_inpatient

    await seed_inpatient(kernel, rng)


def _event_handlers() -> Sequence[Any]:
    from his.inpatient.handlers import event_handlers

    return event_handlers()


def plugin(*, medication_checks: Iterable[tuple[str, PrescriptionCheck]] = ()) -> InpatientPlugin:
    """`medication_checks`: (name, check) pairs a decision-support module offers (wired in his/app.py)."""
    checks = PrescriptionChecks()
    for name, check in medication_checks:
        checks.register(name, check)
    return InpatientPlugin(
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
        medication_checks=checks,
    )


def medication_checks_of(modules: Iterable[ModulePlugin]) -> PrescriptionChecks:
    """The registry of the application these modules belong to (empty when inpatient is not installed)."""
    for module in modules:
        if isinstance(module, InpatientPlugin):
            return module.medication_checks
    return PrescriptionChecks()
