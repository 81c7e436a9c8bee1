"""The live display feed, in process: a call made through one worker reaches a display fed by another."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from his.app import installed_modules
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.queues import service
from his.queues.stream import display_feed
from his.settings import Settings
from tests.queues.conftest import KIOSK, STAFF, Points

pytestmark = pytest.mark.criterion(44)


async def test_a_call_on_another_worker_reaches_the_display_within_a_second(
    settings: Settings, queue_kernel: Kernel, points: Points
) -> None:
    async with queue_kernel.db.transaction() as session:
        await service.issue_ticket(
            session, queue_kernel.clock, KIOSK, service_point_code=points.reception, priority_code="normal"
        )
    other_worker = build_kernel(settings, installed_modules(), FixedClock(queue_kernel.clock.now()))

    def vietnamese(message: str, **params: object) -> str:
        return queue_kernel.translator.gettext("vi", message, params or None)

    feed = display_feed(queue_kernel, vietnamese, point_codes=[points.reception], resume_after=None, max_seconds=10)
    try:
        first = await anext(feed)
        assert first.event == "board" and json.loads(first.data)["called"] == []
        async with other_worker.db.transaction() as session:
            await service.call_next(session, other_worker.clock, STAFF, counter_code=points.desk_one)
        started = time.monotonic()
        call = await asyncio.wait_for(anext(feed), timeout=1.0)
        assert time.monotonic() - started < 1.0
        assert call.event == "call"
        assert json.loads(call.data)["announcement"] == "Mời số A 1 đến quầy 1"
        board = await asyncio.wait_for(anext(feed), timeout=1.0)
        assert board.event == "board" and board.id == call.id
        assert [(c["counter_code"], c["label"]) for c in json.loads(board.data)["called"]] == [
            (points.desk_one, "A001")
        ]
    finally:
        await feed.aclose()
        await other_worker.db.dispose()


async def test_a_reconnecting_display_hears_the_calls_it_missed(queue_kernel: Kernel, points: Points) -> None:
    async with queue_kernel.db.transaction() as session:
        for _ in range(2):
            await service.issue_ticket(
                session, queue_kernel.clock, KIOSK, service_point_code=points.reception, priority_code="normal"
            )
        await service.call_next(session, queue_kernel.clock, STAFF, counter_code=points.desk_one)
        await service.call_next(session, queue_kernel.clock, STAFF, counter_code=points.desk_two)

    def english(message: str, **params: object) -> str:
        return queue_kernel.translator.gettext("en", message, params or None)

    # Seen up to the two tickets (events 1 and 2); the two calls (events 3 and 4) happened while away.
    feed = display_feed(queue_kernel, english, point_codes=None, resume_after=2, max_seconds=0.01)
    messages = [message async for message in feed]
    assert [(m.event, m.id) for m in messages] == [("call", 3), ("call", 4), ("board", 4)]
    assert json.loads(messages[1].data)["announcement"] == "Number A 2, please come to quầy 2"
