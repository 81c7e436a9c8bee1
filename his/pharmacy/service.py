"""Pharmacy use cases: goods receipt, FEFO dispensing, returns, adjustments, stock queries.

The only code that writes the pharmacy tables. Every write runs in the caller's transaction, changes
`pharmacy_lot.quantity_on_hand` and appends the matching `pharmacy_movement` rows together, and audits last.

Concurrency. Stock can never go negative, also when many pharmacists dispense the same drug at once:
1. the drug's lots are locked before they are read (PostgreSQL: `SELECT ... FOR UPDATE` in lot id order, so two
   dispensings wait for each other instead of deadlocking; SQLite: `BEGIN IMMEDIATE` already serialises writers);
2. the allocation is computed from what was read under that lock;
3. each decrement is a guarded `UPDATE ... WHERE quantity_on_hand >= :n` whose row count must be 1;
4. the `quantity_not_negative` CHECK constraint refuses anything that slipped past 1-3.
Locks are always taken in the same order (dispensing lines by id, then lots by id, then the audit trail's lock,
which every module takes last by auditing after its own work) so that pharmacy writes cannot deadlock each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Select, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import Clock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.i18n import lazy as _
from his.outpatient import api as outpatient
from his.outpatient.schemas import PrescriptionOut
from his.pharmacy.models import (
    WAREHOUSE_KINDS,
    Dispensing,
    DispensingLine,
    Lot,
    Movement,
    Receipt,
    ReceiptLine,
    Warehouse,
)
from his.pharmacy.rules import Insufficient, LotStock, allocate_fefo, collect_until, is_expired, vietnam_day
from his.pharmacy.schemas import (
    AdjustmentIn,
    DispenseIn,
    DispenseLineIn,
    DispensingLineOut,
    DispensingOut,
    DrugTotalOut,
    LotOut,
    PlannedLotOut,
    PrescriptionLineStockOut,
    PrescriptionToDispenseOut,
    ReceiptIn,
    ReceiptLineIn,
    ReceiptLineOut,
    ReceiptOut,
    ReturnIn,
    StockOut,
    WarehouseOut,
)

MAX_LINES = 100
MAX_QUANTITY = 1_000_000
MAX_UNIT_COST = 1_000_000_000  # VND
MAX_EXPIRING_DAYS = 3650
MSG_INSUFFICIENT = _(
    "Insufficient stock of {drug}: {requested} requested, {usable} can be dispensed, {shortfall} short"
)
MSG_DISPENSED = _("{reference} has already been dispensed from {warehouse}")
MSG_CANCELLED = _("Prescription {code} was cancelled by the doctor ({reason}): it must not be dispensed")
MSG_COLLECTION_OVER = _(
    "Prescription {code} could be collected until {date}: the patient needs a new prescription from the doctor"
)


def today(clock: Clock) -> date:
    return vietnam_day(clock.now())


def _by(actor: AuditActor) -> str:
    return (actor.username or "system")[:64]


def _text(value: str, field: str, max_length: int) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(_("This field is required"), field=field)
    if len(cleaned) > max_length:
        raise InvalidInput(_("At most {max} characters"), field=field, max=max_length)
    return cleaned


def _quantity(value: int, field: str) -> int:
    if value <= 0:
        raise InvalidInput(_("The quantity must be a whole number greater than 0"), field=field)
    if value > MAX_QUANTITY:
        raise InvalidInput(_("The quantity must not exceed {max}"), field=field, max=MAX_QUANTITY)
    return value


def _lines_present(count: int) -> None:
    if count == 0:
        raise InvalidInput(_("Add at least one line"), field="lines")
    if count > MAX_LINES:
        raise InvalidInput(_("At most {max} lines"), field="lines", max=MAX_LINES)


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount or 0)


async def _drug_in_force(session: AsyncSession, code: str, day: date, field: str) -> None:
    if await catalogs.get_drug(session, code=code, as_of=day) is None:
        raise InvalidInput(
            _("The drug catalog has no code {code} in force on {date}"), field=field, code=code, date=day.isoformat()
        )


# ---------------------------------------------------------------- warehouses


def _warehouse_out(row: Warehouse) -> WarehouseOut:
    return WarehouseOut(row.code, row.name, row.kind)


async def _warehouse(session: AsyncSession, code: str, *, field: str | None = None) -> Warehouse:
    row = await session.scalar(select(Warehouse).where(Warehouse.code == code.strip()))
    if row is None:
        if field is not None:
            raise InvalidInput(_("There is no warehouse {code}"), field=field, code=code[:20])
        raise NotFound(_("There is no warehouse {code}"), code=code[:20])
    return row


async def list_warehouses(session: AsyncSession) -> list[WarehouseOut]:
    rows = (await session.scalars(select(Warehouse).order_by(Warehouse.code))).all()
    return [_warehouse_out(row) for row in rows]


async def create_warehouse(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, code: str, name: str, kind: str
) -> WarehouseOut:
    code = _text(code, "code", 20)
    name = _text(name, "name", 200)
    if kind not in WAREHOUSE_KINDS:
        raise InvalidInput(_("The kind must be one of: {kinds}"), field="kind", kinds=", ".join(WAREHOUSE_KINDS))
    if await session.scalar(select(Warehouse.id).where(Warehouse.code == code)) is not None:
        raise Conflict(_("Warehouse {code} already exists"), code=code)
    row = Warehouse(code=code, name=name, kind=kind)
    session.add(row)
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(action="pharmacy.warehouse_create", object_type="warehouse", object_id=code, detail=kind),
    )
    return _warehouse_out(row)


# ---------------------------------------------------------------- goods receipt


@dataclass(frozen=True, slots=True)
class _LotKey:
    drug_code: str
    lot_number: str
    expiry_date: date


def _lot_query(warehouse_id: int, key: _LotKey) -> Select[Lot]:
    return (
        select(Lot)
        .where(
            Lot.warehouse_id == warehouse_id,
            Lot.drug_code == key.drug_code,
            Lot.lot_number == key.lot_number,
            Lot.expiry_date == key.expiry_date,
        )
        .with_for_update()
    )


async def _lot_for_receipt(
    session: AsyncSession, warehouse_id: int, key: _LotKey, unit_cost: int, now: datetime
) -> Lot:
    """The existing lot, locked, or a new empty one. A second receipt of a lot adds to it."""
    lot = await session.scalar(_lot_query(warehouse_id, key))
    if lot is not None:
        return lot
    try:
        # A savepoint: if a concurrent receipt created the same lot first, only this insert is undone.
        async with session.begin_nested():
            lot = Lot(
                warehouse_id=warehouse_id,
                drug_code=key.drug_code,
                lot_number=key.lot_number,
                expiry_date=key.expiry_date,
                unit_cost=unit_cost,
                quantity_on_hand=0,
                received_at=now,
            )
            session.add(lot)
        return lot
    except IntegrityError:
        return (await session.scalars(_lot_query(warehouse_id, key))).one()


def _check_receipt_line(index: int, line: ReceiptLineIn, day: date) -> _LotKey:
    field = f"lines[{index}]"
    key = _LotKey(
        _text(line.drug_code, f"{field}.drug_code", 40),
        _text(line.lot_number, f"{field}.lot_number", 40),
        line.expiry_date,
    )
    if line.expiry_date <= day:
        raise InvalidInput(
            _("The expiry date must be after the day of receipt ({date})"),
            field=f"{field}.expiry_date",
            date=day.isoformat(),
        )
    _quantity(line.quantity, f"{field}.quantity")
    if not 0 <= line.unit_cost <= MAX_UNIT_COST:
        raise InvalidInput(
            _("The unit cost is a whole number of dong from 0 to {max}"), field=f"{field}.unit_cost", max=MAX_UNIT_COST
        )
    return key


async def receive(session: AsyncSession, clock: Clock, actor: AuditActor, data: ReceiptIn) -> ReceiptOut:
    """Books a goods receipt: every line adds to its lot (created on first receipt). All lines or none."""
    now = clock.now()
    day = vietnam_day(now)
    supplier = _text(data.supplier, "supplier", 200)
    invoice_number = _text(data.invoice_number, "invoice_number", 60)
    if data.invoice_date > day:
        raise InvalidInput(_("The invoice date must not be in the future"), field="invoice_date")
    _lines_present(len(data.lines))
    keys = [_check_receipt_line(index, line, day) for index, line in enumerate(data.lines)]
    for index, key in enumerate(keys):
        await _drug_in_force(session, key.drug_code, day, f"lines[{index}].drug_code")
    warehouse = await _warehouse(session, data.warehouse_code, field="warehouse_code")
    receipt = Receipt(
        warehouse_id=warehouse.id,
        supplier=supplier,
        invoice_number=invoice_number,
        invoice_date=data.invoice_date,
        received_at=now,
        received_by=_by(actor),
    )
    session.add(receipt)
    await session.flush()
    # Lots are locked in one fixed order whatever the order of the lines, so two receipts never deadlock.
    lots: dict[_LotKey, Lot] = {}
    for index in sorted(range(len(keys)), key=lambda i: (keys[i].drug_code, keys[i].lot_number, keys[i].expiry_date)):
        key = keys[index]
        if key not in lots:
            lots[key] = await _lot_for_receipt(session, warehouse.id, key, data.lines[index].unit_cost, now)
    reference = f"receipt {receipt.id}"
    out_lines: list[ReceiptLineOut] = []
    for key, line in zip(keys, data.lines, strict=True):
        lot = lots[key]
        await session.execute(
            update(Lot)
            .where(Lot.id == lot.id)
            .values(quantity_on_hand=Lot.quantity_on_hand + line.quantity)
            .execution_options(synchronize_session=False)
        )
        session.add(
            ReceiptLine(
                receipt_id=receipt.id,
                lot_id=lot.id,
                drug_code=key.drug_code,
                lot_number=key.lot_number,
                expiry_date=key.expiry_date,
                quantity=line.quantity,
                unit_cost=line.unit_cost,
            )
        )
        session.add(
            Movement(lot_id=lot.id, delta=line.quantity, kind="receipt", reference=reference, at=now, by=_by(actor))
        )
        out_lines.append(
            ReceiptLineOut(lot.id, key.drug_code, key.lot_number, key.expiry_date, line.quantity, line.unit_cost)
        )
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="pharmacy.receipt",
            object_type="receipt",
            object_id=str(receipt.id),
            detail=f"{warehouse.code}; {supplier[:60]} {invoice_number}; "
            + ", ".join(f"{line.drug_code} {line.lot_number} +{line.quantity}" for line in out_lines)[:1500],
        ),
    )
    return ReceiptOut(
        receipt.id,
        warehouse.code,
        supplier,
        invoice_number,
        data.invoice_date,
        now,
        receipt.received_by,
        out_lines,
        sum(line.quantity * line.unit_cost for line in out_lines),
    )


# ---------------------------------------------------------------- dispensing


@dataclass(frozen=True, slots=True)
class _Planned:
    request_line: int
    drug_code: str
    lot: Lot
    quantity: int


def _plan(codes: Sequence[str], quantities: Sequence[int], locked: Sequence[Lot], day: date) -> list[_Planned]:
    """FEFO over the locked lots, line by line; the same drug on two lines draws on what the first left."""
    available = {lot.id: lot.quantity_on_hand for lot in locked}
    by_id = {lot.id: lot for lot in locked}
    lots_of: dict[str, list[Lot]] = defaultdict(list)
    for lot in locked:
        lots_of[lot.drug_code].append(lot)
    plan: list[_Planned] = []
    for index, (code, quantity) in enumerate(zip(codes, quantities, strict=True)):
        stock = [LotStock(lot.id, lot.expiry_date, available[lot.id]) for lot in lots_of[code]]
        result = allocate_fefo(stock, quantity, day)
        if isinstance(result, Insufficient):
            raise Conflict(
                MSG_INSUFFICIENT, drug=code, requested=quantity, usable=result.usable, shortfall=result.shortfall
            )
        for allocation in result:
            available[allocation.lot_id] -= allocation.quantity
            plan.append(_Planned(index, code, by_id[allocation.lot_id], allocation.quantity))
    return plan


async def _take(session: AsyncSession, planned: _Planned) -> None:
    result = await session.execute(
        update(Lot)
        .where(Lot.id == planned.lot.id, Lot.quantity_on_hand >= planned.quantity)
        .values(quantity_on_hand=Lot.quantity_on_hand - planned.quantity)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        # Unreachable while the lots are locked; kept so that a future change to the locking fails safe.
        raise Conflict(MSG_INSUFFICIENT, drug=planned.drug_code, requested=planned.quantity, usable=0, shortfall=0)


async def dispense(session: AsyncSession, clock: Clock, actor: AuditActor, data: DispenseIn) -> DispensingOut:
    """Dispenses every line first-expiry-first-out, or nothing: Conflict (409) on too little stock or a reference
    already dispensed from this warehouse; InvalidInput (422, naming the field) on a malformed request."""
    now = clock.now()
    day = vietnam_day(now)
    reference = _text(data.reference, "reference", 40)
    if data.patient_id is not None and data.patient_id <= 0:
        raise InvalidInput(_("The patient id must be a positive number"), field="patient_id")
    _lines_present(len(data.lines))
    codes = [_text(line.drug_code, f"lines[{i}].drug_code", 40) for i, line in enumerate(data.lines)]
    quantities = [_quantity(line.quantity, f"lines[{i}].quantity") for i, line in enumerate(data.lines)]
    for index, code in enumerate(codes):
        await _drug_in_force(session, code, day, f"lines[{index}].drug_code")
    warehouse = await _warehouse(session, data.warehouse_code, field="warehouse_code")
    duplicate = MSG_DISPENSED
    existing = select(Dispensing.id).where(Dispensing.warehouse_id == warehouse.id, Dispensing.reference == reference)
    if await session.scalar(existing) is not None:
        raise Conflict(duplicate, reference=reference, warehouse=warehouse.code)
    locked = (
        await session.scalars(
            select(Lot)
            .where(Lot.warehouse_id == warehouse.id, Lot.drug_code.in_(set(codes)))
            .order_by(Lot.id)
            .with_for_update()
            # Read what the lock returned, not what an earlier query of this session left in its identity map.
            .execution_options(populate_existing=True)
        )
    ).all()
    plan = _plan(codes, quantities, locked, day)
    dispensing = Dispensing(
        warehouse_id=warehouse.id,
        reference=reference,
        patient_id=data.patient_id,
        dispensed_by=_by(actor),
        dispensed_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(dispensing)
    except IntegrityError:
        # The same reference committed by a concurrent dispensing after our check above.
        raise Conflict(duplicate, reference=reference, warehouse=warehouse.code) from None
    lines: list[DispensingLine] = []
    for planned in plan:
        await _take(session, planned)
        line = DispensingLine(
            dispensing_id=dispensing.id,
            request_line=planned.request_line,
            drug_code=planned.drug_code,
            lot_id=planned.lot.id,
            quantity=planned.quantity,
            returned_quantity=0,
        )
        lines.append(line)
        session.add(line)
        session.add(
            Movement(
                lot_id=planned.lot.id,
                delta=-planned.quantity,
                kind="dispense",
                reference=reference,
                at=now,
                by=_by(actor),
            )
        )
    await session.flush()
    lots = {planned.lot.id: planned.lot for planned in plan}
    out = _dispensing_out(dispensing, warehouse.code, lines, lots)
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="pharmacy.dispense",
            object_type="dispensing",
            object_id=str(dispensing.id),
            patient_id=str(data.patient_id) if data.patient_id is not None else None,
            detail=f"{warehouse.code} {reference}: "
            + ", ".join(f"{line.drug_code} {line.lot_number} -{line.quantity}" for line in out.lines)[:1500],
        ),
    )
    return out


# ---------------------------------------------------------------- dispensing an outpatient prescription by its code


async def _prescription(session: AsyncSession, code: str) -> PrescriptionOut:
    """The prescription with this national code; NotFound (the outpatient module's message) when there is none."""
    return await outpatient.get_prescription(session, code=_text(code, "code", 40))


async def _prescription_warehouse(session: AsyncSession, code: str | None) -> Warehouse:
    """The warehouse asked for, else the only outpatient warehouse (where outpatient prescriptions are collected)."""
    if code is not None and code.strip():
        return await _warehouse(session, code, field="warehouse_code")
    rows = (await session.scalars(select(Warehouse).where(Warehouse.kind == "outpatient").order_by(Warehouse.id))).all()
    if len(rows) != 1:
        raise InvalidInput(_("Choose the warehouse to dispense from"), field="warehouse_code")
    return rows[0]


async def _dispensing_of(session: AsyncSession, reference: str) -> Dispensing | None:
    """The dispensing of a reference from any warehouse: a prescription is given out once, wherever."""
    row: Dispensing | None = await session.scalar(
        select(Dispensing).where(Dispensing.reference == reference).order_by(Dispensing.id).limit(1)
    )
    return row


def _plan_preview(prescription: PrescriptionOut, lots: Sequence[Lot], day: date) -> list[PrescriptionLineStockOut]:
    """What FEFO would take for every line now, from an unlocked read: a preview that `dispense` re-checks."""
    available = {lot.id: lot.quantity_on_hand for lot in lots}
    by_id = {lot.id: lot for lot in lots}
    out: list[PrescriptionLineStockOut] = []
    for line in prescription.lines:
        stock = [
            LotStock(lot.id, lot.expiry_date, available[lot.id]) for lot in lots if lot.drug_code == line.drug_code
        ]
        result = allocate_fefo(stock, line.quantity, day)
        planned: list[PlannedLotOut] = []
        if isinstance(result, Insufficient):
            usable, shortfall = result.usable, result.shortfall
        else:
            usable, shortfall = sum(item.available for item in stock if not is_expired(item.expiry_date, day)), 0
            for allocation in result:
                available[allocation.lot_id] -= allocation.quantity
                lot = by_id[allocation.lot_id]
                planned.append(PlannedLotOut(lot.id, lot.lot_number, lot.expiry_date, allocation.quantity))
        out.append(
            PrescriptionLineStockOut(
                line.position,
                line.drug_code,
                line.drug_name,
                line.unit,
                line.usage,
                line.days,
                line.quantity,
                usable,
                shortfall,
                planned,
            )
        )
    return out


async def prescription_to_dispense(
    session: AsyncSession, *, code: str, warehouse_code: str | None, as_of: date
) -> PrescriptionToDispenseOut:
    """The prescription with the stock of the warehouse per line and the lots FEFO would use on `as_of`,
    and why it cannot be dispensed, if it cannot."""
    prescription = await _prescription(session, code)
    warehouse = await _prescription_warehouse(session, warehouse_code)
    dispensed = await _dispensing_of(session, prescription.code)
    codes = {line.drug_code for line in prescription.lines}
    lots = (
        await session.scalars(
            select(Lot).where(Lot.warehouse_id == warehouse.id, Lot.drug_code.in_(codes)).order_by(Lot.id)
        )
    ).all()
    lines = _plan_preview(prescription, lots, as_of)
    until = collect_until(vietnam_day(prescription.issued_at))
    blocked: str | None = None
    if prescription.status != "issued":
        blocked = "cancelled"
    elif dispensed is not None:
        blocked = "dispensed"
    elif as_of > until:
        blocked = "collection_over"
    elif any(line.shortfall for line in lines):
        blocked = "insufficient_stock"
    return PrescriptionToDispenseOut(
        code=prescription.code,
        status=prescription.status,
        issued_at=prescription.issued_at,
        collect_until=until,
        patient_id=prescription.patient_id,
        patient_code=prescription.patient_code,
        patient_name=prescription.patient_name,
        patient_sex=prescription.patient_sex,
        birth_year=prescription.birth_year,
        doctor_name=prescription.doctor_name,
        diagnosis_text=prescription.diagnosis_text,
        cancelled_reason=prescription.cancelled_reason,
        warehouse_code=warehouse.code,
        as_of=as_of,
        lines=lines,
        dispensing=None if dispensed is None else await _load_dispensing(session, dispensed),
        blocked=blocked,
    )


async def dispense_prescription(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, code: str, warehouse_code: str | None
) -> DispensingOut:
    """Dispenses every line of an issued outpatient prescription, FEFO, with its code as the reference and its
    patient on the record and in the audit trail. Conflict (409) when it was cancelled, is past its collection
    period, was dispensed already (from any warehouse) or a line lacks stock; nothing is taken then."""
    day = today(clock)
    prescription = await _prescription(session, code)
    warehouse = await _prescription_warehouse(session, warehouse_code)
    if prescription.status != "issued":
        raise Conflict(MSG_CANCELLED, code=prescription.code, reason=prescription.cancelled_reason or "–")
    until = collect_until(vietnam_day(prescription.issued_at))
    if day > until:
        raise Conflict(MSG_COLLECTION_OVER, code=prescription.code, date=until.isoformat())
    dispensed = await _dispensing_of(session, prescription.code)
    if dispensed is not None:
        other = await session.get_one(Warehouse, dispensed.warehouse_id)
        raise Conflict(MSG_DISPENSED, reference=prescription.code, warehouse=other.code)
    lines = [DispenseLineIn(line.drug_code, line.quantity) for line in prescription.lines]
    data = DispenseIn(warehouse.code, prescription.code, lines, patient_id=prescription.patient_id)
    return await dispense(session, clock, actor, data)


def _dispensing_out(
    dispensing: Dispensing, warehouse_code: str, lines: Sequence[DispensingLine], lots: dict[int, Lot]
) -> DispensingOut:
    return DispensingOut(
        dispensing.id,
        warehouse_code,
        dispensing.reference,
        dispensing.patient_id,
        dispensing.dispensed_by,
        dispensing.dispensed_at,
        [
            DispensingLineOut(
                line.id,
                line.request_line,
                line.drug_code,
                line.lot_id,
                lots[line.lot_id].lot_number,
                lots[line.lot_id].expiry_date,
                line.quantity,
                line.returned_quantity,
            )
            for line in sorted(lines, key=lambda item: item.id)
        ],
    )


async def _load_dispensing(session: AsyncSession, dispensing: Dispensing) -> DispensingOut:
    warehouse = await session.get_one(Warehouse, dispensing.warehouse_id)
    lines = (
        await session.scalars(
            select(DispensingLine)
            .where(DispensingLine.dispensing_id == dispensing.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    lot_ids = {line.lot_id for line in lines}
    lots = {lot.id: lot for lot in (await session.scalars(select(Lot).where(Lot.id.in_(lot_ids)))).all()}
    return _dispensing_out(dispensing, warehouse.code, lines, lots)


async def get_dispensing(session: AsyncSession, *, dispensing_id: int) -> DispensingOut:
    dispensing = await session.get(Dispensing, dispensing_id)
    if dispensing is None:
        raise NotFound(_("There is no dispensing {id}"), id=dispensing_id)
    return await _load_dispensing(session, dispensing)


async def find_dispensing(session: AsyncSession, *, warehouse_code: str, reference: str) -> DispensingOut | None:
    warehouse = await _warehouse(session, warehouse_code)
    dispensing = await session.scalar(
        select(Dispensing).where(Dispensing.warehouse_id == warehouse.id, Dispensing.reference == reference.strip())
    )
    return None if dispensing is None else await _load_dispensing(session, dispensing)


async def return_dispensed(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, dispensing_id: int, data: ReturnIn
) -> DispensingOut:
    """Puts returned quantities back on the lots they were dispensed from (an expired lot stays unusable)."""
    now = clock.now()
    dispensing = await session.get(Dispensing, dispensing_id)
    if dispensing is None:
        raise NotFound(_("There is no dispensing {id}"), id=dispensing_id)
    _lines_present(len(data.lines))
    reason = data.reason.strip()[:500] or None
    own = {
        line.id: line
        for line in (
            await session.scalars(select(DispensingLine).where(DispensingLine.dispensing_id == dispensing.id))
        ).all()
    }
    wanted: dict[int, int] = defaultdict(int)
    for index, item in enumerate(data.lines):
        if item.line_id not in own:
            raise InvalidInput(
                _("Line {line} is not part of this dispensing"), field=f"lines[{index}].line_id", line=item.line_id
            )
        wanted[item.line_id] += _quantity(item.quantity, f"lines[{index}].quantity")
    # Lock order: dispensing lines by id, then lots by id (see the module docstring).
    for line_id in sorted(wanted):
        quantity = wanted[line_id]
        result = await session.execute(
            update(DispensingLine)
            .where(DispensingLine.id == line_id, DispensingLine.returned_quantity + quantity <= DispensingLine.quantity)
            .values(returned_quantity=DispensingLine.returned_quantity + quantity)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            line = own[line_id]
            raise Conflict(
                _("Line {line} gave out {quantity}, of which {returned} came back already; {asked} more cannot"),
                line=line_id,
                quantity=line.quantity,
                returned=line.returned_quantity,
                asked=quantity,
            )
    back: dict[int, int] = defaultdict(int)
    for line_id, quantity in wanted.items():
        back[own[line_id].lot_id] += quantity
    for lot_id in sorted(back):
        await session.execute(
            update(Lot)
            .where(Lot.id == lot_id)
            .values(quantity_on_hand=Lot.quantity_on_hand + back[lot_id])
            .execution_options(synchronize_session=False)
        )
        session.add(
            Movement(
                lot_id=lot_id,
                delta=back[lot_id],
                kind="return",
                reference=dispensing.reference,
                reason=reason,
                at=now,
                by=_by(actor),
            )
        )
    await session.flush()
    out = await _load_dispensing(session, dispensing)
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="pharmacy.return",
            object_type="dispensing",
            object_id=str(dispensing.id),
            patient_id=str(dispensing.patient_id) if dispensing.patient_id is not None else None,
            detail=(", ".join(f"line {k} +{v}" for k, v in sorted(wanted.items())) + (f"; {reason}" if reason else ""))[
                :1500
            ],
        ),
    )
    return out


# ---------------------------------------------------------------- adjustment


async def adjust(session: AsyncSession, clock: Clock, actor: AuditActor, data: AdjustmentIn) -> LotOut:
    """A counted correction of one lot (breakage, stocktaking), with its reason; never below zero."""
    now = clock.now()
    reason = _text(data.reason, "reason", 500)
    if data.delta == 0:
        raise InvalidInput(_("The change must not be 0"), field="delta")
    if abs(data.delta) > MAX_QUANTITY:
        raise InvalidInput(_("The quantity must not exceed {max}"), field="delta", max=MAX_QUANTITY)
    lot = await session.scalar(
        select(Lot).where(Lot.id == data.lot_id).with_for_update().execution_options(populate_existing=True)
    )
    if lot is None:
        raise InvalidInput(_("There is no lot {id}"), field="lot_id", id=data.lot_id)
    result = await session.execute(
        update(Lot)
        .where(Lot.id == lot.id, Lot.quantity_on_hand + data.delta >= 0)
        .values(quantity_on_hand=Lot.quantity_on_hand + data.delta)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        raise Conflict(
            _("Lot {lot} holds {on_hand}; it cannot lose {quantity}"),
            lot=lot.lot_number,
            on_hand=lot.quantity_on_hand,
            quantity=-data.delta,
        )
    session.add(
        Movement(
            lot_id=lot.id,
            delta=data.delta,
            kind="adjust",
            reference=f"lot {lot.id}",
            reason=reason,
            at=now,
            by=_by(actor),
        )
    )
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action="pharmacy.adjust",
            object_type="lot",
            object_id=str(lot.id),
            detail=f"{lot.drug_code} {lot.lot_number} {data.delta:+d}: {reason}"[:1500],
        ),
    )
    await session.refresh(lot)
    warehouse = await session.get_one(Warehouse, lot.warehouse_id)
    return _lot_out(lot, warehouse.code, vietnam_day(now))


# ---------------------------------------------------------------- stock queries


def _lot_out(lot: Lot, warehouse_code: str, as_of: date) -> LotOut:
    return LotOut(
        lot.id,
        warehouse_code,
        lot.drug_code,
        lot.lot_number,
        lot.expiry_date,
        lot.unit_cost,
        lot.quantity_on_hand,
        lot.received_at,
        is_expired(lot.expiry_date, as_of),
    )


async def _lots(session: AsyncSession, query: Select[Lot, str], as_of: date) -> list[LotOut]:
    rows = (await session.execute(query)).all()
    return [_lot_out(lot, code, as_of) for lot, code in rows]


def _lots_with_warehouse() -> Select[Lot, str]:
    return (
        select(Lot, Warehouse.code).join(Warehouse, Warehouse.id == Lot.warehouse_id).order_by(Lot.expiry_date, Lot.id)
    )


async def stock_of(session: AsyncSession, *, drug_code: str, warehouse_code: str | None, as_of: date) -> StockOut:
    """Every lot of the drug (empty ones too), first expiry first, with totals."""
    query = _lots_with_warehouse().where(Lot.drug_code == drug_code)
    if warehouse_code is not None:
        query = query.where(Lot.warehouse_id == (await _warehouse(session, warehouse_code)).id)
    lots = await _lots(session, query, as_of)
    on_hand = sum(lot.quantity_on_hand for lot in lots)
    usable = sum(lot.quantity_on_hand for lot in lots if not lot.expired)
    return StockOut(drug_code, warehouse_code, as_of, on_hand, usable, lots)


async def totals(
    session: AsyncSession, *, drug_codes: Sequence[str] | None, warehouse_code: str | None, as_of: date
) -> list[DrugTotalOut]:
    """Per drug: stock on hand, usable on `as_of`, lots holding stock, earliest usable expiry. Drugs with lots only."""
    usable = Lot.expiry_date >= as_of
    query = (
        select(
            Lot.drug_code,
            func.sum(Lot.quantity_on_hand),
            func.sum(case((usable, Lot.quantity_on_hand), else_=0)),
            func.count(case((Lot.quantity_on_hand > 0, Lot.id))),
            func.min(case(((Lot.quantity_on_hand > 0) & usable, Lot.expiry_date))),
        )
        .group_by(Lot.drug_code)
        .order_by(Lot.drug_code)
    )
    if drug_codes is not None:
        query = query.where(Lot.drug_code.in_(drug_codes))
    if warehouse_code is not None:
        query = query.where(Lot.warehouse_id == (await _warehouse(session, warehouse_code)).id)
    rows = (await session.execute(query)).all()
    return [
        DrugTotalOut(code, int(on_hand or 0), int(ok or 0), int(count), earliest)
        for code, on_hand, ok, count, earliest in rows
    ]


async def expiring(
    session: AsyncSession, *, within_days: int, as_of: date, warehouse_code: str | None = None, limit: int = 200
) -> list[LotOut]:
    """Lots holding stock that expire within `within_days` of `as_of`, already expired ones first."""
    if not 0 <= within_days <= MAX_EXPIRING_DAYS:
        raise InvalidInput(_("Between 0 and {max} days"), field="days", max=MAX_EXPIRING_DAYS)
    query = _lots_with_warehouse().where(
        Lot.quantity_on_hand > 0, Lot.expiry_date <= as_of + timedelta(days=within_days)
    )
    if warehouse_code is not None:
        query = query.where(Lot.warehouse_id == (await _warehouse(session, warehouse_code)).id)
    return await _lots(session, query.limit(limit), as_of)
