"""reception.api.visit_flow: every visit of a period in one query, for statistics (criterion 42)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest

from his.app import installed_modules
from his.kernel.runtime import Kernel, build_kernel
from his.reception import api
from his.settings import Settings
from tests.billing.visits import DESK, ROOM, TODAY, build_hospital, fixed_clock, register_visit

pytestmark = pytest.mark.criterion(42)


@pytest.fixture
async def flow_kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        yield built
    finally:
        await built.db.dispose()


async def test_visit_flow_lists_every_status_inside_the_period(flow_kernel: Kernel) -> None:
    patients = await build_hospital(flow_kernel)
    first, _ = await register_visit(flow_kernel, patients.insured)
    second, _ = await register_visit(flow_kernel, patients.uninsured)
    async with flow_kernel.db.transaction() as session:
        await api.change_status(session, flow_kernel.clock, DESK, visit_id=second, status="cancelled", reason="Nhầm")
    async with flow_kernel.db.transaction() as session:
        rows = await api.visit_flow(session, date_from=TODAY, date_to=TODAY)
        before = await api.visit_flow(session, date_from=date(2026, 3, 1), date_to=date(2026, 3, 1))
    assert [(r.id, r.room_code, r.ticket_day, r.status, r.kind) for r in rows] == [
        (first, ROOM, TODAY, "waiting", "outpatient"),
        (second, ROOM, TODAY, "cancelled", "outpatient"),
    ]
    assert before == []
