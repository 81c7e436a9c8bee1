"""Two doctors calling the next patient of one room at the same moment get different patients, never a 500."""

from __future__ import annotations

import asyncio

import pytest

from his.kernel.errors import NotFound
from his.kernel.runtime import Kernel
from his.outpatient import service
from tests.outpatient.conftest import DOCTOR, DOCTOR_ACTOR, ROOM, Clinic

pytestmark = pytest.mark.criterion(33)


async def test_concurrent_call_next_never_gives_one_patient_to_two_doctors(kernel: Kernel, clinic: Clinic) -> None:
    async def call() -> int | None:
        try:
            async with kernel.db.transaction() as session:
                encounter = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, room_code=ROOM)
                return encounter.visit_id
        except NotFound:
            return None

    taken = await asyncio.gather(*(call() for _ in range(6)))
    visits = [v for v in taken if v is not None]
    # Three patients wait: three doctors get one each, in queue order; the others find nobody left.
    assert sorted(visits) == sorted([clinic.man_visit, clinic.woman_visit, clinic.child_visit])
