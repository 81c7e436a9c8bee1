"""The queues of the demo hospital: reception, cashier and pharmacy counters, one queue per clinic room, and a
few of this morning's tickets (one already served, one at a counter, the rest waiting)."""

from __future__ import annotations

import random

from his.kernel.audit.service import AuditActor
from his.kernel.runtime import Kernel
from his.queues import service
from his.queues.schemas import CounterIn, ServicePointIn

DEMO_ACTOR = AuditActor(user_id=None, username="demo-seed", role="admin", client_ip=None, request_id="demo-seed")

# (code, name, kind, prefix, counters as (code, label))
DEMO_POINTS: tuple[tuple[str, str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("TIEPDON", "Tiếp đón – Đăng ký khám", "reception", "A", (("TD1", "Quầy 1"), ("TD2", "Quầy 2"), ("TD3", "Quầy 3"))),
    ("THUNGAN", "Thu ngân – Viện phí", "cashier", "B", (("TN1", "Quầy 5"), ("TN2", "Quầy 6"))),
    ("NHATHUOC", "Nhà thuốc – Phát thuốc BHYT", "pharmacy", "C", (("NT1", "Quầy phát thuốc 1"),)),
)


async def seed_queues(kernel: Kernel, rng: random.Random) -> None:
    async with kernel.db.transaction() as session:
        for position, (code, name, kind, prefix, counters) in enumerate(DEMO_POINTS):
            await service.upsert_service_point(
                session,
                kernel.clock,
                DEMO_ACTOR,
                code=code,
                data=ServicePointIn(name=name, kind=kind, prefix=prefix, position=position),
            )
            for counter_position, (counter_code, label) in enumerate(counters):
                await service.upsert_counter(
                    session,
                    kernel.clock,
                    DEMO_ACTOR,
                    code=counter_code,
                    data=CounterIn(label=label, service_point_code=code, position=counter_position),
                )
        await service.points_from_clinic_rooms(session, kernel.clock, DEMO_ACTOR)
    async with kernel.db.transaction() as session:
        for _ in range(6):
            priority = "elderly" if rng.random() < 0.2 else "normal"
            await service.issue_ticket(
                session, kernel.clock, DEMO_ACTOR, service_point_code="TIEPDON", priority_code=priority
            )
        await service.call_next(session, kernel.clock, DEMO_ACTOR, counter_code="TD1")
        await service.call_next(session, kernel.clock, DEMO_ACTOR, counter_code="TD1")
