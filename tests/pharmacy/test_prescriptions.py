"""Dispensing an outpatient e-prescription by its national code (criterion 34), on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from his.app import installed_modules
from his.kernel.audit.models import AuditRecord
from his.kernel.auth.service import sync_roles
from his.kernel.clock import FixedClock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel, build_kernel
from his.pharmacy import api, rules
from his.pharmacy.schemas import DispensingOut
from his.settings import Settings
from tests.pharmacy.prescriptions import Pharmacy, cancel, day_of, line, prescribe, stocked_clinic
from tests.pharmacy.support import ACTOR, MAIN, NOW, OUTPATIENT, TODAY, ledger, on_hand

pytestmark = pytest.mark.criterion(34)


@pytest.fixture
async def kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), FixedClock(NOW))
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
async def pharmacy(kernel: Kernel) -> Pharmacy:
    return await stocked_clinic(kernel)


async def dispense(kernel: Kernel, code: str, warehouse: str | None = None) -> DispensingOut:
    async with kernel.db.transaction() as session:
        return await api.dispense_prescription(session, kernel.clock, code=code, actor=ACTOR, warehouse_code=warehouse)


async def preview(kernel: Kernel, code: str, warehouse: str | None = None) -> api.PrescriptionToDispenseOut:
    async with kernel.db.transaction() as session:
        return await api.prescription_to_dispense(session, code=code, warehouse_code=warehouse, as_of=day_of(kernel))


def test_a_prescription_can_be_collected_for_five_days_after_the_day_it_was_written() -> None:
    assert rules.collect_until(date(2026, 3, 1)) == date(2026, 3, 6)
    assert rules.collect_until(date(2026, 2, 27)) == date(2026, 3, 4)


async def test_the_preview_shows_patient_lines_stock_and_the_lots_fefo_would_use(
    kernel: Kernel, pharmacy: Pharmacy
) -> None:
    # 12 tablets of Paracetamol: the 10 of the lot expiring first, then 2 of the later lot.
    code = await prescribe(kernel, pharmacy.man_visit, line("T0001", 3, 4), line("T0002", 2, 5))
    seen = await preview(kernel, code)
    assert (seen.code, seen.status, seen.blocked, seen.warehouse_code) == (code, "issued", None, OUTPATIENT)
    assert seen.patient_id == pharmacy.clinic.man and seen.patient_name == "Nguyễn Văn An"
    assert seen.collect_until == TODAY + timedelta(days=5) and seen.as_of == TODAY
    paracetamol, amoxicilin = seen.lines
    assert (paracetamol.drug_code, paracetamol.quantity, paracetamol.usable, paracetamol.shortfall) == (
        "T0001",
        12,
        110,
        0,
    )
    assert [(lot.lot_number, lot.quantity) for lot in paracetamol.lots] == [("P-SOON", 10), ("P-LATE", 2)]
    assert (amoxicilin.quantity, amoxicilin.usable, [lot.lot_number for lot in amoxicilin.lots]) == (10, 50, ["A-1"])
    assert "2 lần" in amoxicilin.usage and seen.dispensing is None


async def test_dispensing_by_code_gives_every_line_once_under_the_code_for_the_patient(
    kernel: Kernel, pharmacy: Pharmacy
) -> None:
    code = await prescribe(kernel, pharmacy.man_visit, line("T0001", 3, 4), line("T0002", 2, 5))
    before = await on_hand(kernel)
    done = await dispense(kernel, code)
    assert (done.reference, done.patient_id, done.warehouse_code) == (code, pharmacy.clinic.man, OUTPATIENT)
    assert [(d.request_line, d.drug_code, d.lot_number, d.quantity) for d in done.lines] == [
        (0, "T0001", "P-SOON", 10),
        (0, "T0001", "P-LATE", 2),
        (1, "T0002", "A-1", 10),
    ]
    after = await on_hand(kernel)
    assert sum(before.values()) - sum(after.values()) == 22 and after == await ledger(kernel)
    async with kernel.db.transaction() as session:
        audit = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "pharmacy.dispense"))).one()
    assert audit.patient_id == str(pharmacy.clinic.man) and code in (audit.detail or "")

    with pytest.raises(Conflict) as again:
        await dispense(kernel, code)
    assert "already been dispensed" in str(again.value)
    with pytest.raises(Conflict):  # nor from another warehouse
        await dispense(kernel, code, MAIN)
    assert await on_hand(kernel) == after
    seen = await preview(kernel, code)
    assert seen.blocked == "dispensed" and seen.dispensing is not None and seen.dispensing.id == done.id


async def test_a_cancelled_prescription_is_refused_and_nothing_is_taken(kernel: Kernel, pharmacy: Pharmacy) -> None:
    code = await prescribe(kernel, pharmacy.man_visit, line("T0002", 2, 5))
    await cancel(kernel, code, "Kê nhầm thuốc")
    before = await on_hand(kernel)
    with pytest.raises(Conflict) as refused:
        await dispense(kernel, code)
    assert "cancelled" in str(refused.value) and refused.value.params["reason"] == "Kê nhầm thuốc"
    assert await on_hand(kernel) == before
    seen = await preview(kernel, code)
    assert (seen.status, seen.blocked, seen.cancelled_reason) == ("cancelled", "cancelled", "Kê nhầm thuốc")


async def test_a_prescription_is_dispensed_through_its_fifth_day_and_not_after(
    kernel: Kernel, pharmacy: Pharmacy
) -> None:
    on_time = await prescribe(kernel, pharmacy.man_visit, line("T0002", 1, 3))
    late = await prescribe(kernel, pharmacy.man_visit, line("T0002", 1, 3))
    assert isinstance(kernel.clock, FixedClock)
    kernel.clock.advance(timedelta(days=5))
    assert (await dispense(kernel, on_time)).reference == on_time
    kernel.clock.advance(timedelta(days=1))
    assert (await preview(kernel, late)).blocked == "collection_over"
    with pytest.raises(Conflict) as over:
        await dispense(kernel, late)
    assert over.value.params["date"] == (TODAY + timedelta(days=5)).isoformat()


async def test_too_little_stock_refuses_the_whole_prescription(kernel: Kernel, pharmacy: Pharmacy) -> None:
    # 60 Amoxicilin asked, 50 in stock; the Paracetamol line alone could be served but is not.
    code = await prescribe(kernel, pharmacy.man_visit, line("T0001", 2, 5), line("T0002", 3, 10, "2"))
    seen = await preview(kernel, code)
    assert seen.blocked == "insufficient_stock"
    assert [(item.shortfall, len(item.lots)) for item in seen.lines] == [(0, 1), (10, 0)]
    before = await on_hand(kernel)
    with pytest.raises(Conflict) as short:
        await dispense(kernel, code)
    assert short.value.params["shortfall"] == 10 and await on_hand(kernel) == before
    # The main store holds none of it: asked there, every line is short.
    assert (await preview(kernel, code, MAIN)).blocked == "insufficient_stock"


async def test_unknown_codes_and_ambiguous_warehouses_are_refused(kernel: Kernel, pharmacy: Pharmacy) -> None:
    with pytest.raises(NotFound):
        await dispense(kernel, "79999zzzzzzz-N")
    with pytest.raises(InvalidInput) as blank:
        await dispense(kernel, "   ")
    assert blank.value.field == "code"
    code = await prescribe(kernel, pharmacy.man_visit, line("T0002", 1, 2))
    with pytest.raises(InvalidInput) as unknown:
        await dispense(kernel, code, "XX")
    assert unknown.value.field == "warehouse_code"
    async with kernel.db.transaction() as session:
        from his.pharmacy import service

        await service.create_warehouse(session, kernel.clock, ACTOR, code="NT2", name="Nhà thuốc 2", kind="outpatient")
    with pytest.raises(InvalidInput) as which:  # two outpatient pharmacies: the pharmacist says which
        await dispense(kernel, code)
    assert which.value.field == "warehouse_code"
    assert (await dispense(kernel, code, OUTPATIENT)).warehouse_code == OUTPATIENT


async def test_the_same_prescription_dispensed_by_five_pharmacists_at_once_goes_out_once(
    kernel: Kernel, pharmacy: Pharmacy
) -> None:
    code = await prescribe(kernel, pharmacy.man_visit, line("T0001", 2, 3), line("T0002", 2, 3))
    before = await on_hand(kernel)
    results = await asyncio.gather(*(dispense(kernel, code) for _ in range(5)), return_exceptions=True)
    served = [r for r in results if isinstance(r, DispensingOut)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(served) == 1 and len(refused) == 4, results
    assert all("already been dispensed" in str(r) for r in refused)
    after = await on_hand(kernel)
    assert sum(before.values()) - sum(after.values()) == 12 and after == await ledger(kernel)
