"""Use cases of the orders module: the only code that writes its tables.

Every change is audited in the caller's transaction, kept in the order's history, numbered in the change feed
(what the doctors' live pages poll) and, for the facts other systems need, published to the kernel's outbox.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import api as billing
from his.billing.schemas import ChargeIn
from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor, AuditEntry
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.events import publish
from his.kernel.i18n import lazy as _
from his.kernel.runtime import Kernel
from his.orders import rules
from his.orders.events import OrderCancelled, OrderPlaced, ResultFinal, ResultValue
from his.orders.models import Analyte, Attachment, Change, Order, Panel, PanelItem, Result, StatusChange
from his.orders.schemas import DefinitionsIn, PlaceIn, ResultsIn
from his.outpatient import api as outpatient
from his.patients import api as patients
from his.reception import api as reception

# Held to commit while a change gets its number (PostgreSQL), so the feed's ids grow in commit order.
_FEED_LOCK_KEY = 0x4F7264657273  # "Orders"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "text/plain": ".txt",
}


@dataclass(frozen=True, slots=True)
class Staff:
    """Who acts, as the history shows them."""

    username: str
    full_name: str


@dataclass(frozen=True, slots=True)
class _Wanted:
    service_code: str
    priority: str
    panel_code: str | None
    panel_specimen: str


@dataclass(frozen=True, slots=True)
class _Context:
    context_type: str
    context_id: int
    visit_code: str | None
    patient_id: int
    patient_code: str
    patient_name: str


# ---------------------------------------------------------------- reading


async def get_order_row(session: AsyncSession, order_id: int, *, lock: bool = False) -> Order:
    row = await session.get(Order, order_id, with_for_update=lock)
    if row is None:
        raise NotFound(_("No order {id}"), id=order_id)
    return row


async def find_order_by_code(session: AsyncSession, code: str) -> Order | None:
    found: Order | None = await session.scalar(select(Order).where(Order.code == code.strip().upper()))
    return found


async def results_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[Result]]:
    found: dict[int, list[Result]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = await session.scalars(
            select(Result).where(Result.order_id.in_(order_ids)).order_by(Result.order_id, Result.position)
        )
        for row in rows:
            found[row.order_id].append(row)
    return found


async def history_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[StatusChange]]:
    found: dict[int, list[StatusChange]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = await session.scalars(
            select(StatusChange).where(StatusChange.order_id.in_(order_ids)).order_by(StatusChange.id)
        )
        for row in rows:
            found[row.order_id].append(row)
    return found


async def attachments_of(session: AsyncSession, order_ids: Sequence[int]) -> dict[int, list[Attachment]]:
    found: dict[int, list[Attachment]] = {order_id: [] for order_id in order_ids}
    if order_ids:
        rows = await session.scalars(
            select(Attachment).where(Attachment.order_id.in_(order_ids)).order_by(Attachment.id)
        )
        for row in rows:
            found[row.order_id].append(row)
    return found


async def orders_of_context(session: AsyncSession, context_type: str, context_id: int) -> list[Order]:
    rows = await session.scalars(
        select(Order).where(Order.context_type == context_type, Order.context_id == context_id).order_by(Order.id)
    )
    return list(rows)


async def orders_of_patient(session: AsyncSession, patient_id: int) -> list[Order]:
    rows = await session.scalars(select(Order).where(Order.patient_id == patient_id).order_by(Order.id.desc()))
    return list(rows)


async def worklist_rows(
    session: AsyncSession,
    *,
    category: str,
    statuses: Sequence[str],
    priority: str | None = None,
    ordered_from: datetime | None = None,
    ordered_to: datetime | None = None,
    term: str | None = None,
    limit: int = 200,
) -> list[Order]:
    """A performing department's orders: stat first, then urgent, then routine, oldest first in each."""
    query = select(Order).where(Order.category == category, Order.status.in_(list(statuses)))
    if priority:
        query = query.where(Order.priority == priority)
    if ordered_from is not None:
        query = query.where(Order.ordered_at >= ordered_from)
    if ordered_to is not None:
        query = query.where(Order.ordered_at < ordered_to)
    if term:
        wanted = term.strip().upper()
        query = query.where(or_(Order.code == wanted, Order.patient_code == wanted, Order.visit_code == wanted))
    rows = list(await session.scalars(query.order_by(Order.ordered_at, Order.id).limit(limit)))
    return sorted(rows, key=lambda row: (rules.priority_rank(row.priority), row.ordered_at, row.id))


async def doctor_rows(
    session: AsyncSession, username: str, *, unacknowledged_only: bool, limit: int = 100
) -> list[Order]:
    """The orders a doctor placed that have results: the unacknowledged first, newest first."""
    query = select(Order).where(Order.ordered_by == username, Order.status.in_(rules.WITH_RESULTS))
    if unacknowledged_only:
        query = query.where(Order.acknowledged_at.is_(None))
    rows = list(await session.scalars(query.order_by(Order.resulted_at.desc(), Order.id.desc()).limit(limit)))
    return sorted(rows, key=lambda row: row.acknowledged_at is not None)


async def changes_after(
    session: AsyncSession, after: int, *, ordered_by: str | None = None, limit: int = 100
) -> list[Change]:
    query = select(Change).where(Change.id > after)
    if ordered_by is not None:
        query = query.where(Change.ordered_by == ordered_by)
    return list(await session.scalars(query.order_by(Change.id).limit(limit)))


async def latest_change_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Change.id), 0))) or 0)


async def panel_rows(session: AsyncSession) -> list[tuple[Panel, list[str]]]:
    panels = list(await session.scalars(select(Panel).where(Panel.active.is_(True)).order_by(Panel.name)))
    items = await session.scalars(select(PanelItem).order_by(PanelItem.panel_id, PanelItem.position))
    codes: dict[int, list[str]] = {panel.id: [] for panel in panels}
    for item in items:
        if item.panel_id in codes:
            codes[item.panel_id].append(item.service_code)
    return [(panel, codes[panel.id]) for panel in panels]


async def analytes_of(session: AsyncSession, service_code: str) -> list[Analyte]:
    rows = await session.scalars(select(Analyte).where(Analyte.service_code == service_code).order_by(Analyte.position))
    return list(rows)


# ---------------------------------------------------------------- definitions


async def load_definitions(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, data: DefinitionsIn
) -> tuple[int, int]:
    """Creates or replaces order sets (by code) and analytes (by service and code); returns the counts."""
    for panel_in in data.panels:
        if not panel_in.services:
            raise InvalidInput(_("Order set {code} lists no service"), field="panels", code=panel_in.code)
        panel = await session.scalar(select(Panel).where(Panel.code == panel_in.code))
        if panel is None:
            panel = Panel(code=panel_in.code, name=panel_in.name, specimen=panel_in.specimen, active=True)
            session.add(panel)
            await session.flush()
        else:
            panel.name, panel.specimen, panel.active = panel_in.name, panel_in.specimen, True
            await session.execute(delete(PanelItem).where(PanelItem.panel_id == panel.id))
        for position, code in enumerate(dict.fromkeys(panel_in.services)):
            session.add(PanelItem(panel_id=panel.id, position=position, service_code=code))
    positions: dict[str, int] = {}
    for analyte_in in data.analytes:
        reference = rules.Reference(
            analyte_in.ref_low, analyte_in.ref_high, analyte_in.critical_low, analyte_in.critical_high
        )
        if not reference.is_consistent():
            raise InvalidInput(rules.MSG_RANGE, field=f"analytes.{analyte_in.service_code}.{analyte_in.code}")
        position = positions.get(analyte_in.service_code, 0)
        positions[analyte_in.service_code] = position + 1
        row = await session.scalar(
            select(Analyte).where(Analyte.service_code == analyte_in.service_code, Analyte.code == analyte_in.code)
        )
        if row is None:
            row = Analyte(service_code=analyte_in.service_code, code=analyte_in.code)
            session.add(row)
        row.position, row.name, row.unit = position, analyte_in.name, analyte_in.unit
        row.ref_low, row.ref_high = analyte_in.ref_low, analyte_in.ref_high
        row.critical_low, row.critical_high = analyte_in.critical_low, analyte_in.critical_high
    await session.flush()
    await kernel.audit(
        actor,
        AuditEntry(
            action="orders.definitions.load",
            object_type="orders_definitions",
            detail=f"{len(data.panels)} order sets, {len(data.analytes)} analytes",
        ),
        session,
    )
    return len(data.panels), len(data.analytes)


# ---------------------------------------------------------------- helpers


async def _audit(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, action: str, order: Order, detail: str
) -> None:
    await kernel.audit(
        actor,
        AuditEntry(
            action=action,
            object_type="orders_order",
            object_id=str(order.id),
            patient_id=str(order.patient_id),
            detail=detail[:400],
        ),
        session,
    )


async def _feed(session: AsyncSession, order: Order, kind: str, at: datetime) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK_KEY})
    session.add(Change(order_id=order.id, patient_id=order.patient_id, ordered_by=order.ordered_by, kind=kind, at=at))
    await session.flush()


async def _move(
    session: AsyncSession, order: Order, target: str, staff: Staff, at: datetime, reason: str | None = None
) -> None:
    """One step of the lifecycle, kept as history and announced on the feed."""
    if not rules.can_move(order.status, target):
        raise Conflict(rules.MSG_TRANSITION, current=order.status, target=target)
    session.add(
        StatusChange(
            order_id=order.id,
            from_status=order.status,
            to_status=target,
            at=at,
            by_username=staff.username,
            by_name=staff.full_name,
            reason=reason,
        )
    )
    order.status = target
    order.updated_at = at
    await _feed(session, order, target, at)


# ---------------------------------------------------------------- placing


async def _context(session: AsyncSession, data: PlaceIn, *, during_exam: bool) -> _Context:
    if data.context_type == "outpatient":
        visit = await reception.get_visit(session, visit_id=data.context_id)
        if visit.status == "cancelled":
            raise Conflict(_("Visit {code} was cancelled: nothing can be ordered for it"), code=visit.code)
        encounter = await outpatient.find_encounter(session, visit_id=visit.id)
        if during_exam and (encounter is None or encounter.status != "open"):
            raise Conflict(_("Orders are placed during an open examination"))
        return _Context("outpatient", visit.id, visit.code, visit.patient_id, visit.patient_code, visit.patient_name)
    if data.patient_id is None:
        raise InvalidInput(_("An inpatient order names its patient"), field="patient_id")
    patient = await patients.get_patient(session, patient_id=data.patient_id)
    return _Context("inpatient", data.context_id, data.visit_code, patient.id, patient.code, patient.full_name)


async def _wanted(session: AsyncSession, data: PlaceIn) -> list[_Wanted]:
    wanted: dict[str, _Wanted] = {}
    panels = {panel.code: (panel, codes) for panel, codes in await panel_rows(session)}
    for code in data.panels:
        if code not in panels:
            raise InvalidInput(_("No order set {code}"), field="panels", code=code)
        panel, codes = panels[code]
        for service_code in codes:
            wanted.setdefault(service_code, _Wanted(service_code, data.priority, panel.code, panel.specimen))
    for item in data.items:
        code = item.service_code.strip()
        wanted.setdefault(code, _Wanted(code, item.priority or data.priority, None, ""))
    if not wanted:
        raise InvalidInput(_("Choose at least one service or order set"), field="items")
    return list(wanted.values())


async def _check_repeats(
    kernel: Kernel, session: AsyncSession, patient_id: int, wanted: list[_Wanted], reason: str, now: datetime
) -> str:
    """Refuses a test or procedure the patient had ordered within the repeat window (order conflicts), unless a
    reason is given; answers the note that records the reason on the new orders."""
    hours = kernel.settings.orders.repeat_window_hours
    window = timedelta(hours=hours)
    codes = [w.service_code for w in wanted]
    rows = await session.scalars(
        select(Order).where(
            Order.patient_id == patient_id,
            Order.service_code.in_(codes),
            Order.status != "cancelled",
            Order.ordered_at >= now - window,
        )
    )
    earlier = [rules.EarlierOrder(r.code or "", r.service_code, r.service_name, r.ordered_at) for r in rows]
    repeats = rules.recent_repeats(earlier, codes, now=now, window=window)
    if not repeats:
        return ""
    if not reason.strip():
        _code, first = repeats[0]
        raise Conflict(
            rules.MSG_REPEAT,
            service=first.service_name,
            when=first.ordered_at.astimezone(vietnam_zone()).strftime("%H:%M %d/%m/%Y"),
            code=first.code,
            hours=hours,
        )
    return f" [{', '.join(code for code, _ in repeats)}: {reason.strip()}]"


async def place_orders(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    staff: Staff,
    data: PlaceIn,
    *,
    during_exam: bool = True,
    charge: bool = True,
) -> list[Order]:
    """Places one order per service (order sets expanded, a service ordered once), charges each to the visit's
    account (outpatient) and publishes OrderPlaced for each. `during_exam=False, charge=False` only for the demo's
    history (past visits whose accounts are settled)."""
    context = await _context(session, data, during_exam=during_exam)
    now = kernel.clock.now()
    day = local_date(now)
    wanted_services = await _wanted(session, data)
    repeat_note = await _check_repeats(kernel, session, context.patient_id, wanted_services, data.repeat_reason, now)
    placed: list[Order] = []
    for wanted in wanted_services:
        entry = await catalogs.get_service(session, code=wanted.service_code, as_of=day)
        if entry is None:
            raise InvalidInput(_("No service {code} in force"), field="items", code=wanted.service_code)
        category = rules.category_of_group(entry.group)
        if category is None:
            raise InvalidInput(rules.MSG_NOT_ORDERABLE, field="items", code=entry.code, group=entry.group)
        order = Order(
            context_type=context.context_type,
            context_id=context.context_id,
            visit_code=context.visit_code,
            patient_id=context.patient_id,
            patient_code=context.patient_code,
            patient_name=context.patient_name,
            service_code=entry.code,
            service_name=entry.name,
            category=category,
            panel_code=wanted.panel_code,
            priority=wanted.priority,
            specimen=wanted.panel_specimen or rules.specimen_for(category, entry.name),
            clinical_note=(data.clinical_note.strip() + repeat_note)[:500],
            status="placed",
            ordered_by=staff.username,
            ordered_by_name=staff.full_name,
            ordered_at=now,
            updated_at=now,
            hospital_price=entry.hospital_price,
            bhyt_price=entry.bhyt_price,
        )
        session.add(order)
        await session.flush()
        order.code = rules.order_code(order.id)
        session.add(
            StatusChange(
                order_id=order.id, to_status="placed", at=now, by_username=staff.username, by_name=staff.full_name
            )
        )
        await _feed(session, order, "placed", now)
        placed.append(order)
    if charge:
        await _charge(kernel, session, actor, placed)
    for order in placed:
        await publish(session, _placed_event(order), at=now)
        await _audit(
            kernel, session, actor, "orders.place", order, f"{order.code} {order.service_code} {order.priority}"
        )
    return placed


async def _charge(kernel: Kernel, session: AsyncSession, actor: AuditActor, orders: list[Order]) -> None:
    """Posts each outpatient order's service to the visit's account (opened from the visit when missing).
    Inpatient orders are charged by the stay's billing from OrderPlaced (they carry charged=False)."""
    outpatient_orders = [o for o in orders if o.context_type == "outpatient" and o.visit_code]
    if not outpatient_orders:
        return
    visit_code = outpatient_orders[0].visit_code
    assert visit_code is not None
    await billing.sync_visit(session, kernel=kernel, actor=actor, visit_code=visit_code)
    for order in outpatient_orders:
        charge = await billing.post_charge(
            session,
            kernel=kernel,
            actor=actor,
            encounter_ref=visit_code,
            charge=ChargeIn(
                source_kind="service",
                code=order.service_code,
                name=order.service_name,
                quantity=Decimal(1),
                unit_price_hospital=order.hospital_price,
                unit_price_bhyt=order.bhyt_price,
                in_bhyt_list=order.bhyt_price is not None,
                service_date=local_date(order.ordered_at),
                source_ref=f"order:{order.id}",
            ),
        )
        order.charge_id = charge.id


def _placed_event(order: Order) -> OrderPlaced:
    assert order.code is not None
    return OrderPlaced(
        order_id=order.id,
        order_code=order.code,
        context_type=order.context_type,
        context_id=order.context_id,
        visit_code=order.visit_code,
        patient_id=order.patient_id,
        patient_code=order.patient_code,
        service_code=order.service_code,
        service_name=order.service_name,
        category=order.category,
        priority=order.priority,
        specimen=order.specimen,
        hospital_price=order.hospital_price,
        bhyt_price=order.bhyt_price,
        ordered_by=order.ordered_by,
        ordered_at=order.ordered_at,
        charged=order.charge_id is not None,
    )


# ---------------------------------------------------------------- the performing department


async def advance(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, staff: Staff, order_id: int, target: str
) -> Order:
    """Accept (the department takes the order, the specimen arrived) or start the work."""
    if target not in ("accepted", "in_progress"):
        raise InvalidInput(_("Unknown step {value}"), field="status", value=target)
    order = await get_order_row(session, order_id, lock=True)
    await _move(session, order, target, staff, kernel.clock.now())
    await _audit(kernel, session, actor, f"orders.{target}", order, order.code or "")
    return order


async def cancel(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, staff: Staff, order_id: int, reason: str
) -> Order:
    if not rules.valid_reason(reason):
        raise InvalidInput(rules.MSG_REASON, field="reason")
    order = await get_order_row(session, order_id, lock=True)
    now = kernel.clock.now()
    await _move(session, order, "cancelled", staff, now, reason.strip())
    order.cancelled_reason = reason.strip()
    if order.charge_id is not None:
        await billing.cancel_charge(
            session, kernel=kernel, actor=actor, charge_id=order.charge_id, reason=f"{order.code}: {reason.strip()}"
        )
    assert order.code is not None
    await publish(
        session,
        OrderCancelled(
            order_id=order.id,
            order_code=order.code,
            patient_id=order.patient_id,
            visit_code=order.visit_code,
            service_code=order.service_code,
            reason=order.cancelled_reason,
            cancelled_by=staff.username,
            cancelled_at=now,
        ),
        at=now,
    )
    await _audit(kernel, session, actor, "orders.cancel", order, f"{order.code}: {order.cancelled_reason}")
    return order


def _limits(item_value: Decimal | None, default: Decimal | None) -> Decimal | None:
    return item_value if item_value is not None else default


async def record_results(
    kernel: Kernel, session: AsyncSession, actor: AuditActor, staff: Staff, order_id: int, data: ResultsIn
) -> Order:
    """Enters (or corrects, until verified) the order's results; flags each number by its reference range."""
    order = await get_order_row(session, order_id, lock=True)
    if not rules.can_move(order.status, "resulted"):
        raise Conflict(rules.MSG_TRANSITION, current=order.status, target="resulted")
    if not data.items and not data.report.strip():
        raise InvalidInput(_("Enter at least one result or a report"), field="items")
    now = kernel.clock.now()
    definitions = {a.code: a for a in await analytes_of(session, order.service_code)}
    await session.execute(delete(Result).where(Result.order_id == order.id))
    for position, item in enumerate(data.items):
        row = Result(
            order_id=order.id,
            position=position,
            code=item.code.strip(),
            name=item.name.strip(),
            kind=item.kind,
            entered_by=staff.username,
            entered_at=now,
        )
        if item.kind == "text":
            if not item.value.strip():
                raise InvalidInput(_("The result is empty"), field=f"items[{position}].value")
            row.value_text = item.value.strip()
        else:
            try:
                value = rules.parse_number(item.value)
            except ValueError:
                raise InvalidInput(rules.MSG_NUMBER, field=f"items[{position}].value", value=item.value[:20]) from None
            if value is None:
                raise InvalidInput(_("The result is empty"), field=f"items[{position}].value")
            known = definitions.get(row.code)
            reference = rules.Reference(
                _limits(item.ref_low, known.ref_low if known else None),
                _limits(item.ref_high, known.ref_high if known else None),
                _limits(item.critical_low, known.critical_low if known else None),
                _limits(item.critical_high, known.critical_high if known else None),
            )
            if not reference.is_consistent():
                raise InvalidInput(rules.MSG_RANGE, field=f"items[{position}].ref_low")
            row.value_numeric = value
            row.unit = item.unit.strip() or (known.unit if known else "")
            row.ref_low, row.ref_high = reference.low, reference.high
            row.critical_low, row.critical_high = reference.critical_low, reference.critical_high
            row.flag = rules.abnormal_flag(value, reference)
        session.add(row)
    order.report = data.report.strip()
    order.resulted_at, order.resulted_by = now, staff.username
    # New or corrected results need the doctor's eyes again.
    order.acknowledged_at = order.acknowledged_by = None
    await _move(session, order, "resulted", staff, now)
    flags = [item for item in data.items if item.kind == "numeric"]
    await _audit(
        kernel, session, actor, "orders.result", order, f"{order.code}: {len(data.items)} lines, {len(flags)} numeric"
    )
    return order


def _result_value(row: Result) -> ResultValue:
    reference = rules.Reference(row.ref_low, row.ref_high, row.critical_low, row.critical_high)
    value = (
        row.value_text
        if row.kind == "text"
        else format(row.value_numeric.normalize(), "f")
        if row.value_numeric is not None
        else ""
    )
    return ResultValue(
        code=row.code,
        name=row.name,
        kind=row.kind,
        value=value,
        unit=row.unit,
        reference_range=reference.text(),
        flag=row.flag,
    )


async def verify(kernel: Kernel, session: AsyncSession, actor: AuditActor, staff: Staff, order_id: int) -> Order:
    """The results become final: ResultFinal leaves through the outbox."""
    order = await get_order_row(session, order_id, lock=True)
    now = kernel.clock.now()
    await _move(session, order, "verified", staff, now)
    order.verified_at, order.verified_by = now, staff.username
    results = (await results_of(session, [order.id]))[order.id]
    attachments = (await attachments_of(session, [order.id]))[order.id]
    assert order.code is not None
    await publish(
        session,
        ResultFinal(
            order_id=order.id,
            order_code=order.code,
            patient_id=order.patient_id,
            visit_code=order.visit_code,
            service_code=order.service_code,
            category=order.category,
            ordered_by=order.ordered_by,
            verified_by=staff.username,
            verified_at=now,
            results=[_result_value(row) for row in results],
            report=order.report,
            attachments=len(attachments),
        ),
        at=now,
    )
    await _audit(kernel, session, actor, "orders.verify", order, order.code)
    return order


async def acknowledge(kernel: Kernel, session: AsyncSession, actor: AuditActor, staff: Staff, order_id: int) -> Order:
    """The doctor saw the results. A second acknowledgement changes nothing."""
    order = await get_order_row(session, order_id, lock=True)
    if order.status not in rules.WITH_RESULTS:
        raise Conflict(_("Order {code} has no results to acknowledge yet"), code=order.code)
    if order.acknowledged_at is not None:
        return order
    now = kernel.clock.now()
    order.acknowledged_at, order.acknowledged_by = now, staff.username
    order.updated_at = now
    await _feed(session, order, "acknowledged", now)
    await _audit(kernel, session, actor, "orders.acknowledge", order, order.code or "")
    return order


# ---------------------------------------------------------------- attachments


def attachments_dir(kernel: Kernel) -> Path:
    return kernel.settings.data_dir / "orders"


def attachment_path(kernel: Kernel, row: Attachment) -> Path:
    return attachments_dir(kernel) / row.stored_name


_SAFE_NAME = re.compile(r"[^\w.\- ]+", re.UNICODE)


async def add_attachment(
    kernel: Kernel,
    session: AsyncSession,
    actor: AuditActor,
    staff: Staff,
    order_id: int,
    *,
    file_name: str,
    content_type: str,
    content: bytes,
) -> Attachment:
    """Stores the file under <data dir>/orders/<order id>/ and records it (a PDF, PNG, JPEG or text file)."""
    order = await get_order_row(session, order_id, lock=True)
    if order.status not in ("accepted", "in_progress", "resulted"):
        raise Conflict(_("Files are attached while the order is worked on, before it is verified"))
    kind = content_type.split(";")[0].strip().lower()
    if kind not in ATTACHMENT_TYPES:
        raise InvalidInput(_("Attach a PDF, PNG, JPEG or text file"), field="file")
    if not content:
        raise InvalidInput(_("The file is empty"), field="file")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InvalidInput(_("The file is larger than {megabytes} MB"), field="file", megabytes=10)
    shown = (_SAFE_NAME.sub("_", Path(file_name).name).strip() or "file")[:150]
    stored = f"{order.id}/{uuid.uuid4().hex}{ATTACHMENT_TYPES[kind]}"
    target = attachments_dir(kernel) / stored
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    row = Attachment(
        order_id=order.id,
        file_name=shown,
        content_type=kind,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_name=stored,
        uploaded_by=staff.username,
        uploaded_at=kernel.clock.now(),
    )
    session.add(row)
    await session.flush()
    await _audit(kernel, session, actor, "orders.attach", order, f"{order.code}: {shown} ({len(content)} bytes)")
    return row


async def get_attachment_row(session: AsyncSession, order_id: int, attachment_id: int) -> Attachment:
    row = await session.get(Attachment, attachment_id)
    if row is None or row.order_id != order_id:
        raise NotFound(_("No attachment {id}"), id=attachment_id)
    return row


async def latest_numeric_results(
    session: AsyncSession, patient_id: int, codes: Sequence[str], since: datetime
) -> list[tuple[Result, Order]]:
    """Numeric results of these analyte codes for the patient, entered since `since`, of orders not cancelled,
    newest first."""
    rows = await session.execute(
        select(Result, Order)
        .join(Order, Order.id == Result.order_id)
        .where(
            Order.patient_id == patient_id,
            Order.status != "cancelled",
            Result.code.in_(list(codes)),
            Result.kind == "numeric",
            Result.value_numeric.is_not(None),
            Result.entered_at >= since,
        )
        .order_by(Result.entered_at.desc(), Result.id.desc())
    )
    return [(result, order) for result, order in rows.all()]
