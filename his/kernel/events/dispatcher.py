"""Delivers outbox events to each consumer in order, at least once, coordinated through the database.

Every consumer has one cursor row. A delivery run locks that row (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so a
second worker skips a consumer the first one is serving instead of waiting; SQLite: one writer at a time anyway),
hands the events after the cursor to the handler in id order, each inside a savepoint, and advances the cursor in
the same transaction. A failing event stops the consumer (order matters) and is retried with backoff; its error
is kept on the cursor. A crash before the commit leaves the cursor where it was: the events come again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.events.models import OutboxCursor, OutboxRecord
from his.kernel.events.outbox import EventHandler, as_event, handlers_of
from his.kernel.events.rules import retry_delay

if TYPE_CHECKING:
    from his.kernel.runtime import Kernel

log = logging.getLogger("his.events")
BATCH = 100
POLL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class ConsumerState:
    consumer: str
    position: int
    pending: int
    failing_event_id: int | None
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None


async def ensure_cursors(kernel: Kernel, handlers: Sequence[EventHandler]) -> None:
    """A cursor at 0 for every consumer that has none (a new consumer sees the whole history)."""
    if not handlers:
        return
    now = kernel.clock.now()
    insert = pg_insert if kernel.db.dialect == "postgresql" else sqlite_insert
    async with kernel.db.transaction() as session:
        for handler in handlers:
            statement = insert(OutboxCursor).values(consumer=handler.name, position=0, attempts=0, updated_at=now)
            await session.execute(statement.on_conflict_do_nothing(index_elements=["consumer"]))


async def _locked_cursor(session: AsyncSession, consumer: str) -> OutboxCursor | None:
    query = select(OutboxCursor).where(OutboxCursor.consumer == consumer)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalar_one_or_none()


async def _serve(kernel: Kernel, session: AsyncSession, handler: EventHandler, batch: int) -> int:
    cursor = await _locked_cursor(session, handler.name)
    now = kernel.clock.now()
    if cursor is None or (cursor.next_attempt_at is not None and cursor.next_attempt_at > now):
        return 0  # another worker serves it, or its failing event waits for the retry time
    rows = (
        (
            await session.execute(
                select(OutboxRecord)
                .where(OutboxRecord.id > cursor.position, OutboxRecord.event_type.in_(list(handler.event_types)))
                .order_by(OutboxRecord.id)
                .limit(batch)
            )
        )
        .scalars()
        .all()
    )
    delivered = 0
    for row in rows:
        try:
            async with session.begin_nested():
                await handler.handle(kernel, session, as_event(row))
        except Exception as error:  # any handler fault is recorded and retried, never lost
            cursor.failing_event_id = row.id
            cursor.attempts += 1
            cursor.last_error = f"event {row.id}: {type(error).__name__}: {error}"[:2000]
            cursor.next_attempt_at = now + retry_delay(cursor.attempts)
            log.warning("event delivery failed", extra={"consumer": handler.name, "event_id": row.id})
            break
        cursor.position = row.id
        cursor.failing_event_id = None
        cursor.attempts = 0
        cursor.next_attempt_at = None
        delivered += 1
    cursor.updated_at = now
    return delivered


async def deliver_once(kernel: Kernel, handlers: Sequence[EventHandler] | None = None, *, batch: int = BATCH) -> int:
    """One pass over every consumer; returns how many events were handled."""
    chosen = handlers_of(kernel.modules) if handlers is None else list(handlers)
    await ensure_cursors(kernel, chosen)
    delivered = 0
    for handler in chosen:
        async with kernel.db.transaction() as session:
            delivered += await _serve(kernel, session, handler, batch)
    return delivered


async def deliver_until_idle(
    kernel: Kernel, handlers: Sequence[EventHandler] | None = None, *, batch: int = BATCH
) -> int:
    """Passes until nothing more can be delivered now (failures wait for their retry time)."""
    total = 0
    while delivered := await deliver_once(kernel, handlers, batch=batch):
        total += delivered
    return total


async def consumer_states(kernel: Kernel) -> list[ConsumerState]:
    """Where every consumer stands: for the operator (`his events status`) and the tests."""
    async with kernel.db.transaction() as session:
        cursors = (await session.execute(select(OutboxCursor).order_by(OutboxCursor.consumer))).scalars().all()
        handlers = {h.name: h for h in handlers_of(kernel.modules)}
        states = []
        for cursor in cursors:
            handler = handlers.get(cursor.consumer)
            pending = 0
            if handler is not None:
                pending = len(
                    (
                        await session.execute(
                            select(OutboxRecord.id).where(
                                OutboxRecord.id > cursor.position,
                                OutboxRecord.event_type.in_(list(handler.event_types)),
                            )
                        )
                    ).all()
                )
            states.append(
                ConsumerState(
                    cursor.consumer,
                    cursor.position,
                    pending,
                    cursor.failing_event_id,
                    cursor.attempts,
                    cursor.last_error,
                    cursor.next_attempt_at,
                )
            )
        return states


class OutboxWorker:
    """The background delivery loop of one application process (started on startup, stopped on shutdown).

    Several processes may each run one: the cursor locks keep them from delivering an event twice at once.
    """

    # This process's running loops by kernel: the app's startup and shutdown hooks find theirs here. Process-local
    # on purpose (a task handle); the delivery state itself lives in the database.
    _running: ClassVar[dict[int, OutboxWorker]] = {}

    def __init__(self, kernel: Kernel, handlers: Sequence[EventHandler], poll_seconds: float = POLL_SECONDS) -> None:
        self.kernel = kernel
        self.handlers = list(handlers)
        self.poll_seconds = poll_seconds
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def start_for(cls, kernel: Kernel, poll_seconds: float = POLL_SECONDS) -> OutboxWorker | None:
        """Starts the loop when some module consumes events (none: nothing touches the database)."""
        handlers = handlers_of(kernel.modules)
        if not handlers or id(kernel) in cls._running:
            return cls._running.get(id(kernel))
        worker = cls(kernel, handlers, poll_seconds)
        worker._task = asyncio.create_task(worker._loop(), name="outbox-delivery")
        cls._running[id(kernel)] = worker
        return worker

    @classmethod
    async def stop_for(cls, kernel: Kernel) -> None:
        worker = cls._running.pop(id(kernel), None)
        if worker is not None:
            await worker.stop()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                delivered = await deliver_once(self.kernel, self.handlers)
            except asyncio.CancelledError:
                raise
            except Exception:  # a database outage must not end the loop; it retries
                log.exception("outbox delivery pass failed")
                delivered = 0
            if not delivered:
                await asyncio.sleep(self.poll_seconds)
