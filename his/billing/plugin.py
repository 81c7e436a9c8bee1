"""The billing module (criterion 35): hospital fees, BHYT coverage, receipts, cashier shift reports."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

BILLING_PERMISSIONS = (
    # Doctors see what their orders cost the patient; receptionists answer questions at the desk.
    PermissionDef(
        "billing.read",
        "See patients' fee accounts, receipts and shift reports",
        ("cashier", "admin", "auditor", "doctor", "receptionist"),
    ),
    PermissionDef(
        "billing.charge", "Open fee accounts and post or cancel charges", ("admin", "receptionist", "cashier")
    ),
    PermissionDef("billing.collect", "Collect payments and issue receipts", ("cashier",)),
    PermissionDef("billing.cancel", "Cancel receipts, with a reason", ("cashier", "admin")),
    PermissionDef("billing.policy", "Import the BHYT coverage policy and manage receipt books", ("admin",)),
)


def _routes() -> Sequence[Any]:
    from his.billing.http import billing_api_router, billing_page_handlers

    return [billing_api_router(), *billing_page_handlers()]


def _cli_commands() -> Sequence[Any]:
    from his.billing.cli import billing

    return [billing]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.billing.demo import seed_billing

    await seed_billing(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="billing",
        package="his.billing",
        route_handlers=_routes,
        permissions=BILLING_PERMISSIONS,
        nav=(NavItem("Cashier", "/billing", "billing.read"),),
        templates=True,
        translations=True,
        cli_commands=_cli_commands,
        demo_seed=_demo_seed,
    )
