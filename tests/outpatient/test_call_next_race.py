"""Two doctors calling the next patient of one room at the same moment get different patients, never a 500."""

from __future__ import annotations

import asyncio

import pytest

from his.kernel.errors import NotFound
from his.kernel.runtime import Kernel
from his.outpatient import service
from his.reception import api as reception
from tests.outpatient.conftest import DOCTOR, DOCTOR_ACTOR, ROOM, Clinic

pytestmark = pytest.mark.criterion(33)


async def test_concurrent_call_next_never_gives_one_patient_to_two_doctors(kernel: Kernel, clinic: Clinic) -> None:
    async def call(number: int) -> int | None:
        doctor = service.Doctor(f"{DOCTOR.username}{number}", f"{DOCTOR.full_name} {number}")
        try:
            async with kernel.db.transaction() as session:
                encounter = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, doctor, room_code=ROOM)
                return encounter.visit_id
        except NotFound:
            return None

    # Six doctors at once; before the fix a doctor whose colleague had just opened an examination was handed that
    # same examination back (opening one again returns it), one patient for two doctors on PostgreSQL.
    taken = await asyncio.gather(*(call(number) for number in range(6)))
    visits = [v for v in taken if v is not None]
    # Three patients wait: three doctors get one each, in queue order; the others find nobody left.
    assert sorted(visits) == sorted([clinic.man_visit, clinic.woman_visit, clinic.child_visit])


async def test_a_patient_called_a_moment_ago_is_not_given_to_a_second_doctor(
    kernel: Kernel, clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interleaving of the race, made deterministic: the second doctor's queue was read before the first
    doctor's call was committed, so it still shows the first patient waiting."""
    async with kernel.db.transaction() as session:
        stale = await reception.room_queue(session, room_code=ROOM, day=clinic.today)
    first = service.Doctor("bs.mot", "BS. Một")
    second = service.Doctor("bs.hai", "BS. Hai")
    async with kernel.db.transaction() as session:
        taken = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, first, room_code=ROOM)
    assert taken.visit_id == clinic.man_visit

    async def stale_queue(*_args: object, **_kwargs: object) -> object:
        return stale

    monkeypatch.setattr(service.reception, "room_queue", stale_queue)
    async with kernel.db.transaction() as session:
        next_one = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, second, room_code=ROOM)
    assert next_one.visit_id == clinic.woman_visit
    assert next_one.doctor == "bs.hai"
