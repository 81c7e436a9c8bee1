"""Accounts, charges, the split by the policy of each service day, receipts and their numbers, on both databases."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from his.billing import api, rules, service
from his.billing.schemas import AccountIn, AccountSummary, CollectIn, ReceiptOut
from his.kernel.audit.models import AuditRecord
from his.kernel.clock import FixedClock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel
from tests.billing.conftest import CASHIER, START, SYSTEM, charge, open_with_charges, payer

pytestmark = pytest.mark.criterion(35)


async def summary(kernel: Kernel, ref: str) -> AccountSummary:
    async with kernel.db.transaction() as session:
        return await api.account_summary(session, kernel=kernel, encounter_ref=ref)


async def collect(kernel: Kernel, ref: str, expected: int, method: str = "cash") -> ReceiptOut:
    async with kernel.db.transaction() as session:
        return await api.collect_payment(
            session,
            kernel=kernel,
            actor=CASHIER,
            cashier_name="Bùi Thị Giang",
            encounter_ref=ref,
            data=CollectIn(payment_method=method, expected_amount=expected),  # type: ignore[arg-type]
        )


async def test_charges_accrue_and_split_by_the_card(billing_kernel: Kernel) -> None:
    await open_with_charges(
        billing_kernel,
        "LK001",
        charge("KB01", 500_000, 500_000),
        charge("XN02", 25_000, 21_500, quantity="2"),
        charge("DV99", 150_000, None),
    )
    found = await summary(billing_kernel, "LK001")
    assert [d.percent for d in found.decisions] == [80]
    assert found.decisions[0].rule_keys[0] == "right_route.registered_facility@2015-01-01"
    assert found.visit_total == 500_000 + 43_000
    assert [(ln.fund_pays, ln.patient_copay, ln.patient_other) for ln in found.lines] == [
        (400_000, 100_000, 0),
        (34_400, 8_600, 7_000),
        (0, 0, 150_000),
    ]
    assert found.totals.patient_pays == 100_000 + 15_600 + 150_000 == found.due
    assert found.totals.fund_pays + found.totals.patient_pays == found.totals.amount_hospital


async def test_small_visit_uses_the_whole_visit_total(billing_kernel: Kernel) -> None:
    # 15% of 2,340,000 = 351,000: a visit of 350,000 is paid in full, one of 351,000 at the card's share.
    await open_with_charges(billing_kernel, "LK-S1", charge("KB01", 300_000, 300_000), charge("XN01", 50_000, 50_000))
    await open_with_charges(billing_kernel, "LK-S2", charge("KB01", 300_000, 300_000), charge("XN01", 51_000, 51_000))
    small, normal = await summary(billing_kernel, "LK-S1"), await summary(billing_kernel, "LK-S2")
    assert small.decisions[0].percent == 100 and small.due == 0
    assert rules.REASON_SMALL_VISIT in small.decisions[0].reasons
    assert normal.decisions[0].percent == 80 and normal.due == 70_200


async def test_a_stay_across_a_change_of_law_uses_each_days_policy(billing_kernel: Kernel) -> None:
    await open_with_charges(
        billing_kernel,
        "LK-NT",
        charge("GIUONG", 1_000_000, 1_000_000, day=date(2020, 12, 31), kind="bed"),
        charge("GIUONG", 1_000_000, 1_000_000, day=date(2021, 1, 1), kind="bed"),
        route="wrong",
        care_type="inpatient",
        card_valid_from=date(2020, 1, 1),
        card_valid_to=date(2021, 12, 31),
    )
    found = await summary(billing_kernel, "LK-NT")
    assert [(d.service_date, d.percent) for d in found.decisions] == [(date(2020, 12, 31), 48), (date(2021, 1, 1), 80)]
    assert [ln.fund_pays for ln in found.lines] == [480_000, 800_000]


async def test_card_expired_on_a_service_day_pays_nothing_that_day(billing_kernel: Kernel) -> None:
    await open_with_charges(
        billing_kernel,
        "LK-EXP",
        charge("KB01", 500_000, 500_000, day=date(2025, 3, 1)),
        charge("KB01", 500_000, 500_000, day=date(2025, 3, 2)),
        card_valid_to=date(2025, 3, 1),
    )
    found = await summary(billing_kernel, "LK-EXP")
    assert [d.percent for d in found.decisions] == [80, 0]
    assert found.decisions[1].reasons == [rules.REASON_CARD_INVALID]


async def test_opening_twice_an_incomplete_card_and_a_closed_account_are_refused(billing_kernel: Kernel) -> None:
    await open_with_charges(billing_kernel, "LK002")
    with pytest.raises(Conflict):
        await open_with_charges(billing_kernel, "LK002")
    with pytest.raises(InvalidInput):
        await open_with_charges(billing_kernel, "LK003", card_number=None)
    async with billing_kernel.db.transaction() as session:
        await api.close_account(session, kernel=billing_kernel, actor=SYSTEM, encounter_ref="LK002")
    with pytest.raises(Conflict):
        async with billing_kernel.db.transaction() as session:
            await api.post_charge(session, kernel=billing_kernel, actor=SYSTEM, encounter_ref="LK002", charge=charge())
    with pytest.raises(NotFound):
        await summary(billing_kernel, "NOPE")


async def test_collect_issues_a_receipt_for_what_the_patient_owes_once(billing_kernel: Kernel) -> None:
    await open_with_charges(billing_kernel, "LK004", charge("KB01", 500_000, 500_000))
    with pytest.raises(Conflict):  # the cashier saw another amount
        await collect(billing_kernel, "LK004", 99_999)
    receipt = await collect(billing_kernel, "LK004", 100_000)
    assert (receipt.book, receipt.number, receipt.number_text) == ("BL01", 1, "0000001")
    assert (receipt.amount, receipt.fund_amount, receipt.total_amount) == (100_000, 400_000, 500_000)
    assert receipt.amount_in_words == "Một trăm nghìn đồng"
    assert receipt.cashier_username == "thungan" and len(receipt.lines) == 1
    after = await summary(billing_kernel, "LK004")
    assert after.paid == 100_000 and after.due == 0 and after.lines[0].receipt_id == receipt.id
    with pytest.raises(Conflict):
        await collect(billing_kernel, "LK004", 0)
    # A charge on a live receipt cannot be cancelled; a later charge is collected on its own receipt.
    with pytest.raises(Conflict):
        async with billing_kernel.db.transaction() as session:
            await api.cancel_charge(
                session, kernel=billing_kernel, actor=SYSTEM, charge_id=receipt.lines[0].charge_id, reason="nhầm"
            )
    async with billing_kernel.db.transaction() as session:
        await api.post_charge(
            session,
            kernel=billing_kernel,
            actor=SYSTEM,
            encounter_ref="LK004",
            charge=charge("T01", 1_000, 1_000, quantity="10"),
        )
    second = await collect(billing_kernel, "LK004", 2_000)
    assert second.number == 2 and [line.patient_pays for line in second.lines] == [2_000]


async def test_cancelled_receipt_keeps_its_number_and_frees_its_charges(billing_kernel: Kernel) -> None:
    await open_with_charges(billing_kernel, "LK005", charge("KB01", 500_000, 500_000), patient_id=7)
    first = await collect(billing_kernel, "LK005", 100_000)
    with pytest.raises(InvalidInput):
        async with billing_kernel.db.transaction() as session:
            await api.cancel_receipt(session, kernel=billing_kernel, actor=CASHIER, receipt_id=first.id, reason=" ")
    async with billing_kernel.db.transaction() as session:
        cancelled = await api.cancel_receipt(
            session, kernel=billing_kernel, actor=CASHIER, receipt_id=first.id, reason="Thu sai hình thức thanh toán"
        )
    assert cancelled.number == 1 and cancelled.cancelled_at is not None
    assert cancelled.cancel_reason == "Thu sai hình thức thanh toán" and cancelled.lines
    with pytest.raises(Conflict):
        async with billing_kernel.db.transaction() as session:
            await api.cancel_receipt(session, kernel=billing_kernel, actor=CASHIER, receipt_id=first.id, reason="again")
    assert (await summary(billing_kernel, "LK005")).due == 100_000
    again = await collect(billing_kernel, "LK005", 100_000, method="card")
    assert again.number == 2  # never reused
    async with billing_kernel.db.transaction() as session:
        trail = (
            await session.scalars(select(AuditRecord).where(AuditRecord.patient_id == "7").order_by(AuditRecord.id))
        ).all()
    assert [(r.action, r.object_id) for r in trail if r.action.startswith("billing.receipt")] == [
        ("billing.receipt.issue", "BL01/0000001"),
        ("billing.receipt.cancel", "BL01/0000001"),
        ("billing.receipt.issue", "BL01/0000002"),
    ]
    assert next(r for r in trail if r.action == "billing.receipt.cancel").detail == "Thu sai hình thức thanh toán"


async def test_thirty_concurrent_cashiers_get_distinct_consecutive_numbers(billing_kernel: Kernel) -> None:
    refs = [f"LK-C{i:02d}" for i in range(30)]
    for index, ref in enumerate(refs):
        await open_with_charges(billing_kernel, ref, charge("KB01", 500_000, 500_000), patient_id=100 + index)
    receipts = await asyncio.gather(*(collect(billing_kernel, ref, 100_000) for ref in refs))
    assert sorted(r.number for r in receipts) == list(range(1, 31))
    async with billing_kernel.db.transaction() as session:
        (book,) = await api.receipt_books(session)
    assert book.next_number == 31


async def test_shift_report_totals_per_cashier_and_lists_cancelled(billing_kernel: Kernel) -> None:
    clock = billing_kernel.clock
    assert isinstance(clock, FixedClock)
    await open_with_charges(billing_kernel, "LK-A", charge("KB01", 500_000, 500_000))
    await open_with_charges(billing_kernel, "LK-B", charge("KB01", 400_000, 400_000))
    await open_with_charges(billing_kernel, "LK-C", charge("KB01", 1_000_000, 1_000_000))
    a = await collect(billing_kernel, "LK-A", 100_000)
    clock.advance(timedelta(minutes=5))
    await collect(billing_kernel, "LK-B", 80_000, method="transfer")
    clock.advance(timedelta(minutes=5))
    async with billing_kernel.db.transaction() as session:
        await api.cancel_receipt(session, kernel=billing_kernel, actor=CASHIER, receipt_id=a.id, reason="Khách đổi ý")
    clock.advance(timedelta(days=1))
    await collect(billing_kernel, "LK-C", 200_000)  # the next day: another shift
    async with billing_kernel.db.transaction() as session:
        report = await api.shift_report(session, start=START - timedelta(hours=1), end=START + timedelta(hours=8))
    (row,) = report.cashiers
    assert (row.cashier_username, row.receipts, row.amount, row.cancelled) == ("thungan", 1, 80_000, 1)
    assert row.by_method == {"transfer": 80_000} and report.total == 80_000
    assert [(r.number, r.cancel_reason) for r in report.cancelled] == [(1, "Khách đổi ý")]
    async with billing_kernel.db.transaction() as session:
        other = await api.shift_report(session, start=START, end=START + timedelta(days=2), cashier="someone")
    assert other.cashiers == [] and other.total == 0


async def test_policy_import_is_versioned_and_never_deletes(billing_kernel: Kernel) -> None:
    header = "rule_key,value,unit,effective_from,effective_to,source,note\n"
    async with billing_kernel.db.transaction() as session:
        unchanged = await api.import_policy(
            session,
            kernel=billing_kernel,
            actor=SYSTEM,
            text=service.packaged_policy_path().read_text(encoding="utf-8"),
            source_name="bhyt_policy.csv",
        )
    assert unchanged.added == 0 and unchanged.changed == 0 and unchanged.unchanged == unchanged.rows
    # A new base salary from 2026: end the open version and add the new one; a data change, not a code change.
    text = header + (
        "base_salary,2340000,vnd,2024-07-01,2026-07-01,Decree 73/2024/ND-CP art. 3,\n"
        "base_salary,2600000,vnd,2026-07-01,,Hypothetical decree for this test,\n"
    )
    async with billing_kernel.db.transaction() as session:
        report = await api.import_policy(session, kernel=billing_kernel, actor=SYSTEM, text=text, source_name="x.csv")
        in_force = {r.rule_key: r.value for r in await api.policy_rules(session, on=date(2026, 7, 1))}
        before = {r.rule_key: r.value for r in await api.policy_rules(session, on=date(2026, 6, 30))}
        versions = [r for r in await api.policy_rules(session) if r.rule_key == "base_salary"]
    assert (report.added, report.changed, report.unchanged) == (1, 1, 0)
    assert in_force["base_salary"] == 2_600_000 and before["base_salary"] == 2_340_000
    assert len(versions) == 8 and in_force["benefit.percent.4"] == 80
    # A version overlapping a stored one is refused whole.
    with pytest.raises(rules.PolicyFileError):
        async with billing_kernel.db.transaction() as session:
            await api.import_policy(
                session,
                kernel=billing_kernel,
                actor=SYSTEM,
                text=header + "base_salary,1,vnd,2026-01-01,,Overlap,\n",
                source_name="bad.csv",
            )


async def test_find_accounts_by_encounter_or_patient_code(billing_kernel: Kernel) -> None:
    await open_with_charges(billing_kernel, "LK-F1", patient_id=42)
    await open_with_charges(billing_kernel, "LK-F2", patient_id=42)
    async with billing_kernel.db.transaction() as session:
        by_code = await api.find_accounts(session, kernel=billing_kernel, term="BN000042")
        by_ref = await api.find_accounts(session, kernel=billing_kernel, term=" LK-F1 ")
    assert {a.encounter_ref for a in by_code} == {"LK-F1", "LK-F2"}
    assert [a.encounter_ref for a in by_ref] == ["LK-F1"]


async def test_policy_gap_is_a_clear_conflict(billing_kernel: Kernel) -> None:
    await open_with_charges(
        billing_kernel,
        "LK-OLD",
        charge(day=date(2014, 6, 1)),
        card_valid_from=date(2014, 1, 1),
        card_valid_to=date(2014, 12, 31),
    )
    with pytest.raises(Conflict) as gap:
        await summary(billing_kernel, "LK-OLD")
    assert gap.value.params["date"] == "2014-06-01"


def test_account_in_requires_a_positive_patient_id() -> None:
    import msgspec

    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"encounter_ref": "X", "patient_id": 0, "payer": msgspec.to_builtins(payer())}, AccountIn)
