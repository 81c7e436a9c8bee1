"""Concurrent dispensing never drives stock negative (the done-when of criterion 34).

Every dispensing runs in its own transaction on its own connection. On SQLite, BEGIN IMMEDIATE makes them wait
for each other; on PostgreSQL they truly race and the lot locks (SELECT ... FOR UPDATE) decide.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from his.kernel.errors import Conflict
from his.kernel.runtime import Kernel
from his.pharmacy import api
from his.pharmacy.models import Dispensing
from his.pharmacy.schemas import DispenseLineIn, DispensingOut
from tests.pharmacy.support import ACTOR, OUTPATIENT, TODAY, clock, ledger, on_hand, prepare, receive

pytestmark = pytest.mark.criterion(34)


async def dispense(kernel: Kernel, reference: str, quantity: int) -> DispensingOut:
    async with kernel.db.transaction() as session:
        return await api.dispense(
            session,
            clock(),
            warehouse_code=OUTPATIENT,
            reference=reference,
            lines=[DispenseLineIn("T0001", quantity)],
            actor=ACTOR,
        )


async def test_thirty_concurrent_dispensings_of_five_from_a_hundred(kernel: Kernel) -> None:
    await prepare(kernel)
    # 100 units in two lots; 30 prescriptions of 5 units each: exactly 20 can be served.
    await receive(
        kernel,
        [("T0001", "SOON", TODAY + timedelta(days=30), 35), ("T0001", "LATE", TODAY + timedelta(days=300), 65)],
    )
    results = await asyncio.gather(*(dispense(kernel, f"RX{n:012d}", 5) for n in range(30)), return_exceptions=True)
    served = [r for r in results if isinstance(r, DispensingOut)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(served) == 20 and len(refused) == 10, [r for r in results if not isinstance(r, DispensingOut)]
    assert all(r.message.startswith("Insufficient stock") for r in refused)
    stock = await on_hand(kernel)
    assert sorted(stock.values()) == [0, 0]
    assert stock == await ledger(kernel)
    assert sum(line.quantity for d in served for line in d.lines) == 100
    # FEFO held under the race: the 35 of the earlier lot went out, no more.
    assert sum(line.quantity for d in served for line in d.lines if line.lot_number == "SOON") == 35
    async with kernel.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Dispensing)) == 20


async def test_the_same_prescription_sent_five_times_at_once_is_dispensed_once(kernel: Kernel) -> None:
    await prepare(kernel)
    await receive(kernel, [("T0001", "A1", TODAY + timedelta(days=300), 100)])
    results = await asyncio.gather(*(dispense(kernel, "79999A00001234", 7) for _ in range(5)), return_exceptions=True)
    assert sum(isinstance(r, DispensingOut) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 4, results
    assert list((await on_hand(kernel)).values()) == [93]
