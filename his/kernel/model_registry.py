"""Imports every module's ORM models so that Base.metadata is complete (migrations, backups, tests)."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "his.kernel.auth.models",
    "his.kernel.audit.models",
    "his.kernel.hospital",
    "his.kernel.events.models",
    "his.catalogs.models",
    "his.patients.models",
    "his.pharmacy.models",
    "his.reception.models",
    "his.outpatient.models",
    "his.billing.models",
    "his.bhyt.models",
    "his.orders.models",
    "his.decision.models",
    "his.appointments.models",
    "his.queues.models",
    "his.inpatient.models",
    "his.statistics.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        importlib.import_module(name)
