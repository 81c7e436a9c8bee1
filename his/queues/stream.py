"""The live display feed: reads queue state from the database, never from process memory, so any number of
workers serve the same displays and a restart loses nothing (the browser reconnects with Last-Event-ID)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import msgspec

from his.kernel.runtime import Kernel
from his.queues import api

POLL_SECONDS = 0.3
HEARTBEAT_SECONDS = 15.0
# After a reconnect, only calls this recent are read aloud again; older ones would only confuse the hall.
REPLAY_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class StreamMessage:
    event: str  # "board" | "call" | "ping"
    id: int | None
    data: str


async def display_feed(
    kernel: Kernel,
    gettext: Callable[..., str],
    *,
    point_codes: list[str] | None,
    resume_after: int | None,
    max_seconds: float,
    poll_seconds: float = POLL_SECONDS,
) -> AsyncIterator[StreamMessage]:
    """The board at once, then every call (with its announcement) and the new board whenever the monotonic
    queue event id moves; ends after `max_seconds` (the browser reconnects and resumes)."""
    deadline = time.monotonic() + max_seconds
    async with kernel.db.transaction() as session:
        board = await api.board(session, kernel.clock, point_codes=point_codes)
        replay = []
        if resume_after is not None and resume_after < board.event_id:
            replay = await api.events_after(session, gettext, after_id=resume_after, point_codes=point_codes)
    cutoff = kernel.clock.now() - REPLAY_WINDOW
    for event in replay:
        if event.id <= board.event_id and event.announcement and event.at >= cutoff:
            yield StreamMessage("call", event.id, msgspec.json.encode(event).decode())
    yield StreamMessage("board", board.event_id, msgspec.json.encode(board).decode())
    cursor = board.event_id
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(poll_seconds)
        async with kernel.db.transaction() as session:
            if await api.last_event_id(session) <= cursor:
                if time.monotonic() - quiet_since >= HEARTBEAT_SECONDS:
                    quiet_since = time.monotonic()
                    yield StreamMessage("ping", None, "")
                continue
            board = await api.board(session, kernel.clock, point_codes=point_codes)
            events = await api.events_after(session, gettext, after_id=cursor, point_codes=point_codes)
        for event in events:
            if event.id <= board.event_id and event.announcement:
                yield StreamMessage("call", event.id, msgspec.json.encode(event).decode())
        cursor = board.event_id
        quiet_since = time.monotonic()
        yield StreamMessage("board", cursor, msgspec.json.encode(board).decode())
