"""The module's part of the demo hospital, over the small test clinic: sessions, slots, the examination's
follow-up booked, phone bookings, past ones attended or closed as no-shows. Quick and repeatable."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from his.appointments.demo import seed_appointments
from his.appointments.models import Appointment, Schedule, Slot
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel
from tests.appointments.conftest import Clinic

pytestmark = pytest.mark.criterion(50)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_demo_seed(kernel: Kernel, clinic: Clinic, clock: FixedClock) -> None:
    clock.advance(timedelta(days=2))  # the examination is two days old, its follow-up still ahead
    await seed_appointments(kernel, random.Random(7))
    async with kernel.db.transaction() as session:
        schedules = await session.scalar(select(func.count()).select_from(Schedule))
        slots = await session.scalar(select(func.count()).select_from(Slot))
        follow_up = await session.scalar(select(Appointment).where(Appointment.from_visit_id == clinic.follow_up_visit))
        statuses = set((await session.scalars(select(Appointment.status))).all())
        past_booked = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.status == "booked", Appointment.day < clinic.follow_up_day - timedelta(days=5))
        )
    assert schedules == 2 * 5 * 1 + 5  # the demo doctor mornings and afternoons, the other doctor's mornings
    assert slots and slots > 0
    assert follow_up is not None and follow_up.day == clinic.follow_up_day and follow_up.source == "follow_up"
    assert statuses <= {"booked", "attended", "no_show"} and "booked" in statuses
    assert past_booked == 0  # every past day was closed
