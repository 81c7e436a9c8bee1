"""Helpers for the pharmacy tests: a small drug catalog, two warehouses, a fixed clock, receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from his.catalogs import service as catalog_service
from his.kernel.audit.service import AuditActor
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel
from his.pharmacy import service
from his.pharmacy.models import Lot, Movement
from his.pharmacy.rules import vietnam_day
from his.pharmacy.schemas import ReceiptIn, ReceiptLineIn, ReceiptOut

# 10:00 in Viet Nam on 1 March 2026.
NOW = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 3, 1)
ACTOR = AuditActor(user_id=None, username="duocsi", role="pharmacist", client_ip=None, request_id=None)
DRUGS_CSV = (
    "code,name,substances,strengths,form,route,unit,bhyt_code,price\n"
    "T0001,Paracetamol 500 mg,Paracetamol,500 mg,Viên nén,Uống,Viên,40.1,1640\n"
    "T0002,Amoxicilin 500 mg,Amoxicilin,500 mg,Viên nang cứng,Uống,Viên,40.2,1200\n"
    "T0003,Amoxicilin + Acid clavulanic 500 mg + 125 mg,Amoxicilin + Acid clavulanic,500 mg + 125 mg,"
    "Viên nén bao phim,Uống,Viên,40.3,9800\n"
).encode()
MAIN, OUTPATIENT = "KC", "NT"


def clock() -> FixedClock:
    return FixedClock(NOW)


async def prepare(kernel: Kernel) -> None:
    """The drug catalog (in force from 2025-01-01) and the two warehouses."""
    async with kernel.db.transaction() as session:
        await catalog_service.import_catalog(
            kernel, session, ACTOR, kind="drugs", source=DRUGS_CSV, effective=date(2025, 1, 1)
        )
        await service.create_warehouse(session, clock(), ACTOR, code=MAIN, name="Kho chính", kind="main")
        await service.create_warehouse(
            session, clock(), ACTOR, code=OUTPATIENT, name="Nhà thuốc ngoại trú", kind="outpatient"
        )


async def receive(
    kernel: Kernel,
    lines: Sequence[tuple[str, str, date, int]],
    *,
    warehouse: str = OUTPATIENT,
    at: FixedClock | None = None,
) -> ReceiptOut:
    """(drug code, lot number, expiry, quantity) lines at 1.000 VND each."""
    when = at or clock()
    async with kernel.db.transaction() as session:
        return await service.receive(
            session,
            when,
            ACTOR,
            ReceiptIn(
                warehouse_code=warehouse,
                supplier="Công ty CP Dược Hậu Giang",
                invoice_number="HD-0001",
                invoice_date=vietnam_day(when.now()),
                lines=[ReceiptLineIn(code, lot, expiry, quantity, 1000) for code, lot, expiry, quantity in lines],
            ),
        )


async def on_hand(kernel: Kernel) -> dict[int, int]:
    async with kernel.db.transaction() as session:
        rows = (await session.execute(select(Lot.id, Lot.quantity_on_hand).order_by(Lot.id))).all()
    return {lot_id: quantity for lot_id, quantity in rows}


async def ledger(kernel: Kernel) -> dict[int, int]:
    """Stock per lot as the sum of its movements."""
    async with kernel.db.transaction() as session:
        rows = (
            await session.execute(select(Movement.lot_id, func.sum(Movement.delta)).group_by(Movement.lot_id))
        ).all()
    return {lot_id: int(total) for lot_id, total in rows}
