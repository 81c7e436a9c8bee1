"""The demo hospital's orders: the packaged order sets and reference ranges, and a few orders with results on the
most recent demo examinations (some abnormal, most verified and acknowledged, a few still waiting in the
laboratory's and imaging's worklists). Quick: a dozen orders."""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta
from decimal import Decimal

from his.kernel.audit.service import AuditActor
from his.kernel.clock import FixedClock, local_date
from his.kernel.runtime import Kernel
from his.orders import service
from his.orders.cli import packaged_definitions
from his.orders.schemas import PlaceIn, ResultIn, ResultsIn
from his.outpatient import api as outpatient
from his.reception import api as reception

DOCTOR = service.Staff("bacsi", "BS. Lê Văn An")
LAB = service.Staff("ktvxn", "KTV. Võ Thị Dung")
RADIOLOGY = service.Staff("bscdha", "BS. Đặng Quốc Hùng")
VISITS = 10
PLANS = (("BMP",), ("CBC",), ("CXR",), ("CBC", "BMP"), ("LIPID",))
CHEST_REPORT = "Hai phế trường sáng, không thấy tổn thương nhu mô. Bóng tim không to. Góc sườn hoành hai bên nhọn."


def _actor(staff: service.Staff, role: str) -> AuditActor:
    return AuditActor(user_id=None, username=staff.username, role=role, client_ip=None, request_id="demo")


def _value(rng: random.Random, low: Decimal | None, high: Decimal | None) -> Decimal:
    """Mostly inside the range, sometimes a little outside it."""
    bottom = low if low is not None else (high or Decimal(1)) / 3
    top = high if high is not None else bottom * 2
    spread = top - bottom
    chosen = float(bottom - spread * Decimal("0.15")) + rng.random() * float(spread * Decimal("1.3"))
    return Decimal(str(round(max(chosen, 0.01), 2)))


async def seed_orders(kernel: Kernel, rng: random.Random) -> None:
    async with kernel.db.transaction() as session:
        await service.load_definitions(kernel, session, _actor(LAB, "lab_technician"), packaged_definitions())
    today = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        visits = await reception.finished_visits(session, date_from=today - timedelta(days=7), date_to=today)
    for index, visit in enumerate(sorted(visits, key=lambda v: v.registered_at)[-VISITS:]):
        async with kernel.db.transaction() as session:
            encounter = await outpatient.find_encounter(session, visit_id=visit.id)
        if encounter is None:
            continue
        await _order_and_result(kernel, rng, visit.id, encounter.started_at, PLANS[index % len(PLANS)], index)


async def _order_and_result(
    kernel: Kernel, rng: random.Random, visit_id: int, started: datetime, panels: tuple[str, ...], index: int
) -> None:
    clock = FixedClock(started + timedelta(minutes=8))
    at = dataclasses.replace(kernel, clock=clock)
    async with kernel.db.transaction() as session:
        placed = await service.place_orders(
            at,
            session,
            _actor(DOCTOR, "doctor"),
            DOCTOR,
            PlaceIn(context_type="outpatient", context_id=visit_id, panels=list(panels)),
            during_exam=False,
            charge=False,
        )
    for order in placed:
        staff = RADIOLOGY if order.category == "imaging" else LAB
        actor = _actor(staff, "radiologist" if order.category == "imaging" else "lab_technician")
        if index == 0:
            continue  # the newest stay placed: the departments' worklists have something to show
        clock.advance(timedelta(minutes=10))
        async with at.db.transaction() as session:
            await service.advance(at, session, actor, staff, order.id, "accepted")
            definitions = await service.analytes_of(session, order.service_code)
            items = [
                ResultIn(name=d.name, code=d.code, value=str(_value(rng, d.ref_low, d.ref_high))) for d in definitions
            ]
            report = CHEST_REPORT if order.category == "imaging" else ""
            clock.advance(timedelta(minutes=40))
            await service.record_results(at, session, actor, staff, order.id, ResultsIn(items=items, report=report))
            clock.advance(timedelta(minutes=5))
            await service.verify(at, session, actor, staff, order.id)
            if index % 3:
                clock.advance(timedelta(minutes=20))
                await service.acknowledge(at, session, _actor(DOCTOR, "doctor"), DOCTOR, order.id)
