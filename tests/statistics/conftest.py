"""A small statistics data set on 2 March 2026, built through the modules' own services (tests/billing/visits.py):

- an insured patient examined (main diagnosis J06.9), prescribed, dispensed, billed;
- an uninsured patient examined (main diagnosis I10) without a prescription, billed;
- one visit left waiting and one cancelled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest

from his.app import installed_modules
from his.billing import api as billing
from his.billing.schemas import TotalsOut
from his.kernel.runtime import Kernel, build_kernel
from his.outpatient.schemas import DiagnosisIn
from his.reception import api as reception
from his.settings import HospitalDefaults, Settings
from tests.billing.visits import (
    CASHIER,
    DESK,
    FACILITY,
    build_hospital,
    examine,
    fixed_clock,
    full_visit,
    register_visit,
)

DAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Seeded:
    insured_totals: TotalsOut
    uninsured_totals: TotalsOut


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.hospital = HospitalDefaults(name="Bệnh viện Đa khoa Tỉnh (Test)", facility_code=FACILITY)
    return settings


async def seed(kernel: Kernel) -> Seeded:
    patients = await build_hospital(kernel)
    insured_code, _dispensing = await full_visit(kernel, patients.insured)
    uninsured_id, uninsured_code = await register_visit(kernel, patients.uninsured)
    await examine(kernel, uninsured_id, diagnoses=[DiagnosisIn("I10", True)], lines=())
    await register_visit(kernel, patients.uninsured)  # still waiting
    cancelled_id, _code = await register_visit(kernel, patients.insured)
    async with kernel.db.transaction() as session:
        await reception.change_status(
            session, kernel.clock, DESK, visit_id=cancelled_id, status="cancelled", reason="Đăng ký nhầm"
        )
        insured = await billing.sync_visit(session, kernel=kernel, actor=CASHIER, visit_code=insured_code)
        uninsured = await billing.sync_visit(session, kernel=kernel, actor=CASHIER, visit_code=uninsured_code)
    return Seeded(insured.totals, uninsured.totals)


async def seeded_database(settings: Settings) -> Seeded:
    """For HTTP tests (run outside an event loop)."""
    kernel = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        return await seed(kernel)
    finally:
        await kernel.db.dispose()


@pytest.fixture
async def stats_kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        yield built
    finally:
        await built.db.dispose()
