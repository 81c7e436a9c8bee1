"""Decision support in the hospital (issue 5): allergies, local rules and the knowledge version, alerts and their
statistics, the pharmacist's review queue, alert templates, protocols, screening, CDS Hooks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from his.decision.state import DecisionState
from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PERMISSIONS = (
    PermissionDef("decision.alerts", "See decision-support alerts while prescribing", ("doctor",)),
    PermissionDef("decision.allergy.read", "Read patients' allergies", ("doctor", "nurse", "pharmacist", "admin")),
    PermissionDef("decision.allergy.write", "Record and remove patients' allergies", ("doctor", "nurse")),
    PermissionDef("decision.rules", "Edit local interaction rules and alert templates", ("pharmacist", "admin")),
    PermissionDef("decision.review", "Review prescriptions signed over alerts", ("pharmacist",)),
    PermissionDef("decision.stats", "See alert statistics and screening results", ("pharmacist", "admin")),
    PermissionDef("decision.cds_hooks", "Call the CDS Hooks services (other systems)", ("admin",)),
)


@dataclass(frozen=True, slots=True)
class DecisionPlugin(ModulePlugin):
    """The module's plugin with its per-application state (kernel, engine) and the prescription checks it
    offers the outpatient module."""

    state: DecisionState = field(default_factory=DecisionState)

    @property
    def prescription_checks(self) -> list[tuple[str, Any]]:
        from his.decision.api import DecisionCheck

        return [("decision", DecisionCheck(self.state))]


def _routes() -> Sequence[Any]:
    from his.decision.http import api_router, cds_hooks_handlers, page_handlers

    return [api_router(), *cds_hooks_handlers(), *page_handlers()]


def _cli_commands() -> Sequence[Any]:
    from his.decision.cli import cdss, mount_engine_check

    mount_engine_check()
    return [cdss]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.decision.demo import seed_decision

    await seed_decision(kernel, rng)


def plugin() -> DecisionPlugin:
    return DecisionPlugin(
        name="decision",
        package="his.decision",
        route_handlers=_routes,
        permissions=PERMISSIONS,
        nav=(
            NavItem("Decision support", "/decision", "decision.stats"),
            NavItem("Prescription review", "/decision/reviews", "decision.review"),
        ),
        templates=True,
        translations=True,
        cli_commands=_cli_commands,
        demo_seed=_demo_seed,
    )
