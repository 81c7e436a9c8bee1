"""The pharmacy module (criterion 34): drug information, stock by lot and expiry, goods receipt, FEFO dispensing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PHARMACY_PERMISSIONS = (
    PermissionDef(
        "pharmacy.read", "See drug information and pharmacy stock", ("pharmacist", "doctor", "nurse", "admin")
    ),
    PermissionDef("pharmacy.stock", "Book goods receipts and correct pharmacy stock", ("pharmacist", "admin")),
    PermissionDef("pharmacy.dispense", "Dispense prescriptions and take back returns", ("pharmacist",)),
)


def _routes() -> Sequence[Any]:
    from his.pharmacy.http import pharmacy_api_router, pharmacy_page_handlers

    return [pharmacy_api_router(), *pharmacy_page_handlers()]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.pharmacy.demo import seed_pharmacy

    await seed_pharmacy(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="pharmacy",
        package="his.pharmacy",
        route_handlers=_routes,
        permissions=PHARMACY_PERMISSIONS,
        nav=(NavItem("Pharmacy", "/pharmacy", "pharmacy.read"),),
        templates=True,
        static=True,
        translations=True,
        demo_seed=_demo_seed,
    )
