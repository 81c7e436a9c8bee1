"""Pharmacy service on SQLite and PostgreSQL: receipts, FEFO dispensing, all-or-nothing, returns, adjustments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from his.kernel.audit.models import AuditRecord
from his.kernel.errors import Conflict, InvalidInput
from his.kernel.runtime import Kernel
from his.pharmacy import api, service
from his.pharmacy.models import Dispensing, DispensingLine, Movement
from his.pharmacy.schemas import AdjustmentIn, DispenseLineIn, ReceiptIn, ReceiptLineIn, ReturnLineIn
from tests.pharmacy.support import ACTOR, MAIN, OUTPATIENT, TODAY, clock, ledger, on_hand, prepare, receive

pytestmark = pytest.mark.criterion(34)

SOON, LATER, LATEST = TODAY + timedelta(days=20), TODAY + timedelta(days=200), TODAY + timedelta(days=600)
PRESCRIPTION = "79999A00001234"  # 14 characters, in the shape of the national prescription code


@pytest.fixture
async def stocked(kernel: Kernel) -> Kernel:
    await prepare(kernel)
    return kernel


async def dispense(kernel: Kernel, reference: str, *lines: tuple[str, int], patient_id: int | None = 42) -> object:
    async with kernel.db.transaction() as session:
        return await api.dispense(
            session,
            clock(),
            warehouse_code=OUTPATIENT,
            reference=reference,
            patient_id=patient_id,
            lines=[DispenseLineIn(code, quantity) for code, quantity in lines],
            actor=ACTOR,
        )


async def test_a_receipt_creates_lots_and_a_second_receipt_of_a_lot_adds_to_it(stocked: Kernel) -> None:
    first = await receive(stocked, [("T0001", "A1", LATER, 100), ("T0001", "B2", SOON, 50)])
    assert first.total_cost == 150 * 1000 and [line.quantity for line in first.lines] == [100, 50]
    await receive(stocked, [("T0001", "A1", LATER, 30)])
    await receive(stocked, [("T0001", "C3", LATEST, 70)], warehouse=MAIN)
    async with stocked.db.transaction() as session:
        everywhere = await api.stock_of(session, drug_code="T0001", as_of=TODAY)
        outpatient = await api.stock_of(session, drug_code="T0001", warehouse_code=OUTPATIENT, as_of=TODAY)
        available = await api.available_quantity(session, drug_code="T0001", warehouse_code=OUTPATIENT, as_of=TODAY)
        totals = await api.totals(session, warehouse_code=OUTPATIENT, as_of=TODAY)
    assert [(lot.lot_number, lot.quantity_on_hand) for lot in outpatient.lots] == [("B2", 50), ("A1", 130)]
    assert (outpatient.on_hand, outpatient.usable, available) == (180, 180, 180)
    assert everywhere.on_hand == 250 and {lot.warehouse_code for lot in everywhere.lots} == {MAIN, OUTPATIENT}
    assert [(t.drug_code, t.on_hand, t.lots, t.earliest_expiry) for t in totals] == [("T0001", 180, 2, SOON)]
    assert await on_hand(stocked) == await ledger(stocked)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (ReceiptLineIn("T9999", "A1", LATER, 10, 1000), "lines[0].drug_code"),
        (ReceiptLineIn("T0001", " ", LATER, 10, 1000), "lines[0].lot_number"),
        (ReceiptLineIn("T0001", "A1", TODAY, 10, 1000), "lines[0].expiry_date"),
        (ReceiptLineIn("T0001", "A1", LATER, 0, 1000), "lines[0].quantity"),
        (ReceiptLineIn("T0001", "A1", LATER, 10, -1), "lines[0].unit_cost"),
    ],
)
async def test_a_receipt_line_is_checked_and_the_field_named(stocked: Kernel, line: ReceiptLineIn, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        async with stocked.db.transaction() as session:
            await service.receive(session, clock(), ACTOR, ReceiptIn(OUTPATIENT, "NCC", "HD1", TODAY, [line]))
    assert refused.value.field == field
    assert await on_hand(stocked) == {}


async def test_dispensing_takes_the_earliest_expiry_first_and_never_an_expired_lot(stocked: Kernel) -> None:
    # A lot received in January that has expired by March: counted as on hand, never dispensed.
    january = clock()
    january.advance(timedelta(days=-50))
    expired = await receive(stocked, [("T0001", "OLD", TODAY - timedelta(days=1), 100)], at=january)
    await receive(stocked, [("T0001", "LATE", LATER, 100), ("T0001", "SOON", SOON, 30)])
    done = await dispense(stocked, PRESCRIPTION, ("T0001", 50))
    assert [(line.lot_number, line.quantity) for line in done.lines] == [("SOON", 30), ("LATE", 20)]  # type: ignore[attr-defined]
    async with stocked.db.transaction() as session:
        stock = await api.stock_of(session, drug_code="T0001", warehouse_code=OUTPATIENT, as_of=TODAY)
    assert [(lot.lot_number, lot.quantity_on_hand, lot.expired) for lot in stock.lots] == [
        ("OLD", 100, True),
        ("SOON", 0, False),
        ("LATE", 80, False),
    ]
    assert (stock.on_hand, stock.usable) == (180, 80)
    assert expired.lines[0].lot_number == "OLD"
    assert await on_hand(stocked) == await ledger(stocked)


async def test_too_little_stock_on_any_line_dispenses_nothing_at_all(stocked: Kernel) -> None:
    await receive(stocked, [("T0001", "A1", LATER, 100), ("T0002", "B1", SOON, 10), ("T0002", "B2", LATER, 5)])
    before = await on_hand(stocked)
    with pytest.raises(Conflict) as refused:
        await dispense(stocked, PRESCRIPTION, ("T0001", 20), ("T0002", 16))
    assert refused.value.params == {"drug": "T0002", "requested": 16, "usable": 15, "shortfall": 1}
    assert await on_hand(stocked) == before
    async with stocked.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Dispensing)) == 0
        assert await session.scalar(select(func.count()).select_from(DispensingLine)) == 0
        kinds = set((await session.scalars(select(Movement.kind))).all())
    assert kinds == {"receipt"}
    # The same drug on two lines draws on what the first line left: 10 + 6 > 15 is refused too.
    with pytest.raises(Conflict):
        await dispense(stocked, PRESCRIPTION, ("T0002", 10), ("T0002", 6))
    assert await on_hand(stocked) == before


async def test_a_reference_is_dispensed_once_per_warehouse(stocked: Kernel) -> None:
    await receive(stocked, [("T0001", "A1", LATER, 100)])
    await receive(stocked, [("T0001", "M1", LATER, 100)], warehouse=MAIN)
    await dispense(stocked, PRESCRIPTION, ("T0001", 10))
    with pytest.raises(Conflict) as twice:
        await dispense(stocked, PRESCRIPTION, ("T0001", 10))
    assert twice.value.status_code == 409
    async with stocked.db.transaction() as session:
        other = await api.dispense(
            session,
            clock(),
            warehouse_code=MAIN,
            reference=PRESCRIPTION,
            lines=[DispenseLineIn("T0001", 10)],
            actor=ACTOR,
        )
    assert other.warehouse_code == MAIN
    assert sorted((await on_hand(stocked)).values()) == [90, 90]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([DispenseLineIn("T0001", 0)], "lines[0].quantity"),
        ([DispenseLineIn("T0001", 1), DispenseLineIn("T9999", 1)], "lines[1].drug_code"),
    ],
)
async def test_a_malformed_request_names_the_field(stocked: Kernel, lines: list[DispenseLineIn], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        async with stocked.db.transaction() as session:
            await api.dispense(
                session, clock(), warehouse_code=OUTPATIENT, reference=PRESCRIPTION, lines=lines, actor=ACTOR
            )
    assert refused.value.field == field


async def test_a_return_restocks_the_lot_it_came_from_and_no_more_than_was_given(stocked: Kernel) -> None:
    await receive(stocked, [("T0001", "SOON", SOON, 10), ("T0001", "LATE", LATER, 100)])
    done = await dispense(stocked, PRESCRIPTION, ("T0001", 25))
    soon_line, late_line = done.lines  # type: ignore[attr-defined]
    async with stocked.db.transaction() as session:
        back = await api.return_dispensed(
            session,
            clock(),
            dispensing_id=done.id,  # type: ignore[attr-defined]
            lines=[ReturnLineIn(late_line.id, 5), ReturnLineIn(soon_line.id, 2)],
            actor=ACTOR,
            reason="Bệnh nhân đổi thuốc",
        )
    assert [(line.lot_number, line.quantity, line.returned_quantity) for line in back.lines] == [
        ("SOON", 10, 2),
        ("LATE", 15, 5),
    ]
    assert sorted((await on_hand(stocked)).values()) == [2, 90]
    with pytest.raises(Conflict):
        async with stocked.db.transaction() as session:
            await api.return_dispensed(
                session, clock(), dispensing_id=back.id, lines=[ReturnLineIn(late_line.id, 11)], actor=ACTOR
            )
    assert sorted((await on_hand(stocked)).values()) == [2, 90]
    assert await on_hand(stocked) == await ledger(stocked)


async def test_an_adjustment_needs_a_reason_never_goes_below_zero_and_is_audited(stocked: Kernel) -> None:
    receipt = await receive(stocked, [("T0003", "A1", LATER, 10)])
    lot_id = receipt.lines[0].lot_id
    with pytest.raises(InvalidInput) as no_reason:
        async with stocked.db.transaction() as session:
            await service.adjust(session, clock(), ACTOR, AdjustmentIn(lot_id, -1, "  "))
    assert no_reason.value.field == "reason"
    with pytest.raises(Conflict):
        async with stocked.db.transaction() as session:
            await service.adjust(session, clock(), ACTOR, AdjustmentIn(lot_id, -11, "Vỡ"))
    async with stocked.db.transaction() as session:
        lot = await service.adjust(session, clock(), ACTOR, AdjustmentIn(lot_id, -3, "Vỡ 3 viên khi chia"))
    assert lot.quantity_on_hand == 7
    async with stocked.db.transaction() as session:
        audited = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "pharmacy.adjust"))).all()
    assert [(a.object_id, a.username) for a in audited] == [(str(lot_id), "duocsi")]
    assert audited[0].detail is not None and "-3" in audited[0].detail and "Vỡ 3 viên" in audited[0].detail
    assert await on_hand(stocked) == await ledger(stocked)


async def test_stock_always_equals_the_sum_of_its_movements(stocked: Kernel) -> None:
    await receive(stocked, [("T0001", "A1", SOON, 40), ("T0001", "A2", LATER, 60), ("T0002", "B1", LATER, 30)])
    first = await dispense(stocked, "REF-1", ("T0001", 45), ("T0002", 3))
    await dispense(stocked, "REF-2", ("T0001", 10))
    with pytest.raises(Conflict):
        await dispense(stocked, "REF-3", ("T0001", 100))
    async with stocked.db.transaction() as session:
        await api.return_dispensed(
            session,
            clock(),
            dispensing_id=first.id,  # type: ignore[attr-defined]
            lines=[ReturnLineIn(first.lines[0].id, 4)],  # type: ignore[attr-defined]
            actor=ACTOR,
        )
        await service.adjust(session, clock(), ACTOR, AdjustmentIn(first.lines[0].lot_id, 1, "Kiểm kê"))  # type: ignore[attr-defined]
    stock = await on_hand(stocked)
    assert stock == await ledger(stocked)
    assert sum(stock.values()) == 130 - 45 - 3 - 10 + 4 + 1


async def test_dispensing_is_audited_with_the_patient(stocked: Kernel) -> None:
    await receive(stocked, [("T0001", "A1", LATER, 10)])
    done = await dispense(stocked, PRESCRIPTION, ("T0001", 4), patient_id=1234)
    async with stocked.db.transaction() as session:
        record = await session.scalar(select(AuditRecord).where(AuditRecord.action == "pharmacy.dispense"))
        again = await api.get_dispensing(session, dispensing_id=done.id)  # type: ignore[attr-defined]
        found = await api.find_dispensing(session, warehouse_code=OUTPATIENT, reference=PRESCRIPTION)
    assert record is not None and record.patient_id == "1234" and record.object_id == str(again.id)
    assert record.detail is not None and PRESCRIPTION in record.detail
    assert found == again and again.patient_id == 1234 and again.dispensed_by == "duocsi"


async def test_the_database_itself_refuses_negative_stock(stocked: Kernel) -> None:
    receipt = await receive(stocked, [("T0001", "A1", LATER, 5)])
    with pytest.raises(IntegrityError):
        async with stocked.db.transaction() as session:
            await session.execute(
                text("UPDATE pharmacy_lot SET quantity_on_hand = quantity_on_hand - 6 WHERE id = :id"),
                {"id": receipt.lines[0].lot_id},
            )
    assert await on_hand(stocked) == {receipt.lines[0].lot_id: 5}


async def test_expiring_lists_lots_with_stock_within_the_horizon(stocked: Kernel) -> None:
    await receive(
        stocked,
        [("T0001", "SOON", SOON, 5), ("T0002", "LATE", LATER, 5), ("T0003", "EDGE", TODAY + timedelta(days=60), 5)],
    )
    async with stocked.db.transaction() as session:
        soon = await api.expiring(session, within_days=60, as_of=TODAY)
        with pytest.raises(InvalidInput):
            await api.expiring(session, within_days=-1, as_of=TODAY)
    assert [lot.lot_number for lot in soon] == ["SOON", "EDGE"]
