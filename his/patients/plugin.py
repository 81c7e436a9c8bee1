"""The patient registry (criterion 32): routes, permissions, navigation, demo patients."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import PermissionDef

PATIENT_PERMISSIONS = (
    PermissionDef(
        "patients.read",
        "Find patients and read their registration and insurance cards",
        ("receptionist", "doctor", "nurse", "pharmacist", "lab_technician", "radiologist", "cashier", "admin"),
    ),
    PermissionDef(
        "patients.write",
        "Register patients, correct their details and record insurance cards",
        ("receptionist", "admin"),
    ),
    # Merging cannot be undone by a button: administrators only, after a receptionist flags the pair.
    PermissionDef("patients.merge", "Merge duplicate patient records", ("admin",)),
)


def _routes() -> Sequence[Any]:
    from his.patients.http import patient_api_router, patient_page_handlers

    return [patient_api_router(), *patient_page_handlers()]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.patients.demo import seed_patients

    await seed_patients(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="patients",
        package="his.patients",
        route_handlers=_routes,
        permissions=PATIENT_PERMISSIONS,
        nav=(NavItem("Patients", "/patients", "patients.read"),),
        templates=True,
        translations=True,
        demo_seed=_demo_seed,
    )
