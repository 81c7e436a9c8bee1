"""Queues for tests: a reception desk with two counters and a cashier with one, on a clock tests can move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from his.app import installed_modules
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import sync_roles
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.queues import service
from his.queues.schemas import CounterIn, ServicePointIn
from his.settings import Settings

STAFF = AuditActor(user_id=2, username="letan", role="receptionist", client_ip="127.0.0.1", request_id="t")
KIOSK = AuditActor(user_id=None, username=None, role=None, client_ip="10.0.0.9", request_id="k")
# 08:00 in Viet Nam.
MORNING = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Points:
    reception: str = "TD"
    cashier: str = "TN"
    desk_one: str = "TD1"
    desk_two: str = "TD2"
    till: str = "TN1"


async def set_up_points(kernel: Kernel) -> Points:
    points = Points()
    async with kernel.db.transaction() as session:
        for code, name, kind, prefix in (
            (points.reception, "Tiếp đón", "reception", "A"),
            (points.cashier, "Thu ngân", "cashier", ""),
        ):
            await service.upsert_service_point(
                session, kernel.clock, STAFF, code=code, data=ServicePointIn(name=name, kind=kind, prefix=prefix)
            )
        for code, label, point in (
            (points.desk_one, "quầy 1", points.reception),
            (points.desk_two, "quầy 2", points.reception),
            (points.till, "quầy 5", points.cashier),
        ):
            await service.upsert_counter(
                session, kernel.clock, STAFF, code=code, data=CounterIn(label=label, service_point_code=point)
            )
    return points


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(MORNING)


@pytest.fixture
async def queue_kernel(settings: Settings, clock: FixedClock) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), clock)
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
async def points(queue_kernel: Kernel) -> Points:
    return await set_up_points(queue_kernel)
