"""The queue on both databases: numbering, priority order, call/recall/skip/serve, estimates, restarts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from his.app import installed_modules
from his.kernel.clock import FixedClock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel, build_kernel
from his.queues import api, service
from his.settings import Settings
from tests.queues.conftest import KIOSK, STAFF, Points

pytestmark = pytest.mark.criterion(44)


async def issue(kernel: Kernel, point: str, priority: str = "normal") -> int:
    async with kernel.db.transaction() as session:
        ticket = await service.issue_ticket(
            session, kernel.clock, KIOSK, service_point_code=point, priority_code=priority
        )
        return ticket.id


async def call(kernel: Kernel, counter: str) -> tuple[int, int]:
    async with kernel.db.transaction() as session:
        ticket = await service.call_next(session, kernel.clock, STAFF, counter_code=counter)
        return ticket.id, ticket.number


async def status_of(kernel: Kernel, ticket_id: int) -> str:
    async with kernel.db.transaction() as session:
        return (await api.get_ticket(session, ticket_id=ticket_id)).status


async def test_numbers_run_per_service_point_and_start_again_each_day(
    queue_kernel: Kernel, points: Points, clock: FixedClock
) -> None:
    first = [await issue(queue_kernel, points.reception) for _ in range(3)]
    other = await issue(queue_kernel, points.cashier)
    async with queue_kernel.db.transaction() as session:
        numbers = [(await api.get_ticket(session, ticket_id=t)).number for t in first]
        labels = [(await api.get_ticket(session, ticket_id=t)).label for t in first]
        assert (await api.get_ticket(session, ticket_id=other)).label == "001"
    assert numbers == [1, 2, 3] and labels == ["A001", "A002", "A003"]
    clock.advance(timedelta(days=1))
    tomorrow = await issue(queue_kernel, points.reception)
    async with queue_kernel.db.transaction() as session:
        assert (await api.get_ticket(session, ticket_id=tomorrow)).number == 1


async def test_thirty_kiosks_at_once_get_thirty_consecutive_numbers(queue_kernel: Kernel, points: Points) -> None:
    """On PostgreSQL the kiosks truly run in parallel connections; numbers stay unique and gapless."""
    ids = await asyncio.gather(*(issue(queue_kernel, points.reception) for _ in range(30)))
    async with queue_kernel.db.transaction() as session:
        tickets = await api.day_tickets(
            session, service_point_code=points.reception, day=queue_kernel.clock.now().date()
        )
    assert sorted(t.number for t in tickets) == list(range(1, 31))
    assert {t.id for t in tickets} == set(ids)


async def test_priority_groups_are_called_first_and_first_come_within_a_group(
    queue_kernel: Kernel, points: Points
) -> None:
    normal_one = await issue(queue_kernel, points.reception)
    normal_two = await issue(queue_kernel, points.reception)
    elderly = await issue(queue_kernel, points.reception, "elderly")
    emergency = await issue(queue_kernel, points.reception, "emergency")
    child = await issue(queue_kernel, points.reception, "child")
    called = [(await call(queue_kernel, points.desk_one))[0] for _ in range(5)]
    assert called == [emergency, elderly, child, normal_one, normal_two]
    with pytest.raises(NotFound):
        await call(queue_kernel, points.desk_one)


async def test_people_ahead_and_the_estimate_on_the_slip(
    queue_kernel: Kernel, points: Points, clock: FixedClock
) -> None:
    # Three served at the desk, four minutes each: the typical duration is four minutes.
    for _ in range(3):
        await issue(queue_kernel, points.reception)
    for _ in range(3):
        await call(queue_kernel, points.desk_one)
        clock.advance(timedelta(minutes=4))
    waiting = [await issue(queue_kernel, points.reception) for _ in range(4)]
    priority = await issue(queue_kernel, points.reception, "disabled")
    async with queue_kernel.db.transaction() as session:
        last = await api.issued(session, queue_kernel.clock, ticket_id=waiting[-1])
        urgent = await api.issued(session, queue_kernel.clock, ticket_id=priority)
    # Four ahead of the last normal ticket (three normal, one priority); one counter open; 4 min each.
    assert (last.people_ahead, last.estimated_wait_minutes) == (4, 16)
    assert (urgent.people_ahead, urgent.estimated_wait_minutes) == (0, 0)


async def test_call_recall_skip_and_serve(queue_kernel: Kernel, points: Points) -> None:
    first = await issue(queue_kernel, points.reception)
    second = await issue(queue_kernel, points.reception)
    assert (await call(queue_kernel, points.desk_one))[0] == first
    async with queue_kernel.db.transaction() as session:
        again = await service.recall(session, queue_kernel.clock, STAFF, ticket_id=first, counter_code=points.desk_one)
        assert again.call_count == 2
        await service.skip(session, queue_kernel.clock, STAFF, ticket_id=first)
    assert await status_of(queue_kernel, first) == "skipped"
    # Calling the next closes nothing here (the first was skipped) and takes the second.
    assert (await call(queue_kernel, points.desk_one))[0] == second
    # The skipped person turns up later and is recalled, at another counter of the same service point.
    async with queue_kernel.db.transaction() as session:
        await service.serve(session, queue_kernel.clock, STAFF, ticket_id=second)
        back = await service.recall(session, queue_kernel.clock, STAFF, ticket_id=first, counter_code=points.desk_two)
        assert (back.status, back.counter_code) == ("called", points.desk_two)
    # Nobody else waits: "call next" changes nothing (it would have closed the recalled ticket otherwise).
    with pytest.raises(NotFound):
        await call(queue_kernel, points.desk_two)
    assert await status_of(queue_kernel, first) == "called"
    async with queue_kernel.db.transaction() as session:
        await service.serve(session, queue_kernel.clock, STAFF, ticket_id=first)
    assert await status_of(queue_kernel, first) == "served"
    with pytest.raises(Conflict):
        async with queue_kernel.db.transaction() as session:
            await service.skip(session, queue_kernel.clock, STAFF, ticket_id=first)
    with pytest.raises(Conflict):  # a cashier's counter cannot recall a reception ticket
        async with queue_kernel.db.transaction() as session:
            await service.recall(session, queue_kernel.clock, STAFF, ticket_id=first, counter_code=points.till)


async def test_bad_input_is_refused(queue_kernel: Kernel, points: Points) -> None:
    with pytest.raises(InvalidInput):
        await issue(queue_kernel, "NOPE")
    with pytest.raises(InvalidInput):
        await issue(queue_kernel, points.reception, "vip")
    with pytest.raises(NotFound):
        await call(queue_kernel, "NOPE")


async def test_two_counters_calling_at_once_never_take_the_same_ticket(queue_kernel: Kernel, points: Points) -> None:
    tickets = [await issue(queue_kernel, points.reception) for _ in range(6)]

    async def try_call(counter: str) -> int | None:
        try:
            return (await call(queue_kernel, counter))[0]
        except NotFound:
            return None

    counters = [points.desk_one, points.desk_two] * 4
    taken = await asyncio.gather(*(try_call(counter) for counter in counters))
    called = [t for t in taken if t is not None]
    assert len(called) == len(set(called))
    # Each call closed its counter's previous ticket: six tickets went through, none twice.
    assert set(called) == set(tickets)


async def test_the_queue_survives_a_restart(settings: Settings, queue_kernel: Kernel, points: Points) -> None:
    waiting = [await issue(queue_kernel, points.reception) for _ in range(3)]
    urgent = await issue(queue_kernel, points.reception, "emergency")
    assert (await call(queue_kernel, points.desk_one))[0] == urgent
    async with queue_kernel.db.transaction() as session:
        before = await api.board(session, queue_kernel.clock, point_codes=[points.reception])
    await queue_kernel.db.dispose()
    # A new kernel (a restarted server, or another worker) on the same database.
    restarted = build_kernel(settings, installed_modules(), FixedClock(queue_kernel.clock.now()))
    try:
        async with restarted.db.transaction() as session:
            after = await api.board(session, restarted.clock, point_codes=[points.reception])
        assert after == before
        assert [c.label for c in after.called] == ["A004"]
        assert after.lines[0].next_labels == ["A001", "A002", "A003"]
        assert (await call(restarted, points.desk_two))[0] == waiting[0]
    finally:
        await restarted.db.dispose()


async def test_events_come_in_commit_order_with_the_words_to_say(queue_kernel: Kernel, points: Points) -> None:
    await issue(queue_kernel, points.reception)
    await call(queue_kernel, points.desk_one)

    def vietnamese(message: str, **params: object) -> str:
        return queue_kernel.translator.gettext("vi", message, params or None)

    async with queue_kernel.db.transaction() as session:
        events = await api.events_after(session, vietnamese, after_id=0)
        last = await api.last_event_id(session)
    assert [e.kind for e in events] == ["issued", "called"]
    assert [e.id for e in events] == [1, 2] and last == 2
    assert events[1].announcement == "Mời số A 1 đến quầy 1"
