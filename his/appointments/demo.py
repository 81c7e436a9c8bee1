"""The demo hospital's appointments: weekday sessions of three doctors, their slots over the demo month (30 days
back, 30 ahead), the follow-ups the demo examinations asked for, some phone bookings for the coming days, and the
past ones attended or missed (closed as no-shows), so that every page of the module has something to show.

Bookings of past days are made with a clock set to the moment of the examination (the service refuses to book a
past slot), check-ins with a clock set to the appointment's time. Deterministic for one random source and one day.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from his.appointments import rules, service
from his.appointments.schemas import BookIn, ScheduleIn
from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import get_user
from his.kernel.clock import FixedClock, local_date
from his.kernel.errors import DomainError
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.outpatient.schemas import EncounterOut
from his.reception import api as reception
from his.reception.schemas import VisitOut

DEMO_DAYS = 30
# Follow-ups booked from the examinations of the last days, at most so many: reading examinations one by one
# through the outpatient api is what the seed spends its time on.
FOLLOW_UP_DAYS = 2
MAX_FOLLOW_UPS = 30
PHONE_BOOKINGS = 25
ATTENDED_SHARE = 0.8
DEMO_DOCTOR = "bacsi"  # examines every demo visit (his.outpatient.demo)
# (room, sessions as (start, end)): the demo doctor, then two more doctors from the staff catalog.
PLANS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("PK-NOI1", (("07:30", "11:30"), ("13:30", "16:30"))),
    ("PK-NOI2", (("07:30", "11:30"),)),
    ("PK-TIM1", (("13:30", "16:30"),)),
)


async def _actor(kernel: Kernel, username: str, role: str) -> AuditActor:
    async with kernel.db.transaction() as session:
        try:
            user_id: int | None = (await get_user(session, username)).id
        except DomainError:
            user_id = None
    return AuditActor(user_id=user_id, username=username, role=role, client_ip=None, request_id="demo-seed")


async def _doctors(kernel: Kernel, today: date) -> list[str]:
    """The demo doctor's staff code first, then the first two other doctors of the staff catalog."""
    async with kernel.db.transaction() as session:
        try:
            own = (await get_user(session, DEMO_DOCTOR)).staff_code
        except DomainError:
            own = None
        staff = (await catalogs.search(session, kind="staff", as_of=today, limit=200)).items
    others = [s.code for s in staff if getattr(s, "role", "") == "doctor" and s.code != own]
    return ([own] if own else []) + others[: len(PLANS) - (1 if own else 0)]


async def _schedules(kernel: Kernel, admin: AuditActor, doctors: list[str], first: date) -> None:
    async with kernel.db.transaction() as session:
        for doctor, (room, sessions) in zip(doctors, PLANS, strict=False):
            if await catalogs.get_clinic_room(session, code=room, as_of=first) is None:
                continue  # a hospital without this room (or a test clinic): no session there
            for weekday in range(5):
                for start, end in sessions:
                    data = ScheduleIn(doctor, room, weekday, start, end, slot_minutes=15, capacity=2, valid_from=first)
                    await service.create_schedule(session, kernel.clock, admin, data)


async def _free_slot(kernel: Kernel, day: date, doctor: str | None, rng: random.Random) -> int | None:
    async with kernel.db.transaction() as session:
        slots = await service.slots_on(session, day=day, doctor_code=doctor)
    free = [s.id for s in slots if not s.closed and s.booked < s.capacity]
    return rng.choice(free) if free else None


async def _book(kernel: Kernel, clock: FixedClock, actor: AuditActor, data: BookIn) -> tuple[int, date, int] | None:
    try:
        async with kernel.db.transaction() as session:
            row = await service.book(session, clock, actor, data)
            return row.id, row.day, row.start_minute
    except DomainError:
        return None  # the slot filled up meanwhile, or the day is a closure: skip this one


async def _follow_ups(
    kernel: Kernel, desk: AuditActor, today: date, doctor: str | None, rng: random.Random
) -> list[tuple[int, date, int, int]]:
    async with kernel.db.transaction() as session:
        visits = await reception.finished_visits(
            session, date_from=today - timedelta(days=FOLLOW_UP_DAYS), date_to=today
        )
        asked: list[tuple[VisitOut, EncounterOut]] = []
        for visit in reversed(visits):
            if len(asked) >= MAX_FOLLOW_UPS:
                break
            encounter = await outpatient.find_encounter(session, visit_id=visit.id)
            if (
                encounter
                and encounter.disposition == "follow_up"
                and encounter.follow_up_date
                and encounter.finished_at
            ):
                asked.append((visit, encounter))
    booked = []
    for visit, encounter in asked:
        if encounter.follow_up_date is None or encounter.finished_at is None:
            continue
        slot = await _free_slot(kernel, encounter.follow_up_date, doctor, rng)
        if slot is None:
            continue
        data = BookIn(slot_id=slot, patient_id=visit.patient_id, source="follow_up", from_visit_id=visit.id)
        done = await _book(kernel, FixedClock(encounter.finished_at + timedelta(minutes=5)), desk, data)
        if done:
            booked.append((*done, visit.patient_id))
    return booked


async def _phone_bookings(
    kernel: Kernel, desk: AuditActor, today: date, rng: random.Random
) -> list[tuple[int, date, int, int]]:
    async with kernel.db.transaction() as session:
        visits = await reception.finished_visits(session, date_from=today - timedelta(days=3), date_to=today)
    patients = sorted({v.patient_id for v in visits})
    booked = []
    for _ in range(PHONE_BOOKINGS if patients else 0):
        back = rng.randint(-DEMO_DAYS + 2, DEMO_DAYS - 2)
        day = today + timedelta(days=back)
        slot = await _free_slot(kernel, day, None, rng)
        if slot is None:
            continue
        called = rules.local_moment(day - timedelta(days=rng.randint(1, 7)), 9 * 60 + rng.randint(0, 400))
        data = BookIn(slot_id=slot, patient_id=rng.choice(patients), source="phone")
        done = await _book(kernel, FixedClock(called), desk, data)
        if done:
            booked.append((*done, 0))
    return booked


async def seed_appointments(kernel: Kernel, rng: random.Random) -> None:
    today = local_date(kernel.clock.now())
    first, last = today - timedelta(days=DEMO_DAYS), today + timedelta(days=DEMO_DAYS)
    admin = await _actor(kernel, "admin", "admin")
    desk = await _actor(kernel, "letan", "receptionist")
    doctors = await _doctors(kernel, today)
    if not doctors:
        return
    await _schedules(kernel, admin, doctors, first)
    async with kernel.db.transaction() as session:
        await service.generate_slots(session, kernel.clock, admin, first=first, last=last)
    booked = await _follow_ups(kernel, desk, today, doctors[0], rng)
    booked += await _phone_bookings(kernel, desk, today, rng)
    for appointment_id, day, minute, _patient in booked:
        if day < today and rng.random() < ATTENDED_SHARE:
            arrived = FixedClock(rules.local_moment(day, minute) - timedelta(minutes=rng.randint(0, 20)))
            async with kernel.db.transaction() as session:
                await service.attend(session, arrived, desk, appointment_id)
    async with kernel.db.transaction() as session:
        await service.close_past_days(session, kernel.clock, desk)
