"""The demo pharmacy: every demo drug stocked by ordinary receipts, some lots expiring soon, one expired."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import distinct, func, select

from his.catalogs.demo import seed_catalogs
from his.kernel.runtime import build_kernel
from his.pharmacy import api
from his.pharmacy.demo import MAIN_STORE, OUTPATIENT, seed_pharmacy
from his.pharmacy.models import Lot
from his.pharmacy.rules import LotStock, allocate_fefo
from his.settings import Settings
from tests.pharmacy.support import TODAY, clock, ledger, on_hand

pytestmark = pytest.mark.criterion(34)


async def test_demo_stock(settings: Settings) -> None:
    kernel = build_kernel(settings, (), clock())
    try:
        await seed_catalogs(kernel, kinds=["drugs"])
        await seed_pharmacy(kernel, random.Random(7))
        async with kernel.db.transaction() as session:
            drugs = await api.totals(session, as_of=TODAY, warehouse_code=OUTPATIENT)
            main = await api.totals(session, as_of=TODAY, warehouse_code=MAIN_STORE)
            soon = await api.expiring(session, within_days=60, as_of=TODAY)
            lots_per_drug = (
                await session.execute(
                    select(Lot.drug_code, func.count(distinct(Lot.id))).group_by(Lot.drug_code, Lot.warehouse_id)
                )
            ).all()
            first = await api.stock_of(session, drug_code="T0001", warehouse_code=OUTPATIENT, as_of=TODAY)
        assert len(drugs) == len(main) == 329
        assert all(total.usable > 0 for total in drugs + main)
        assert max(count for _, count in lots_per_drug) <= 4  # 1-3, plus the expired lot of T0001
        expired = [lot for lot in soon if lot.expired]
        assert [(lot.drug_code, lot.lot_number) for lot in expired] == [("T0001", "EXP0001")]
        assert len(soon) - len(expired) >= 10
        assert all(lot.expiry_date <= TODAY + timedelta(days=60) for lot in soon)
        # Dispensing from T0001 would skip the expired lot.
        stock = [LotStock(lot.id, lot.expiry_date, lot.quantity_on_hand) for lot in first.lots]
        allocation = allocate_fefo(stock, 1, TODAY)
        assert isinstance(allocation, list) and allocation[0].lot_id != first.lots[0].id
        assert await on_hand(kernel) == await ledger(kernel)
    finally:
        await kernel.db.dispose()
