"""The demo hospital's queues: counters for reception, cashier and pharmacy, a queue per clinic room, a morning."""

from __future__ import annotations

import random

import pytest

from his.kernel.runtime import Kernel
from his.queues import api
from his.queues.demo import seed_queues
from tests.reception.conftest import build_hospital


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_demo_seed(kernel: Kernel) -> None:
    await build_hospital(kernel)  # two clinic rooms in the catalogs
    await seed_queues(kernel, random.Random(7))
    async with kernel.db.transaction() as session:
        points = await api.service_points(session)
        board = await api.board(session, kernel.clock, point_codes=["TIEPDON"])
    codes = {p.code for p in points}
    assert {"TIEPDON", "THUNGAN", "NHATHUOC", "PK-NOI1", "PK-NHI1"} <= codes
    clinic = next(p for p in points if p.code == "PK-NOI1")
    assert clinic.kind == "clinic" and clinic.room_code == "PK-NOI1" and clinic.counters[0].label == "Phòng khám Nội 1"
    assert [c.counter_code for c in board.called] == ["TD1"]
    assert board.lines[0].waiting == 4
