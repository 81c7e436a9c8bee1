"""Use cases of the queues module: the only code that writes its tables."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from his.catalogs import api as catalogs
from his.catalogs.schemas import ClinicRoomEntry
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.clock import Clock, local_date
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.i18n import lazy
from his.queues import rules
from his.queues.models import (
    Counter,
    PriorityGroup,
    QueueEvent,
    QueueEventSequence,
    ServicePoint,
    Ticket,
    TicketCounter,
)
from his.queues.schemas import CounterIn, ServicePointIn

_CODE = re.compile(rules.CODE_PATTERN)
_PREFIX = re.compile(r"^[A-Z]{0,3}$")
# Counters that called someone this recently count as open when the wait is estimated.
_OPEN_COUNTER_WINDOW = timedelta(minutes=30)
_PAGE = 200  # the catalogs' largest search page


def _insert_for(session: AsyncSession) -> Any:
    """The dialect's INSERT, for its ON CONFLICT upsert (both dialects spell it the same way)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# ---------------------------------------------------------------- numbering and events


async def next_number(session: AsyncSession, *, service_point_code: str, day: date) -> int:
    """The service point's next number for the day. One atomic upsert: the row stays locked until the ticket
    commits, so concurrent kiosks get consecutive numbers, and a rolled-back ticket frees its number."""
    insert = _insert_for(session)
    statement = (
        insert(TicketCounter)
        .values(service_point_code=service_point_code, day=day, last_number=1)
        .on_conflict_do_update(
            index_elements=["service_point_code", "day"], set_={"last_number": TicketCounter.last_number + 1}
        )
        .returning(TicketCounter.last_number)
    )
    return int((await session.execute(statement)).scalar_one())


async def _next_event_id(session: AsyncSession) -> int:
    # The sequence row stays locked until this transaction commits: the next writer gets the next id only
    # afterwards, so a display that has seen id N has seen every event up to N.
    insert = _insert_for(session)
    statement = (
        insert(QueueEventSequence)
        .values(id=1, last_id=1)
        .on_conflict_do_update(index_elements=["id"], set_={"last_id": QueueEventSequence.last_id + 1})
        .returning(QueueEventSequence.last_id)
    )
    return int((await session.execute(statement)).scalar_one())


async def _record(session: AsyncSession, clock: Clock, kind: str, ticket: Ticket, label: str) -> QueueEvent:
    event = QueueEvent(
        id=await _next_event_id(session),
        at=clock.now(),
        kind=kind,
        service_point_code=ticket.service_point_code,
        counter_code=ticket.counter_code,
        ticket_id=ticket.id,
        number=ticket.number,
        label=label,
    )
    session.add(event)
    await session.flush()
    return event


async def last_event_id(session: AsyncSession) -> int:
    return int(await session.scalar(select(QueueEventSequence.last_id).where(QueueEventSequence.id == 1)) or 0)


# ---------------------------------------------------------------- configuration


def _check_code(code: str, field: str) -> str:
    code = code.strip()
    if not _CODE.match(code):
        raise InvalidInput("A code has 1 to 32 letters, digits, dots, dashes or underscores", field=field)
    return code


async def upsert_service_point(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, code: str, data: ServicePointIn
) -> ServicePoint:
    code = _check_code(code, "code")
    name = data.name.strip()
    if not name:
        raise InvalidInput("The name is required", field="name")
    if data.kind not in rules.SERVICE_POINT_KINDS:
        raise InvalidInput("Unknown kind of service point: {kind}", field="kind", kind=data.kind)
    prefix = data.prefix.strip().upper()
    if not _PREFIX.match(prefix):
        raise InvalidInput("The prefix has at most three letters A to Z", field="prefix")
    room_code = (data.room_code or "").strip() or None
    if room_code is not None:
        room = await catalogs.get_clinic_room(session, code=room_code, as_of=local_date(clock.now()))
        if room is None:
            raise InvalidInput("No clinic room {code} in force today", field="room_code", code=room_code)
    point = await session.scalar(select(ServicePoint).where(ServicePoint.code == code))
    if point is None:
        point = ServicePoint(code=code)
        session.add(point)
    point.name, point.kind, point.room_code, point.prefix = name[:200], data.kind, room_code, prefix
    point.position, point.active = data.position, data.active
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(action="queue.point.save", object_type="queue_point", object_id=code, detail=name[:200]),
    )
    return point


async def upsert_counter(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, code: str, data: CounterIn
) -> Counter:
    code = _check_code(code, "code")
    label = data.label.strip()
    if not label:
        raise InvalidInput("The label is required", field="label")
    await get_point(session, data.service_point_code, field="service_point_code")
    counter = await session.scalar(select(Counter).where(Counter.code == code))
    if counter is None:
        counter = Counter(code=code)
        session.add(counter)
    counter.label, counter.service_point_code = label[:100], data.service_point_code
    counter.position, counter.active = data.position, data.active
    await session.flush()
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(action="queue.counter.save", object_type="queue_counter", object_id=code, detail=label[:200]),
    )
    return counter


async def points_from_clinic_rooms(session: AsyncSession, clock: Clock, actor: AuditActor) -> list[ServicePoint]:
    """A service point with one counter for every clinic room of the catalogs that has none yet."""
    day = local_date(clock.now())
    rooms: list[ClinicRoomEntry] = []
    while True:
        page = await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=_PAGE, offset=len(rooms))
        rooms.extend(item for item in page.items if isinstance(item, ClinicRoomEntry))
        if not page.items or len(rooms) >= page.total:
            break
    known = set(
        (await session.scalars(select(ServicePoint.room_code).where(ServicePoint.room_code.is_not(None)))).all()
    )
    created: list[ServicePoint] = []
    for room in rooms:
        if room.code in known or not _CODE.match(room.code):
            continue
        name = room.name
        point = await upsert_service_point(
            session, clock, actor, code=room.code, data=ServicePointIn(name=name, kind="clinic", room_code=room.code)
        )
        await upsert_counter(
            session, clock, actor, code=room.code, data=CounterIn(label=name, service_point_code=room.code)
        )
        created.append(point)
    return created


# ---------------------------------------------------------------- reads used by the use cases


async def get_point(session: AsyncSession, code: str, *, field: str = "service_point_code") -> ServicePoint:
    point = await session.scalar(select(ServicePoint).where(ServicePoint.code == code))
    if point is None:
        raise InvalidInput("No service point {code}", field=field, code=code[:32])
    return point


async def get_counter(session: AsyncSession, code: str) -> Counter:
    counter = await session.scalar(select(Counter).where(Counter.code == code))
    if counter is None:
        raise NotFound("No counter {code}", code=code[:32])
    return counter


async def get_ticket(session: AsyncSession, ticket_id: int, *, for_update: bool = False) -> Ticket:
    ticket = await session.get(Ticket, ticket_id, with_for_update=for_update, populate_existing=for_update)
    if ticket is None:
        raise NotFound("No ticket {id}", id=ticket_id)
    return ticket


async def waiting_orders(session: AsyncSession, *, service_point_code: str, day: date) -> list[tuple[int, int, int]]:
    """(ticket id, rank, number) of the tickets still waiting, in call order."""
    rows = await session.execute(
        select(Ticket.id, Ticket.priority_rank, Ticket.number)
        .where(Ticket.service_point_code == service_point_code, Ticket.day == day, Ticket.status == "waiting")
        .order_by(Ticket.priority_rank, Ticket.number)
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows.all()]


async def waiting_by_point(session: AsyncSession, *, point_codes: list[str], day: date) -> dict[str, list[int]]:
    """The numbers still waiting at each service point, in call order: one query for a whole display."""
    rows = await session.execute(
        select(Ticket.service_point_code, Ticket.number)
        .where(Ticket.service_point_code.in_(point_codes), Ticket.day == day, Ticket.status == "waiting")
        .order_by(Ticket.service_point_code, Ticket.priority_rank, Ticket.number)
    )
    waiting: dict[str, list[int]] = {code: [] for code in point_codes}
    for code, number in rows.all():
        waiting[code].append(int(number))
    return waiting


async def estimated_wait(session: AsyncSession, clock: Clock, *, service_point_code: str, ahead: int) -> int:
    """Minutes, from the point's recent service durations and the counters open in the last half hour."""
    if ahead <= 0:
        return 0
    now = clock.now()
    recent = (
        await session.execute(
            select(Ticket.called_at, Ticket.served_at)
            .where(Ticket.service_point_code == service_point_code, Ticket.served_at.is_not(None))
            .order_by(Ticket.served_at.desc())
            .limit(rules.RECENT_SAMPLE)
        )
    ).all()
    durations = [(served - called).total_seconds() for called, served in reversed(recent) if called and served]
    open_counters = await session.scalar(
        select(func.count(func.distinct(Ticket.counter_code))).where(
            Ticket.service_point_code == service_point_code,
            Ticket.called_at >= now - _OPEN_COUNTER_WINDOW,
        )
    )
    return rules.estimated_wait_minutes(ahead=ahead, recent_durations=durations, open_counters=int(open_counters or 0))


# ---------------------------------------------------------------- the queue


def _audit_id(ticket: Ticket) -> str:
    return f"{ticket.service_point_code}/{ticket.day:%Y%m%d}/{ticket.number}"


async def _audit(session: AsyncSession, clock: Clock, actor: AuditActor, action: str, ticket: Ticket) -> None:
    await append_audit(
        session,
        clock,
        actor,
        AuditEntry(
            action=f"queue.{action}",
            object_type="queue_ticket",
            object_id=_audit_id(ticket),
            detail=f"counter {ticket.counter_code}" if ticket.counter_code else f"priority {ticket.priority_code}",
        ),
    )


def label_of(point: ServicePoint, ticket: Ticket) -> str:
    return rules.ticket_label(point.prefix, ticket.number)


async def issue_ticket(
    session: AsyncSession,
    clock: Clock,
    actor: AuditActor,
    *,
    service_point_code: str,
    priority_code: str,
    via: str = "kiosk",
) -> Ticket:
    point = await get_point(session, service_point_code.strip())
    if not point.active:
        raise Conflict("The service point {name} is closed", name=point.name)
    group = await session.get(PriorityGroup, priority_code)
    if group is None or not group.active:
        raise InvalidInput("Unknown priority group: {code}", field="priority_code", code=priority_code[:16])
    now = clock.now()
    day = local_date(now)
    number = await next_number(session, service_point_code=point.code, day=day)
    ticket = Ticket(
        service_point_code=point.code,
        day=day,
        number=number,
        priority_code=group.code,
        priority_rank=group.rank,
        status="waiting",
        issued_at=now,
        issued_via=via,
        call_count=0,
    )
    session.add(ticket)
    await session.flush()
    await _record(session, clock, "issued", ticket, label_of(point, ticket))
    await _audit(session, clock, actor, "issue", ticket)
    return ticket


_REFUSALS: dict[str, str] = {
    "call": lazy("This number is no longer waiting"),
    "recall": lazy("Only a number being called or skipped can be called again"),
    "skip": lazy("Only a number being called can be skipped"),
    "serve": lazy("Only a number being called can be marked served"),
}


def _require(ticket: Ticket, action: rules.Action) -> None:
    if not rules.allowed(ticket.status, action):
        raise Conflict(_REFUSALS[action])


async def _serve_current(session: AsyncSession, clock: Clock, actor: AuditActor, counter: Counter, day: date) -> None:
    # Calling the next number closes the one the counter was serving: staff rarely press two buttons.
    current = await session.scalars(
        select(Ticket)
        .where(Ticket.counter_code == counter.code, Ticket.day == day, Ticket.status == "called")
        .with_for_update()
    )
    for ticket in current.all():
        await _finish(session, clock, actor, ticket)


async def _finish(session: AsyncSession, clock: Clock, actor: AuditActor, ticket: Ticket) -> None:
    point = await get_point(session, ticket.service_point_code)
    ticket.status = "served"
    ticket.served_at = clock.now()
    await session.flush()
    await _record(session, clock, "served", ticket, label_of(point, ticket))
    await _audit(session, clock, actor, "serve", ticket)


async def call_next(session: AsyncSession, clock: Clock, actor: AuditActor, *, counter_code: str) -> Ticket:
    """Calls the first waiting ticket of the counter's service point: priority groups by rank, then by number."""
    counter = await get_counter(session, counter_code)
    if not counter.active:
        raise Conflict("The counter {label} is closed", label=counter.label)
    point = await get_point(session, counter.service_point_code)
    now = clock.now()
    day = local_date(now)
    await _serve_current(session, clock, actor, counter, day)
    # SKIP LOCKED: two counters of one service point calling at the same moment take two different tickets.
    ticket = await session.scalar(
        select(Ticket)
        .where(Ticket.service_point_code == point.code, Ticket.day == day, Ticket.status == "waiting")
        .order_by(Ticket.priority_rank, Ticket.number)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    if ticket is None:
        raise NotFound("Nobody is waiting for {name}", name=point.name)
    ticket.status = "called"
    ticket.counter_code = counter.code
    ticket.called_at = now
    ticket.call_count = 1
    await session.flush()
    await _record(session, clock, "called", ticket, label_of(point, ticket))
    await _audit(session, clock, actor, "call", ticket)
    return ticket


async def recall(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, ticket_id: int, counter_code: str
) -> Ticket:
    """Reads a called number out again, or brings a skipped ticket back to the counter."""
    counter = await get_counter(session, counter_code)
    ticket = await get_ticket(session, ticket_id, for_update=True)
    _require(ticket, "recall")
    if ticket.service_point_code != counter.service_point_code:
        raise Conflict("The counter {label} does not serve this ticket's queue", label=counter.label)
    if ticket.day != local_date(clock.now()):
        raise Conflict("The ticket was issued on another day")
    point = await get_point(session, ticket.service_point_code)
    ticket.status = "called"
    ticket.counter_code = counter.code
    ticket.called_at = clock.now()
    ticket.skipped_at = None
    ticket.call_count += 1
    await session.flush()
    await _record(session, clock, "recalled", ticket, label_of(point, ticket))
    await _audit(session, clock, actor, "recall", ticket)
    return ticket


async def skip(session: AsyncSession, clock: Clock, actor: AuditActor, *, ticket_id: int) -> Ticket:
    """The called person did not come: set aside, to be recalled when they turn up."""
    ticket = await get_ticket(session, ticket_id, for_update=True)
    _require(ticket, "skip")
    point = await get_point(session, ticket.service_point_code)
    ticket.status = "skipped"
    ticket.skipped_at = clock.now()
    await session.flush()
    await _record(session, clock, "skipped", ticket, label_of(point, ticket))
    await _audit(session, clock, actor, "skip", ticket)
    return ticket


async def serve(session: AsyncSession, clock: Clock, actor: AuditActor, *, ticket_id: int) -> Ticket:
    ticket = await get_ticket(session, ticket_id, for_update=True)
    _require(ticket, "serve")
    await _finish(session, clock, actor, ticket)
    return ticket


# ---------------------------------------------------------------- reads for pages and displays


async def active_points(session: AsyncSession, codes: list[str] | None = None) -> list[ServicePoint]:
    query = select(ServicePoint).where(ServicePoint.active.is_(True))
    if codes:
        query = query.where(ServicePoint.code.in_(codes))
    return list((await session.scalars(query.order_by(ServicePoint.position, ServicePoint.code))).all())


async def all_points(session: AsyncSession) -> list[ServicePoint]:
    return list((await session.scalars(select(ServicePoint).order_by(ServicePoint.position, ServicePoint.code))).all())


async def counters_of(session: AsyncSession, point_codes: list[str], *, active_only: bool = True) -> list[Counter]:
    query = select(Counter).where(Counter.service_point_code.in_(point_codes))
    if active_only:
        query = query.where(Counter.active.is_(True))
    return list((await session.scalars(query.order_by(Counter.position, Counter.code))).all())


async def priority_groups(session: AsyncSession) -> list[PriorityGroup]:
    query = select(PriorityGroup).where(PriorityGroup.active.is_(True)).order_by(PriorityGroup.position)
    return list((await session.scalars(query)).all())


async def tickets_of_day(session: AsyncSession, *, service_point_code: str, day: date) -> list[Ticket]:
    query = select(Ticket).where(Ticket.service_point_code == service_point_code, Ticket.day == day)
    return list((await session.scalars(query.order_by(Ticket.priority_rank, Ticket.number))).all())


async def called_now(session: AsyncSession, *, counter_codes: list[str], day: date) -> dict[str, Ticket]:
    """The ticket each counter calls now: the last one called there that is still at the counter."""
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.counter_code.in_(counter_codes), Ticket.day == day, Ticket.status == "called")
        .order_by(Ticket.called_at)
    )
    return {ticket.counter_code or "": ticket for ticket in rows.all()}


async def events_after(session: AsyncSession, *, after_id: int, limit: int = 200) -> list[QueueEvent]:
    rows = await session.scalars(
        select(QueueEvent).where(QueueEvent.id > after_id).order_by(QueueEvent.id).limit(limit)
    )
    return list(rows.all())


def day_of(moment: datetime) -> date:
    return local_date(moment)
