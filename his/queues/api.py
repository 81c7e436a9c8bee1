"""The queues module's public face: tickets, boards and events as Structs, never rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.clock import Clock, local_date
from his.queues import rules, service
from his.queues.models import Counter, QueueEvent, ServicePoint, Ticket
from his.queues.schemas import (
    BoardOut,
    CalledOut,
    CounterOut,
    IssuedTicketOut,
    PriorityGroupOut,
    QueueEventOut,
    ServicePointOut,
    TicketOut,
    WaitingLineOut,
)

Gettext = Callable[..., str]
NEXT_SHOWN = 5


def ticket_out(point: ServicePoint, ticket: Ticket) -> TicketOut:
    return TicketOut(
        id=ticket.id,
        service_point_code=ticket.service_point_code,
        service_point_name=point.name,
        day=ticket.day,
        number=ticket.number,
        label=rules.ticket_label(point.prefix, ticket.number),
        priority_code=ticket.priority_code,
        priority_rank=ticket.priority_rank,
        status=ticket.status,
        issued_at=ticket.issued_at,
        counter_code=ticket.counter_code,
        called_at=ticket.called_at,
        call_count=ticket.call_count,
        served_at=ticket.served_at,
    )


def _counter_out(counter: Counter) -> CounterOut:
    return CounterOut(
        code=counter.code, label=counter.label, service_point_code=counter.service_point_code, active=counter.active
    )


async def get_ticket(session: AsyncSession, *, ticket_id: int) -> TicketOut:
    ticket = await service.get_ticket(session, ticket_id)
    return ticket_out(await service.get_point(session, ticket.service_point_code), ticket)


async def issued(session: AsyncSession, clock: Clock, *, ticket_id: int) -> IssuedTicketOut:
    """A ticket with the people ahead of it and the estimated wait, as printed on the slip."""
    ticket = await service.get_ticket(session, ticket_id)
    point = await service.get_point(session, ticket.service_point_code)
    waiting = await service.waiting_orders(session, service_point_code=point.code, day=ticket.day)
    ahead = (
        rules.people_ahead(
            rules.CallOrder(ticket.priority_rank, ticket.number), (rules.CallOrder(r, n) for _, r, n in waiting)
        )
        if ticket.status == "waiting"
        else 0
    )
    minutes = await service.estimated_wait(session, clock, service_point_code=point.code, ahead=ahead)
    return IssuedTicketOut(ticket=ticket_out(point, ticket), people_ahead=ahead, estimated_wait_minutes=minutes)


async def service_points(session: AsyncSession, *, active_only: bool = True) -> list[ServicePointOut]:
    points = await (service.active_points(session) if active_only else service.all_points(session))
    counters = await service.counters_of(session, [p.code for p in points], active_only=active_only)
    return [
        ServicePointOut(
            code=p.code,
            name=p.name,
            kind=p.kind,
            room_code=p.room_code,
            prefix=p.prefix,
            active=p.active,
            counters=[_counter_out(c) for c in counters if c.service_point_code == p.code],
        )
        for p in points
    ]


async def get_counter(session: AsyncSession, *, code: str) -> CounterOut:
    return _counter_out(await service.get_counter(session, code))


async def priority_groups(session: AsyncSession, gettext: Gettext) -> list[PriorityGroupOut]:
    return [
        PriorityGroupOut(code=g.code, name=gettext(g.name), rank=g.rank) for g in await service.priority_groups(session)
    ]


async def day_tickets(session: AsyncSession, *, service_point_code: str, day: date) -> list[TicketOut]:
    point = await service.get_point(session, service_point_code)
    return [ticket_out(point, t) for t in await service.tickets_of_day(session, service_point_code=point.code, day=day)]


async def board(session: AsyncSession, clock: Clock, *, point_codes: list[str] | None = None) -> BoardOut:
    """What a display screen shows: the number called at each counter and the next few waiting per queue."""
    event_id = await service.last_event_id(session)  # read first: the board is at least this fresh
    day = local_date(clock.now())
    points = await service.active_points(session, point_codes)
    by_code = {p.code: p for p in points}
    counters = await service.counters_of(session, list(by_code))
    now_called = await service.called_now(session, counter_codes=[c.code for c in counters], day=day)
    called = [
        CalledOut(
            counter_code=c.code,
            counter_label=c.label,
            service_point_code=c.service_point_code,
            label=rules.ticket_label(by_code[c.service_point_code].prefix, now_called[c.code].number),
            called_at=now_called[c.code].called_at or now_called[c.code].issued_at,
        )
        for c in counters
        if c.code in now_called
    ]
    waiting = await service.waiting_by_point(session, point_codes=list(by_code), day=day)
    lines = []
    for point in points:
        numbers = waiting[point.code]
        minutes = (
            await service.estimated_wait(session, clock, service_point_code=point.code, ahead=len(numbers))
            if numbers
            else 0
        )
        lines.append(
            WaitingLineOut(
                service_point_code=point.code,
                service_point_name=point.name,
                waiting=len(numbers),
                next_labels=[rules.ticket_label(point.prefix, n) for n in numbers[:NEXT_SHOWN]],
                estimated_wait_minutes=minutes,
            )
        )
    return BoardOut(event_id=event_id, called=called, lines=lines)


async def last_event_id(session: AsyncSession) -> int:
    return await service.last_event_id(session)


async def events_after(
    session: AsyncSession, gettext: Gettext, *, after_id: int, point_codes: list[str] | None = None
) -> list[QueueEventOut]:
    """Queue events after `after_id`, oldest first; calls and recalls carry the sentence to read aloud."""
    events = await service.events_after(session, after_id=after_id)
    if point_codes:
        events = [e for e in events if e.service_point_code in point_codes]
    codes = sorted({e.service_point_code for e in events})
    counters = {c.code: c for c in await service.counters_of(session, codes, active_only=False)}
    points = {p.code: p for p in await service.all_points(session)}
    return [
        _event_out(e, counters.get(e.counter_code or ""), points.get(e.service_point_code), gettext) for e in events
    ]


def _event_out(
    event: QueueEvent, counter: Counter | None, point: ServicePoint | None, gettext: Gettext
) -> QueueEventOut:
    announcement = None
    if event.kind in ("called", "recalled") and counter is not None:
        spoken = rules.spoken_number(point.prefix if point else "", event.number)
        announcement = gettext(rules.ANNOUNCEMENT, number=spoken, counter=counter.label)
    return QueueEventOut(
        id=event.id,
        kind=event.kind,
        at=event.at,
        service_point_code=event.service_point_code,
        counter_code=event.counter_code,
        counter_label=counter.label if counter else None,
        label=event.label,
        announcement=announcement,
    )
