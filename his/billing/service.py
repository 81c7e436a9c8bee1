"""Billing use cases; the only code that writes the billing tables. Every write is audited in its transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import rules
from his.billing.models import Account, Charge, PolicyRuleRow, Receipt, ReceiptBook, ReceiptLine
from his.billing.schemas import AccountIn, ChargeIn, PayerFacts
from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.clock import Clock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Viet Nam
DEFAULT_BOOK = "BL01"


def today(clock: Clock | None = None) -> date:
    now = clock.now() if clock is not None else datetime.now(UTC)
    return now.astimezone(VIETNAM).date()


def packaged_policy_path() -> Path:
    return Path(str(resources.files("his.billing") / "data" / "bhyt_policy.csv"))


def receipt_number_text(number: int) -> str:
    return f"{number:07d}"


# ---------------------------------------------------------------- policy


@dataclass(frozen=True, slots=True)
class PolicyImportReport:
    rows: int
    added: int
    changed: int
    unchanged: int


def _rule_of(row: PolicyRuleRow) -> rules.PolicyRule:
    return rules.PolicyRule(
        row.rule_key, row.value, row.unit, row.effective_from, row.effective_to, row.source, row.note
    )


async def load_policy(session: AsyncSession) -> list[rules.PolicyRule]:
    rows = await session.scalars(select(PolicyRuleRow).order_by(PolicyRuleRow.rule_key, PolicyRuleRow.effective_from))
    return [_rule_of(row) for row in rows]


async def policy_on(session: AsyncSession, day: date) -> rules.PolicySnapshot:
    return rules.snapshot_on(await load_policy(session), day)


async def import_policy(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, text: str, source_name: str
) -> PolicyImportReport:
    """Adds new rule versions and updates changed ones (keyed by rule and first day); never deletes history.

    Raises rules.PolicyFileError listing every problem; nothing is written then.
    """
    parsed = rules.parse_policy_csv(text)
    existing = {(row.rule_key, row.effective_from): row for row in await session.scalars(select(PolicyRuleRow))}
    incoming = {(rule.rule_key, rule.effective_from): rule for rule in parsed}
    merged = [_rule_of(row) for key, row in existing.items() if key not in incoming] + parsed
    problems = rules.overlap_problems(merged)
    if problems:
        raise rules.PolicyFileError(problems)
    now = kernel.clock.now()
    added = changed = 0
    for key, rule in incoming.items():
        row = existing.get(key)
        if row is None:
            session.add(
                PolicyRuleRow(
                    rule_key=rule.rule_key,
                    value=rule.value,
                    unit=rule.unit,
                    effective_from=rule.effective_from,
                    effective_to=rule.effective_to,
                    source=rule.source,
                    note=rule.note,
                    imported_at=now,
                )
            )
            added += 1
        elif _rule_of(row) != rule:
            row.value, row.unit, row.effective_to = rule.value, rule.unit, rule.effective_to
            row.source, row.note, row.imported_at = rule.source, rule.note, now
            changed += 1
    await session.flush()
    report = PolicyImportReport(len(parsed), added, changed, len(parsed) - added - changed)
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.policy.import",
            object_type="billing_policy",
            object_id=source_name[:64],
            detail=f"{report.rows} rows: {added} added, {changed} changed, {report.unchanged} unchanged",
        ),
        session,
    )
    return report


# ---------------------------------------------------------------- accounts and charges


def _check_payer(payer: PayerFacts) -> None:
    if payer.benefit_level is None:
        return
    if not payer.card_number or payer.card_valid_from is None or payer.card_valid_to is None:
        raise InvalidInput(_("A BHYT card needs its number and its validity dates"), field="payer.card_number")
    if payer.card_valid_to < payer.card_valid_from:
        raise InvalidInput(_("The card's validity ends before it starts"), field="payer.card_valid_to")


async def get_account(session: AsyncSession, encounter_ref: str, *, lock: bool = False) -> Account:
    query = select(Account).where(Account.encounter_ref == encounter_ref)
    if lock:
        query = query.with_for_update()
    account = await session.scalar(query)
    if account is None:
        raise NotFound(_("No billing account for encounter {ref}"), ref=encounter_ref[:40])
    return account


async def find_accounts(session: AsyncSession, term: str, *, limit: int = 20) -> list[Account]:
    """By encounter reference or patient code, exact (what a barcode scanner types), newest first."""
    term = term.strip()
    query = (
        select(Account)
        .where((Account.encounter_ref == term) | (Account.patient_code == term))
        .order_by(Account.opened_at.desc(), Account.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(query))


def _apply_payer(account: Account, payer: PayerFacts) -> None:
    account.card_number = payer.card_number
    account.benefit_level = payer.benefit_level
    account.card_valid_from = payer.card_valid_from
    account.card_valid_to = payer.card_valid_to
    account.registered_facility = payer.registered_facility
    account.five_years_since = payer.five_years_since
    account.year_copay_to_date = payer.year_copay_to_date
    account.route = payer.route
    account.hospital_level = payer.hospital_level
    account.care_type = payer.care_type


def payer_of(account: Account) -> PayerFacts:
    return PayerFacts(
        route=account.route,  # type: ignore[arg-type]
        hospital_level=account.hospital_level,  # type: ignore[arg-type]
        care_type=account.care_type,  # type: ignore[arg-type]
        card_number=account.card_number,
        benefit_level=account.benefit_level,
        card_valid_from=account.card_valid_from,
        card_valid_to=account.card_valid_to,
        registered_facility=account.registered_facility,
        five_years_since=account.five_years_since,
        year_copay_to_date=account.year_copay_to_date,
    )


async def open_account(kernel: Kernel, session: AsyncSession, actor: AuditActor, data: AccountIn) -> Account:
    _check_payer(data.payer)
    existing = await session.scalar(select(Account.id).where(Account.encounter_ref == data.encounter_ref))
    if existing is not None:
        raise Conflict(_("Encounter {ref} already has a billing account"), ref=data.encounter_ref)
    account = Account(
        encounter_ref=data.encounter_ref,
        patient_id=data.patient_id,
        patient_code=data.patient_code,
        patient_name=data.patient_name,
        opened_at=kernel.clock.now(),
    )
    _apply_payer(account, data.payer)
    session.add(account)
    await session.flush()
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.account.open",
            object_type="billing_account",
            object_id=data.encounter_ref,
            patient_id=str(data.patient_id),
            detail=f"benefit level {data.payer.benefit_level or '-'}, route {data.payer.route}",
        ),
        session,
    )
    return account


async def update_payer(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, encounter_ref: str, payer: PayerFacts
) -> Account:
    """A corrected card or route: uncollected lines are split anew; issued receipts keep their figures."""
    _check_payer(payer)
    account = await get_account(session, encounter_ref, lock=True)
    _apply_payer(account, payer)
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.account.payer",
            object_type="billing_account",
            object_id=encounter_ref,
            patient_id=str(account.patient_id),
            detail=f"benefit level {payer.benefit_level or '-'}, route {payer.route}",
        ),
        session,
    )
    return account


async def close_account(kernel: Kernel, session: AsyncSession, actor: AuditActor, *, encounter_ref: str) -> Account:
    account = await get_account(session, encounter_ref, lock=True)
    if account.closed_at is not None:
        raise Conflict(_("The billing account of encounter {ref} is closed"), ref=encounter_ref)
    account.closed_at = kernel.clock.now()
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.account.close",
            object_type="billing_account",
            object_id=encounter_ref,
            patient_id=str(account.patient_id),
        ),
        session,
    )
    return account


async def post_charge(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, encounter_ref: str, data: ChargeIn
) -> tuple[Account, Charge]:
    account = await get_account(session, encounter_ref)
    if account.closed_at is not None:
        raise Conflict(_("The billing account of encounter {ref} is closed"), ref=encounter_ref)
    if data.source_ref is not None and await charge_by_source(session, account, data.source_ref) is not None:
        raise Conflict(_("The account already holds the charge for {source}"), source=data.source_ref)
    try:
        quantity = rules.parse_quantity(str(data.quantity))
    except ValueError:
        raise InvalidInput(_("The quantity must be positive, with at most 3 decimals"), field="quantity") from None
    charge = Charge(
        account_id=account.id,
        source_kind=data.source_kind,
        code=data.code,
        name=data.name,
        quantity=quantity,
        unit_price_hospital=data.unit_price_hospital,
        unit_price_bhyt=data.unit_price_bhyt,
        in_bhyt_list=data.in_bhyt_list,
        high_tech=data.high_tech,
        service_date=data.service_date,
        posted_at=kernel.clock.now(),
        posted_by=actor.username or "system",
        source_ref=data.source_ref,
    )
    session.add(charge)
    await session.flush()
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.charge.post",
            object_type="billing_charge",
            object_id=str(charge.id),
            patient_id=str(account.patient_id),
            detail=f"{encounter_ref}: {data.source_kind} {data.code} x {quantity}",
        ),
        session,
    )
    return account, charge


async def _live_receipt_of_charges(session: AsyncSession, charge_ids: Sequence[int]) -> dict[int, int]:
    """charge id -> id of the live (not cancelled) receipt that collected it."""
    if not charge_ids:
        return {}
    rows = await session.execute(
        select(ReceiptLine.charge_id, ReceiptLine.receipt_id)
        .join(Receipt, Receipt.id == ReceiptLine.receipt_id)
        .where(ReceiptLine.charge_id.in_(charge_ids), Receipt.cancelled_at.is_(None))
    )
    return {int(charge_id): int(receipt_id) for charge_id, receipt_id in rows}


async def cancel_charge(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, charge_id: int, reason: str
) -> Charge:
    charge = await session.get(Charge, charge_id, with_for_update=True)
    if charge is None:
        raise NotFound(_("No charge {id}"), id=charge_id)
    if charge.cancelled_at is not None:
        raise Conflict(_("The charge is already cancelled"))
    if await _live_receipt_of_charges(session, [charge_id]):
        raise Conflict(_("The charge is on a receipt: cancel the receipt first"))
    account = await session.get(Account, charge.account_id)
    assert account is not None
    charge.cancelled_at = kernel.clock.now()
    charge.cancelled_by = actor.username or "system"
    charge.cancel_reason = _reason(reason)
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.charge.cancel",
            object_type="billing_charge",
            object_id=str(charge_id),
            patient_id=str(account.patient_id),
            detail=charge.cancel_reason,
        ),
        session,
    )
    return charge


async def charge_by_source(session: AsyncSession, account: Account, source_ref: str) -> Charge | None:
    """The charge posted for `source_ref` on the account, cancelled or not."""
    query = select(Charge).where(Charge.account_id == account.id, Charge.source_ref == source_ref)
    return await session.scalar(query)


async def change_quantity(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, charge: Charge, quantity: Decimal, reason: str
) -> Charge:
    """A charge whose source changed (drugs returned to the pharmacy) before the patient paid for it."""
    if charge.cancelled_at is not None:
        raise Conflict(_("The charge is already cancelled"))
    if await _live_receipt_of_charges(session, [charge.id]):
        raise Conflict(_("The charge is on a receipt: cancel the receipt first"))
    account = await session.get(Account, charge.account_id)
    assert account is not None
    before = charge.quantity
    charge.quantity = quantity
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.charge.quantity",
            object_type="billing_charge",
            object_id=str(charge.id),
            patient_id=str(account.patient_id),
            detail=f"{before} -> {quantity}: {_reason(reason)}",
        ),
        session,
    )
    return charge


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if len(reason) < 3:
        raise InvalidInput(_("Give the reason for the cancellation"), field="reason")
    return reason[:300]


async def charges_of(session: AsyncSession, account: Account) -> list[Charge]:
    rows = await session.scalars(
        select(Charge).where(Charge.account_id == account.id).order_by(Charge.service_date, Charge.id)
    )
    return list(rows)


# ---------------------------------------------------------------- the split


@dataclass(frozen=True, slots=True)
class Split:
    """An account's live charges split by the policy of each service day."""

    visit_total: int
    decisions: dict[date, rules.CoverageDecision]
    lines: list[rules.LineSplit]
    receipt_of: dict[int, int]  # charge id -> live receipt id


def _line_of(charge: Charge) -> rules.ChargeLine:
    return rules.ChargeLine(
        code=charge.code,
        name=charge.name,
        quantity=charge.quantity,
        unit_price_hospital=charge.unit_price_hospital,
        unit_price_bhyt=charge.unit_price_bhyt,
        in_bhyt_list=charge.in_bhyt_list,
        high_tech=charge.high_tech,
        ref=charge.id,
    )


def facts_for(account: Account, day: date, visit_total: int, facility_code: str | None) -> rules.CoverageFacts:
    valid = (
        account.card_valid_from is not None
        and account.card_valid_to is not None
        and account.card_valid_from <= day <= account.card_valid_to
    )
    return rules.CoverageFacts(
        service_date=day,
        benefit_level=account.benefit_level,
        card_valid=valid,
        route=account.route,  # type: ignore[arg-type]
        hospital_level=account.hospital_level,  # type: ignore[arg-type]
        care_type=account.care_type,  # type: ignore[arg-type]
        visit_total=visit_total,
        five_years_since=account.five_years_since,
        year_copay_to_date=account.year_copay_to_date,
        registered_facility=account.registered_facility,
        facility_code=facility_code,
    )


async def split_account(
    session: AsyncSession, account: Account, charges: Sequence[Charge], facility_code: str
) -> Split:
    live = [charge for charge in charges if charge.cancelled_at is None]
    by_day: dict[date, list[Charge]] = defaultdict(list)
    for charge in live:
        by_day[charge.service_date].append(charge)
    total = rules.visit_total(_line_of(charge) for charge in live)
    policy = await load_policy(session)
    decisions: dict[date, rules.CoverageDecision] = {}
    splits: dict[int, rules.LineSplit] = {}
    for day, day_charges in sorted(by_day.items()):
        try:
            decision = rules.coverage(rules.snapshot_on(policy, day), facts_for(account, day, total, facility_code))
        except rules.PolicyGap as gap:
            raise Conflict(
                _("The BHYT policy has no rule {key} in force on {date}; import the policy"),
                key=gap.rule_key,
                date=gap.day.isoformat(),
            ) from None
        decisions[day] = decision
        for charge, line in zip(
            day_charges, rules.split_charges([_line_of(c) for c in day_charges], decision), strict=True
        ):
            splits[charge.id] = line
    receipt_of = await _live_receipt_of_charges(session, [charge.id for charge in live])
    return Split(total, decisions, [splits[charge.id] for charge in live], receipt_of)


# ---------------------------------------------------------------- receipts


async def create_book(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, code: str, symbol: str
) -> ReceiptBook:
    if await session.scalar(select(ReceiptBook.id).where(ReceiptBook.code == code)) is not None:
        raise Conflict(_("Receipt book {code} already exists"), code=code)
    book = ReceiptBook(code=code, symbol=symbol, next_number=1, active=True, created_at=kernel.clock.now())
    session.add(book)
    await session.flush()
    await kernel.audit(
        actor, AuditEntry(action="billing.book.create", object_type="billing_receipt_book", object_id=code), session
    )
    return book


async def list_books(session: AsyncSession) -> list[ReceiptBook]:
    return list(await session.scalars(select(ReceiptBook).order_by(ReceiptBook.code)))


async def _book_for_update(session: AsyncSession, code: str | None) -> ReceiptBook:
    """The book row, locked to the end of the transaction: one cashier at a time takes its next number.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite: the IMMEDIATE transaction already holds the write lock.
    """
    query = select(ReceiptBook).where(ReceiptBook.active.is_(True))
    query = query.where(ReceiptBook.code == code) if code else query.order_by(ReceiptBook.id).limit(1)
    book = await session.scalar(query.with_for_update())
    if book is None:
        raise NotFound(_("No open receipt book {code}"), code=code or "")
    return book


@dataclass(frozen=True, slots=True)
class Collected:
    receipt: Receipt
    book: ReceiptBook
    account: Account
    lines: list[ReceiptLine]


async def collect(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    *,
    encounter_ref: str,
    payment_method: str,
    expected_amount: int,
    cashier_name: str,
    book_code: str | None,
    facility_code: str,
) -> Collected:
    """Issues the next receipt of the book for every live charge no live receipt covers yet."""
    # Account first, then book: every collector takes the locks in this order, so none waits on another in a cycle.
    account = await get_account(session, encounter_ref, lock=True)
    split = await split_account(session, account, await charges_of(session, account), facility_code)
    open_lines = [line for line in split.lines if line.line.ref not in split.receipt_of]
    if not open_lines:
        raise Conflict(_("Nothing to collect on encounter {ref}"), ref=encounter_ref)
    amount = sum(line.patient_pays for line in open_lines)
    if amount != expected_amount:
        raise Conflict(
            _("The amount due changed to {amount} dong; check the charges again"),
            amount=f"{amount:,}".replace(",", "."),
        )
    book = await _book_for_update(session, book_code)
    number = book.next_number
    book.next_number = number + 1
    receipt = Receipt(
        book_id=book.id,
        number=number,
        account_id=account.id,
        amount=amount,
        fund_amount=sum(line.fund_pays for line in open_lines),
        total_amount=sum(line.amount_hospital for line in open_lines),
        payment_method=payment_method,
        cashier_id=actor.user_id,
        cashier_username=actor.username or "system",
        cashier_name=cashier_name,
        issued_at=kernel.clock.now(),
    )
    session.add(receipt)
    await session.flush()
    lines = [
        ReceiptLine(
            receipt_id=receipt.id,
            charge_id=line.line.ref,
            name=line.line.name,
            quantity=line.line.quantity,
            unit_price=line.line.unit_price_hospital,
            amount_hospital=line.amount_hospital,
            fund_pays=line.fund_pays,
            patient_pays=line.patient_pays,
        )
        for line in open_lines
    ]
    session.add_all(lines)
    await session.flush()
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.receipt.issue",
            object_type="billing_receipt",
            object_id=f"{book.code}/{receipt_number_text(number)}",
            patient_id=str(account.patient_id),
            detail=f"{encounter_ref}: {amount} VND {payment_method}",
        ),
        session,
    )
    return Collected(receipt, book, account, lines)


async def get_receipt(session: AsyncSession, receipt_id: int) -> Collected:
    receipt = await session.get(Receipt, receipt_id)
    if receipt is None:
        raise NotFound(_("No receipt {id}"), id=receipt_id)
    book = await session.get(ReceiptBook, receipt.book_id)
    account = await session.get(Account, receipt.account_id)
    assert book is not None and account is not None
    lines = list(
        await session.scalars(select(ReceiptLine).where(ReceiptLine.receipt_id == receipt.id).order_by(ReceiptLine.id))
    )
    return Collected(receipt, book, account, lines)


async def receipts_of(session: AsyncSession, account: Account) -> list[Receipt]:
    query = select(Receipt).where(Receipt.account_id == account.id).order_by(Receipt.issued_at, Receipt.id)
    return list(await session.scalars(query))


async def cancel_receipt(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, *, receipt_id: int, reason: str
) -> Collected:
    """The receipt keeps its number and lines; its charges become collectable again."""
    receipt = await session.get(Receipt, receipt_id, with_for_update=True)
    if receipt is None:
        raise NotFound(_("No receipt {id}"), id=receipt_id)
    if receipt.cancelled_at is not None:
        raise Conflict(_("The receipt is already cancelled"))
    receipt.cancelled_at = kernel.clock.now()
    receipt.cancelled_by = actor.username or "system"
    receipt.cancel_reason = _reason(reason)
    collected = await get_receipt(session, receipt_id)
    await kernel.audit(
        actor,
        AuditEntry(
            action="billing.receipt.cancel",
            object_type="billing_receipt",
            object_id=f"{collected.book.code}/{receipt_number_text(receipt.number)}",
            patient_id=str(collected.account.patient_id),
            detail=receipt.cancel_reason,
        ),
        session,
    )
    return collected


async def receipts_between(
    session: AsyncSession, start: datetime, end: datetime, cashier: str | None = None
) -> list[Receipt]:
    query = select(Receipt).where(Receipt.issued_at >= start, Receipt.issued_at < end)
    if cashier:
        query = query.where(Receipt.cashier_username == cashier)
    return list(await session.scalars(query.order_by(Receipt.issued_at, Receipt.id)))
