"""The public face of billing: keyword-only functions taking and returning msgspec Structs, never ORM rows.

Reception, outpatient and inpatient modules open an account per encounter (its reference, e.g. the MA_LK of
the claim) and post charges to it; the split between the BHYT fund and the patient is computed on demand with
the policy in force on each service day. Writes audit in the caller's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import rules, service, sync
from his.billing.models import Account, Charge, ReceiptBook
from his.billing.schemas import (
    AccountIn,
    AccountSummary,
    BookOut,
    CashierTotal,
    ChargeIn,
    ChargeOut,
    CollectIn,
    DecisionOut,
    LineOut,
    PayerFacts,
    PolicyImportOut,
    PolicyRuleOut,
    ReceiptLineOut,
    ReceiptOut,
    ShiftReport,
    TotalsOut,
)
from his.billing.words import amount_in_vietnamese_words
from his.kernel.audit.service import AuditActor
from his.kernel.hospital import get_hospital
from his.kernel.runtime import Kernel

__all__ = [
    "account_summary",
    "cancel_charge",
    "cancel_receipt",
    "close_account",
    "collect_payment",
    "create_receipt_book",
    "find_accounts",
    "get_receipt",
    "import_policy",
    "open_account",
    "policy_rules",
    "post_charge",
    "receipt_books",
    "receipts_of_account",
    "revenue_lines",
    "shift_report",
    "sync_visit",
    "update_payer",
]


async def _facility_code(session: AsyncSession, kernel: Kernel) -> str:
    return (await get_hospital(session, kernel.settings.hospital)).facility_code


def _charge_out(account: Account, charge: Charge) -> ChargeOut:
    return ChargeOut(
        id=charge.id,
        encounter_ref=account.encounter_ref,
        source_kind=charge.source_kind,
        code=charge.code,
        name=charge.name,
        quantity=_quantity(charge.quantity),
        unit_price_hospital=charge.unit_price_hospital,
        unit_price_bhyt=charge.unit_price_bhyt,
        in_bhyt_list=charge.in_bhyt_list,
        high_tech=charge.high_tech,
        service_date=charge.service_date,
        posted_at=charge.posted_at,
        posted_by=charge.posted_by,
        cancelled_at=charge.cancelled_at,
        cancel_reason=charge.cancel_reason,
        source_ref=charge.source_ref,
    )


def _decision_out(day: date, decision: rules.CoverageDecision) -> DecisionOut:
    return DecisionOut(
        service_date=day,
        percent=decision.percent,
        right_route=decision.right_route,
        out_of_list_covered=decision.out_of_list_covered,
        high_tech_cap=decision.high_tech_cap,
        reasons=list(decision.reasons),
        rule_keys=list(decision.rule_keys),
    )


def _quantity(value: Decimal) -> Decimal:
    """2 rather than 2.000 or 2E+0; 0.5 rather than 0.500."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


async def _summary(session: AsyncSession, kernel: Kernel, account: Account) -> AccountSummary:
    charges = await service.charges_of(session, account)
    by_id = {charge.id: charge for charge in charges}
    split = await service.split_account(session, account, charges, await _facility_code(session, kernel))
    lines = []
    for line in split.lines:
        assert line.line.ref is not None
        charge = by_id[line.line.ref]
        lines.append(
            LineOut(
                charge_id=charge.id,
                source_kind=charge.source_kind,
                code=charge.code,
                name=charge.name,
                service_date=charge.service_date,
                quantity=_quantity(charge.quantity),
                unit_price_hospital=charge.unit_price_hospital,
                unit_price_bhyt=charge.unit_price_bhyt,
                in_bhyt_list=charge.in_bhyt_list,
                amount_hospital=line.amount_hospital,
                amount_bhyt=line.amount_bhyt,
                fund_pays=line.fund_pays,
                patient_copay=line.patient_copay,
                patient_other=line.patient_other,
                patient_pays=line.patient_pays,
                receipt_id=split.receipt_of.get(charge.id),
                source_ref=charge.source_ref,
            )
        )
    total = rules.totals(split.lines)
    paid = sum(line.patient_pays for line in split.lines if line.line.ref in split.receipt_of)
    return AccountSummary(
        encounter_ref=account.encounter_ref,
        patient_id=account.patient_id,
        patient_code=account.patient_code,
        patient_name=account.patient_name,
        opened_at=account.opened_at,
        closed_at=account.closed_at,
        payer=service.payer_of(account),
        visit_total=split.visit_total,
        decisions=[_decision_out(day, decision) for day, decision in split.decisions.items()],
        lines=lines,
        totals=TotalsOut(
            amount_hospital=total.amount_hospital,
            amount_bhyt=total.amount_bhyt,
            fund_pays=total.fund_pays,
            patient_copay=total.patient_copay,
            patient_other=total.patient_other,
            patient_pays=total.patient_pays,
        ),
        paid=paid,
        due=total.patient_pays - paid,
    )


# ---------------------------------------------------------------- accounts and charges


async def open_account(session: AsyncSession, *, kernel: Kernel, actor: AuditActor, data: AccountIn) -> AccountSummary:
    """Raises Conflict when the encounter already has an account, InvalidInput for an incomplete card."""
    account = await service.open_account(kernel, session, actor, data)
    return await _summary(session, kernel, account)


async def update_payer(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, encounter_ref: str, payer: PayerFacts
) -> AccountSummary:
    account = await service.update_payer(kernel, session, actor, encounter_ref=encounter_ref, payer=payer)
    return await _summary(session, kernel, account)


async def close_account(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, encounter_ref: str
) -> AccountSummary:
    account = await service.close_account(kernel, session, actor, encounter_ref=encounter_ref)
    return await _summary(session, kernel, account)


async def post_charge(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, encounter_ref: str, charge: ChargeIn
) -> ChargeOut:
    """Accrues one service, drug, supply or bed-day on the encounter's account (NotFound, Conflict if closed)."""
    account, row = await service.post_charge(kernel, session, actor, encounter_ref=encounter_ref, data=charge)
    return _charge_out(account, row)


async def cancel_charge(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, charge_id: int, reason: str
) -> ChargeOut:
    row = await service.cancel_charge(kernel, session, actor, charge_id=charge_id, reason=reason)
    account = await session.get(Account, row.account_id)
    assert account is not None
    return _charge_out(account, row)


async def account_summary(session: AsyncSession, *, kernel: Kernel, encounter_ref: str) -> AccountSummary:
    """Charges split between the fund and the patient with the policy in force on each service day."""
    return await _summary(session, kernel, await service.get_account(session, encounter_ref))


async def sync_visit(session: AsyncSession, *, kernel: Kernel, actor: AuditActor, visit_code: str) -> AccountSummary:
    """The account of a reception visit (by its code, MA_LK) built from the care modules: opened with the visit's
    payer facts if missing, the exam service and one drug charge per dispensed prescription line posted once.
    Idempotent: run it again and nothing doubles. NotFound for an unknown visit, Conflict for a cancelled one or
    when new charges meet a closed account."""
    return await _summary(session, kernel, await sync.sync_visit(kernel, session, actor, visit_code))


async def find_accounts(session: AsyncSession, *, kernel: Kernel, term: str) -> list[AccountSummary]:
    """Accounts whose encounter reference or patient code is exactly `term` (a scanned barcode)."""
    return [await _summary(session, kernel, account) for account in await service.find_accounts(session, term)]


# ---------------------------------------------------------------- receipts


def receipt_out(collected: service.Collected) -> ReceiptOut:
    receipt, book, account = collected.receipt, collected.book, collected.account
    return ReceiptOut(
        id=receipt.id,
        book=book.code,
        symbol=book.symbol,
        number=receipt.number,
        number_text=service.receipt_number_text(receipt.number),
        encounter_ref=account.encounter_ref,
        patient_id=account.patient_id,
        patient_code=account.patient_code,
        patient_name=account.patient_name,
        card_number=account.card_number,
        amount=receipt.amount,
        amount_in_words=amount_in_vietnamese_words(receipt.amount),
        fund_amount=receipt.fund_amount,
        total_amount=receipt.total_amount,
        payment_method=receipt.payment_method,
        cashier_username=receipt.cashier_username,
        cashier_name=receipt.cashier_name,
        issued_at=receipt.issued_at,
        cancelled_at=receipt.cancelled_at,
        cancelled_by=receipt.cancelled_by,
        cancel_reason=receipt.cancel_reason,
        lines=[
            ReceiptLineOut(
                charge_id=line.charge_id,
                name=line.name,
                quantity=_quantity(line.quantity),
                unit_price=line.unit_price,
                amount_hospital=line.amount_hospital,
                fund_pays=line.fund_pays,
                patient_pays=line.patient_pays,
            )
            for line in collected.lines
        ],
    )


async def collect_payment(
    session: AsyncSession,
    *,
    kernel: Kernel,
    actor: AuditActor,
    cashier_name: str,
    encounter_ref: str,
    data: CollectIn,
) -> ReceiptOut:
    """The next receipt of the book for what the patient owes; Conflict if the amount due is not `expected`."""
    collected = await service.collect(
        kernel,
        session,
        actor,
        encounter_ref=encounter_ref,
        payment_method=data.payment_method,
        expected_amount=data.expected_amount,
        cashier_name=cashier_name,
        book_code=data.book,
        facility_code=await _facility_code(session, kernel),
    )
    return receipt_out(collected)


async def get_receipt(session: AsyncSession, *, receipt_id: int) -> ReceiptOut:
    return receipt_out(await service.get_receipt(session, receipt_id))


async def receipts_of_account(session: AsyncSession, *, encounter_ref: str) -> list[ReceiptOut]:
    account = await service.get_account(session, encounter_ref)
    return [receipt_out(await service.get_receipt(session, r.id)) for r in await service.receipts_of(session, account)]


async def cancel_receipt(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, receipt_id: int, reason: str
) -> ReceiptOut:
    return receipt_out(await service.cancel_receipt(kernel, session, actor, receipt_id=receipt_id, reason=reason))


def _book_out(book: ReceiptBook) -> BookOut:
    return BookOut(code=book.code, symbol=book.symbol, next_number=book.next_number, active=book.active)


async def receipt_books(session: AsyncSession) -> list[BookOut]:
    return [_book_out(book) for book in await service.list_books(session)]


async def create_receipt_book(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, code: str, symbol: str = ""
) -> BookOut:
    return _book_out(await service.create_book(kernel, session, actor, code=code, symbol=symbol))


async def shift_report(
    session: AsyncSession, *, start: datetime, end: datetime, cashier: str | None = None
) -> ShiftReport:
    """Receipts issued in [start, end): totals per cashier (cancelled ones left out) and the cancelled list."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    names: dict[str, str] = {}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cancelled: list[ReceiptOut] = []
    for receipt in await service.receipts_between(session, start, end, cashier):
        who = receipt.cashier_username
        names[who] = receipt.cashier_name
        if receipt.cancelled_at is not None:
            counts[who][1] += 1
            cancelled.append(receipt_out(await service.get_receipt(session, receipt.id)))
            continue
        counts[who][0] += 1
        totals[who][receipt.payment_method] += receipt.amount
    rows = [
        CashierTotal(
            cashier_username=who,
            cashier_name=names[who],
            receipts=counts[who][0],
            amount=sum(totals[who].values()),
            by_method=dict(sorted(totals[who].items())),
            cancelled=counts[who][1],
        )
        for who in sorted(names)
    ]
    return ShiftReport(
        start=start, end=end, cashier=cashier, cashiers=rows, total=sum(r.amount for r in rows), cancelled=cancelled
    )


# ---------------------------------------------------------------- policy


async def policy_rules(session: AsyncSession, *, on: date | None = None) -> list[PolicyRuleOut]:
    """Every stored rule version, or only those in force on `on`."""
    found = await service.load_policy(session)
    if on is not None:
        found = [rule for rule in found if rule.in_force(on)]
    return [
        PolicyRuleOut(
            rule_key=rule.rule_key,
            value=rule.value,
            unit=rule.unit,
            effective_from=rule.effective_from,
            effective_to=rule.effective_to,
            source=rule.source,
            note=rule.note,
        )
        for rule in found
    ]


async def import_policy(
    session: AsyncSession, *, kernel: Kernel, actor: AuditActor, text: str, source_name: str
) -> PolicyImportOut:
    """Raises rules.PolicyFileError (nothing written) listing every problem of the file."""
    report = await service.import_policy(kernel, session, actor, text=text, source_name=source_name)
    return PolicyImportOut(rows=report.rows, added=report.added, changed=report.changed, unchanged=report.unchanged)


# ---------------------------------------------------------------- for statistics


class RevenueLine(msgspec.Struct, frozen=True):
    """What one live charge of one service day brings in, split by payer with the policy of that day (dong)."""

    encounter_ref: str
    service_date: date
    fund_pays: int  # the BHYT fund
    patient_copay: int  # the patient's co-payment on covered services
    patient_other: int  # what the patient pays outside the fund (out-of-list, above the BHYT price, uninsured)


async def revenue_lines(session: AsyncSession, *, kernel: Kernel, date_from: date, date_to: date) -> list[RevenueLine]:
    """The split of every live charge whose service day is in [date_from, date_to] (both included), by account
    and day: accrued revenue by payer, whether collected yet or not. Each account is split whole (a visit's
    co-payment depends on all its days), then only the lines of the period are kept."""
    facility_code = await _facility_code(session, kernel)
    accounts = await session.scalars(
        select(Account)
        .where(
            Account.id.in_(
                select(Charge.account_id).where(
                    Charge.service_date >= date_from, Charge.service_date <= date_to, Charge.cancelled_at.is_(None)
                )
            )
        )
        .order_by(Account.id)
    )
    out: list[RevenueLine] = []
    for account in accounts.all():
        charges = await service.charges_of(session, account)
        by_id = {charge.id: charge for charge in charges}
        split = await service.split_account(session, account, charges, facility_code)
        for line in split.lines:
            assert line.line.ref is not None
            day = by_id[line.line.ref].service_date
            if date_from <= day <= date_to:
                out.append(
                    RevenueLine(
                        encounter_ref=account.encounter_ref,
                        service_date=day,
                        fund_pays=line.fund_pays,
                        patient_copay=line.patient_copay,
                        patient_other=line.patient_other,
                    )
                )
    return out
