"""The event outbox: publish in the writer's transaction, in-order at-least-once delivery per consumer, retries
with backoff, redelivery after a crash, and two workers on PostgreSQL never delivering an event twice at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession

from his.app import installed_modules
from his.kernel.clock import FixedClock
from his.kernel.events import EventHandler, OutboxEvent, decode, publish
from his.kernel.events.cli import events as events_cli
from his.kernel.events.dispatcher import (
    OutboxWorker,
    consumer_states,
    deliver_once,
    deliver_until_idle,
)
from his.kernel.events.outbox import event_type_of
from his.kernel.events.rules import retry_delay
from his.kernel.modules import ModulePlugin
from his.kernel.runtime import Kernel, build_kernel
from his.settings import Settings


class Pinged(msgspec.Struct, frozen=True, tag="probe.Pinged.v1"):
    number: int


class Other(msgspec.Struct, frozen=True, tag="probe.Other.v2"):
    text: str


class Untagged(msgspec.Struct, frozen=True):
    number: int


START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def probe_module(*handlers: EventHandler) -> ModulePlugin:
    return ModulePlugin(name="probe", package="tests", route_handlers=lambda: [], event_handlers=lambda: handlers)


@pytest.fixture
async def clocked(settings: Settings) -> AsyncIterator[tuple[Kernel, FixedClock]]:
    clock = FixedClock(START)
    built = build_kernel(settings, installed_modules(), clock)
    try:
        yield built, clock
    finally:
        await built.db.dispose()


async def publish_numbers(kernel: Kernel, numbers: range) -> None:
    async with kernel.db.transaction() as session:
        for number in numbers:
            await publish(session, Pinged(number))


def recorder(name: str, seen: list[tuple[str, int]]) -> EventHandler:
    async def handle(kernel: Kernel, session: AsyncSession, event: OutboxEvent) -> None:
        seen.append((name, decode(event, Pinged).number))

    return EventHandler(name=name, event_types=("probe.Pinged",), handle=handle)


def test_the_tag_names_topic_type_and_version() -> None:
    assert event_type_of(Other("x")) == ("probe", "probe.Other", 2)
    with pytest.raises(TypeError):
        event_type_of(Untagged(1))


def test_retries_back_off_exponentially_up_to_a_limit() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(50) == timedelta(minutes=10)


async def test_only_committed_events_are_delivered_in_order_to_each_consumer(kernel: Kernel) -> None:
    seen: list[tuple[str, int]] = []
    handlers = [recorder("a", seen), recorder("b", seen)]
    await publish_numbers(kernel, range(1, 4))
    with pytest.raises(RuntimeError):
        async with kernel.db.transaction() as session:
            await publish(session, Pinged(99))
            raise RuntimeError("the writer's transaction fails: its event must not leave")
    async with kernel.db.transaction() as session:
        await publish(session, Other("not for these consumers"))
    await publish_numbers(kernel, range(4, 6))

    assert await deliver_until_idle(kernel, handlers) == 10
    assert [n for c, n in seen if c == "a"] == [1, 2, 3, 4, 5]
    assert [n for c, n in seen if c == "b"] == [1, 2, 3, 4, 5]
    assert await deliver_once(kernel, handlers) == 0  # nothing twice


async def test_a_failing_handler_is_retried_with_backoff_and_keeps_its_error(
    clocked: tuple[Kernel, FixedClock],
) -> None:
    kernel, clock = clocked
    attempts: list[int] = []
    writes: list[int] = []
    broken = {"yes": True}

    async def handle(kernel: Kernel, session: AsyncSession, event: OutboxEvent) -> None:
        number = decode(event, Pinged).number
        attempts.append(number)
        if number == 2 and broken["yes"]:
            raise ValueError("the laboratory system is down")
        writes.append(number)

    handler = EventHandler(name="flaky", event_types=("probe.Pinged",), handle=handle)
    await publish_numbers(kernel, range(1, 4))

    assert await deliver_until_idle(kernel, [handler]) == 1  # 1 delivered, 2 fails, 3 waits behind it
    assert attempts == [1, 2]
    assert await deliver_once(kernel, [handler]) == 0  # not before the retry time
    assert attempts == [1, 2]

    # Its cursor records where and why it stopped.
    from his.kernel.events.models import OutboxCursor

    async with kernel.db.transaction() as session:
        cursor = await session.get(OutboxCursor, "flaky")
        assert cursor is not None
        assert cursor.attempts == 1
        assert cursor.last_error is not None and "laboratory system is down" in cursor.last_error
        assert cursor.next_attempt_at == START + timedelta(seconds=2)
        failing = cursor.failing_event_id

    clock.advance(timedelta(seconds=3))
    assert await deliver_once(kernel, [handler]) == 0
    async with kernel.db.transaction() as session:
        cursor = await session.get(OutboxCursor, "flaky")
        assert cursor is not None and cursor.attempts == 2 and cursor.failing_event_id == failing
        assert cursor.next_attempt_at == START + timedelta(seconds=3 + 4)

    broken["yes"] = False
    clock.advance(timedelta(seconds=5))
    assert await deliver_until_idle(kernel, [handler]) == 2
    assert writes == [1, 2, 3]
    assert attempts == [1, 2, 2, 2, 3]
    async with kernel.db.transaction() as session:
        cursor = await session.get(OutboxCursor, "flaky")
        assert cursor is not None and cursor.attempts == 0 and cursor.failing_event_id is None


async def test_a_crash_during_delivery_loses_nothing_the_event_comes_again(kernel: Kernel) -> None:
    seen: list[int] = []
    crash = {"on": True}

    async def handle(kernel: Kernel, session: AsyncSession, event: OutboxEvent) -> None:
        number = decode(event, Pinged).number
        seen.append(number)
        if number == 2 and crash["on"]:
            # The process dies mid-batch: not an error the dispatcher catches, the transaction never commits.
            raise asyncio.CancelledError

    handler = EventHandler(name="crashing", event_types=("probe.Pinged",), handle=handle)
    await publish_numbers(kernel, range(1, 4))
    with pytest.raises(asyncio.CancelledError):
        await deliver_once(kernel, [handler])
    crash["on"] = False
    assert await deliver_until_idle(kernel, [handler]) == 3
    assert seen == [1, 2, 1, 2, 3]  # at least once: 1 and 2 again, in order


async def test_modules_register_handlers_and_the_app_worker_delivers(settings: Settings) -> None:
    seen: list[tuple[str, int]] = []
    kernel = build_kernel(settings, (*installed_modules(), probe_module(recorder("probe.recorder", seen))))
    try:
        worker = OutboxWorker.start_for(kernel, poll_seconds=0.05)
        assert worker is not None
        await publish_numbers(kernel, range(1, 3))
        # Wait for the committed cursor, not for the handler's side effect: stopping the worker between the two
        # would roll the delivery back (at least once: it would be delivered again later).
        for _ in range(400):
            states = [s for s in await consumer_states(kernel) if s.consumer == "probe.recorder"]
            if states and states[0].pending == 0:
                break
            await asyncio.sleep(0.05)
        await OutboxWorker.stop_for(kernel)
        assert seen == [("probe.recorder", 1), ("probe.recorder", 2)]
        (state,) = [s for s in await consumer_states(kernel) if s.consumer == "probe.recorder"]
        assert state.pending == 0 and state.position > 0
    finally:
        await kernel.db.dispose()


def test_cli_delivers_once_and_reports(settings: Settings, database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(events_cli, ["deliver", "--once"], obj=settings)
    assert result.exit_code == 0, result.output
    assert "events delivered" in result.output
    result = runner.invoke(events_cli, ["status"], obj=settings)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_two_workers_deliver_every_event_exactly_once_per_consumer(settings: Settings) -> None:
    seen: list[tuple[str, int]] = []

    def slow_recorder(name: str) -> EventHandler:
        async def handle(kernel: Kernel, session: AsyncSession, event: OutboxEvent) -> None:
            await asyncio.sleep(0.001)  # let the other worker try the same consumer meanwhile
            seen.append((name, decode(event, Pinged).number))

        return EventHandler(name=name, event_types=("probe.Pinged",), handle=handle)

    handlers = [slow_recorder("one"), slow_recorder("two"), slow_recorder("three")]
    first = build_kernel(settings, installed_modules())
    second = build_kernel(settings, installed_modules())
    try:
        await publish_numbers(first, range(0, 150))

        async def work(kernel: Kernel) -> int:
            total = 0
            for _ in range(40):
                total += await deliver_once(kernel, handlers, batch=7)
            return total

        done = await asyncio.gather(work(first), work(second), publish_numbers(second, range(150, 200)))
        done_more = await deliver_until_idle(first, handlers)
        assert done[0] + done[1] + done_more == 3 * 200
        assert done[0] > 0 and done[1] > 0  # both workers took part
        for name in ("one", "two", "three"):
            numbers = [n for c, n in seen if c == name]
            assert numbers == list(range(200)), name  # each once, in order
    finally:
        await first.db.dispose()
        await second.db.dispose()
