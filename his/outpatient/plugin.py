"""The outpatient module (Circular 54 criterion 33): the doctor's worklist, the examination and the
electronic prescription."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef
from his.outpatient.checks import PrescriptionCheck, PrescriptionChecks

PERMISSIONS = (
    PermissionDef("outpatient.exam", "Examine outpatients: vital signs, diagnoses, disposition", ("doctor",)),
    PermissionDef(
        "outpatient.read",
        "Read outpatient examinations and prescriptions",
        ("doctor", "nurse", "pharmacist", "cashier", "admin"),
    ),
    PermissionDef("outpatient.prescribe", "Sign and cancel prescriptions", ("doctor",)),
)


@dataclass(frozen=True, slots=True)
class OutpatientPlugin(ModulePlugin):
    """The module's plugin, with the registry of decision-support checks run before a prescription is signed.
    One per application, so two applications in one process (tests) never share checks."""

    prescription_checks: PrescriptionChecks = field(default_factory=PrescriptionChecks)


def _routes() -> Sequence[Any]:
    from his.outpatient.http import PAGE_HANDLERS, api_router

    return [api_router(), *PAGE_HANDLERS]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.outpatient.demo import seed_outpatient

    await seed_outpatient(kernel, rng)


def plugin(*, prescription_checks: Iterable[tuple[str, PrescriptionCheck]] = ()) -> OutpatientPlugin:
    """`prescription_checks`: (name, check) pairs a decision-support module offers (wired in his/app.py)."""
    checks = PrescriptionChecks()
    for name, check in prescription_checks:
        checks.register(name, check)
    return OutpatientPlugin(
        name="outpatient",
        package="his.outpatient",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(NavItem("Examination", "/outpatient", "outpatient.exam"),),
        templates=True,
        translations=True,
        demo_seed=_demo_seed,
        prescription_checks=checks,
    )


def checks_of(modules: Iterable[ModulePlugin]) -> PrescriptionChecks:
    """The registry of the application these modules belong to (empty when outpatient is not installed)."""
    for module in modules:
        if isinstance(module, OutpatientPlugin):
            return module.prescription_checks
    return PrescriptionChecks()
