"""Appointments against a real database (SQLite and PostgreSQL): slots, booking, follow-ups, check-in, no-shows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from his.appointments import api, rules, service
from his.appointments.models import Appointment, Slot
from his.appointments.schemas import BookIn, ClosureIn, ScheduleIn
from his.kernel.audit.models import AuditRecord
from his.kernel.clock import FixedClock
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel
from his.reception import service as reception_service
from his.reception.schemas import VisitIn
from tests.appointments.conftest import (
    ADMIN,
    DESK,
    DOCTOR_CODE,
    OTHER_DOCTOR,
    ROOM,
    TODAY,
    Clinic,
    add_schedules,
    slot_at,
)

pytestmark = pytest.mark.criterion(50)


async def book(kernel: Kernel, slot_id: int, patient_id: int, **extra: object) -> Appointment:
    async with kernel.db.transaction() as session:
        return await service.book(session, kernel.clock, DESK, BookIn(slot_id=slot_id, patient_id=patient_id, **extra))  # type: ignore[arg-type]


async def test_slots_follow_the_schedule_skip_weekends_and_closures(kernel: Kernel, clinic: Clinic) -> None:
    async with kernel.db.transaction() as session:
        await service.add_closure(session, kernel.clock, ADMIN, ClosureIn(day=TODAY + timedelta(days=2), reason="Lễ"))
    await add_schedules(kernel, days=7)  # Monday 23 .. Sunday 29 November
    async with kernel.db.transaction() as session:
        slots = list((await session.scalars(select(Slot).order_by(Slot.day, Slot.start_minute))).all())
        again = await service.generate_slots(session, kernel.clock, ADMIN, first=TODAY, last=TODAY + timedelta(days=6))
    days = sorted({s.day for s in slots})
    # Four working days (the Wednesday is a holiday), 8 half-hour slots a morning, two doctors.
    assert [d.isoformat() for d in days] == ["2026-11-23", "2026-11-24", "2026-11-26", "2026-11-27"]
    assert len(slots) == 4 * 8 * 2
    assert [rules.clock_text(s.start_minute) for s in slots if s.doctor_code == DOCTOR_CODE][:3] == [
        "07:30",
        "08:00",
        "08:30",
    ]
    assert again.created == 0 and again.already_there == len(slots) and again.closed_days == 2


async def test_a_schedule_is_checked_before_it_is_kept(kernel: Kernel, clinic: Clinic) -> None:
    cases = {
        ("25:00", "11:00", 15, 1): "start",
        ("08:00", "07:00", 15, 1): "end",
        ("08:00", "09:00", 2, 1): "slot_minutes",
        ("08:00", "08:10", 15, 1): "slot_minutes",
        ("08:00", "09:00", 15, 0): "capacity",
    }
    for (start, end, minutes, capacity), field in cases.items():
        with pytest.raises(InvalidInput) as refused:
            async with kernel.db.transaction() as session:
                await service.create_schedule(
                    session, kernel.clock, ADMIN, ScheduleIn(DOCTOR_CODE, ROOM, 0, start, end, minutes, capacity)
                )
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as nurse:
        async with kernel.db.transaction() as session:
            await service.create_schedule(session, kernel.clock, ADMIN, ScheduleIn("NV0200", ROOM, 0, "08:00", "09:00"))
    assert nurse.value.field == "doctor_code"


async def test_a_slot_takes_no_more_than_its_capacity(kernel: Kernel, clinic: Clinic) -> None:
    await add_schedules(kernel, capacity=2, days=2)
    slot = await slot_at(kernel, TODAY + timedelta(days=1), "08:00")
    await book(kernel, slot, clinic.insured)
    await book(kernel, slot, clinic.uninsured)
    with pytest.raises(Conflict):
        await book(kernel, slot, clinic.uninsured)
    async with kernel.db.transaction() as session:
        row = await session.get(Slot, slot)
        assert row is not None and row.booked == 2


async def test_concurrent_bookings_never_overfill_a_slot(kernel: Kernel, clinic: Clinic) -> None:
    """Twelve desks book the same three-place slot at the same moment, each in its own session: three win."""
    await add_schedules(kernel, capacity=3, days=2)
    slot = await slot_at(kernel, TODAY + timedelta(days=1), "09:00")

    async def attempt(index: int) -> int | None:
        patient = clinic.insured if index % 2 else clinic.uninsured
        try:
            return (await book(kernel, slot, patient)).id
        except Conflict:
            return None

    results = await asyncio.gather(*(attempt(i) for i in range(12)))
    assert len([r for r in results if r is not None]) == 3
    async with kernel.db.transaction() as session:
        row = await session.get(Slot, slot)
        live = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.slot_id == slot, Appointment.status == "booked")
        )
    assert row is not None and row.booked == 3 and live == 3


async def test_a_past_or_closed_slot_cannot_be_booked(kernel: Kernel, clinic: Clinic) -> None:
    await add_schedules(kernel, days=3)
    with pytest.raises(InvalidInput) as past:
        await book(kernel, await slot_at(kernel, TODAY, "07:30"), clinic.insured)  # starts at the clock's minute
    assert past.value.field == "slot_id"
    async with kernel.db.transaction() as session:
        _closure, touched = await service.add_closure(
            session,
            kernel.clock,
            ADMIN,
            ClosureIn(day=TODAY + timedelta(days=2), reason="Bác sĩ đi hội nghị", doctor_code=DOCTOR_CODE),
        )
    assert touched == 0
    with pytest.raises(Conflict):
        await book(kernel, await slot_at(kernel, TODAY + timedelta(days=2), "08:00"), clinic.insured)
    # The other doctor works that day.
    await book(kernel, await slot_at(kernel, TODAY + timedelta(days=2), "08:00", OTHER_DOCTOR), clinic.insured)
    with pytest.raises(NotFound):
        await book(kernel, 999999, clinic.insured)


async def test_the_follow_up_comes_from_the_examination(kernel: Kernel, clinic: Clinic) -> None:
    async with kernel.db.transaction() as session:
        follow_up = await api.follow_up_of(session, visit_id=clinic.follow_up_visit)
    assert follow_up.patient_id == clinic.insured
    assert follow_up.doctor_code == DOCTOR_CODE
    assert follow_up.room_code == ROOM
    assert follow_up.follow_up_date == clinic.follow_up_day
    assert follow_up.disposition == "follow_up"
    await add_schedules(kernel, days=10)
    slot = await slot_at(kernel, clinic.follow_up_day, "09:30")
    row = await book(kernel, slot, clinic.insured, source="phone", from_visit_id=clinic.follow_up_visit)
    assert row.source == "follow_up" and row.from_visit_code == follow_up.visit_code
    assert row.phone == "0912345678"  # from the patient's record
    assert row.code == f"{row.id:06d}/2026/GHKL"
    with pytest.raises(InvalidInput) as other:
        await book(kernel, slot, clinic.uninsured, from_visit_id=clinic.follow_up_visit)
    assert other.value.field == "from_visit_id"


async def test_cancel_and_reschedule_free_the_place_and_are_audited(kernel: Kernel, clinic: Clinic) -> None:
    await add_schedules(kernel, capacity=1, days=3)
    first = await slot_at(kernel, TODAY + timedelta(days=1), "08:00")
    second = await slot_at(kernel, TODAY + timedelta(days=1), "10:00")
    row = await book(kernel, first, clinic.insured)
    with pytest.raises(InvalidInput):
        async with kernel.db.transaction() as session:
            await service.cancel(session, kernel.clock, DESK, row.id, "  ")
    async with kernel.db.transaction() as session:
        moved = await service.reschedule(session, kernel.clock, DESK, row.id, second, "Bệnh nhân bận buổi sáng")
    async with kernel.db.transaction() as session:
        old = await service.get_appointment_row(session, row.id)
        slots = {s.id: s.booked for s in await service.slots_on(session, day=TODAY + timedelta(days=1))}
    assert old.status == "cancelled" and old.rescheduled_to_id == moved.id
    assert old.cancelled_reason == "Bệnh nhân bận buổi sáng"
    assert slots[first] == 0 and slots[second] == 1
    # The freed place can be taken again; the moved appointment can be cancelled, once.
    await book(kernel, first, clinic.uninsured)
    async with kernel.db.transaction() as session:
        await service.cancel(session, kernel.clock, DESK, moved.id, "Đã khỏi bệnh")
    with pytest.raises(Conflict):
        async with kernel.db.transaction() as session:
            await service.cancel(session, kernel.clock, DESK, moved.id, "lần nữa")
    async with kernel.db.transaction() as session:
        actions = list(
            (
                await session.scalars(
                    select(AuditRecord.action)
                    .where(AuditRecord.patient_id == str(clinic.insured))
                    .order_by(AuditRecord.id)
                )
            ).all()
        )
    assert actions.count("appointment.book") == 2
    assert "appointment.reschedule" in actions and "appointment.cancel" in actions


async def test_check_in_links_the_visit_of_the_day(kernel: Kernel, clinic: Clinic, clock: FixedClock) -> None:
    await add_schedules(kernel, days=2)
    row = await book(kernel, await slot_at(kernel, TODAY, "10:00"), clinic.uninsured)
    tomorrow = await book(kernel, await slot_at(kernel, TODAY + timedelta(days=1), "10:00"), clinic.uninsured)
    async with kernel.db.transaction() as session:
        visit = await reception_service.register_visit(
            session,
            kernel.clock,
            kernel.settings.hospital,
            DESK,
            VisitIn(patient_id=clinic.uninsured, room_code=ROOM, service_code="DV01001"),
        )
    with pytest.raises(Conflict):  # not today
        async with kernel.db.transaction() as session:
            await service.attend(session, kernel.clock, DESK, tomorrow.id)
    async with kernel.db.transaction() as session:
        attended = await service.attend(session, kernel.clock, DESK, row.id)
    assert attended.status == "attended" and attended.attended_visit_id == visit.id


async def test_missed_appointments_become_no_shows_after_the_day(
    kernel: Kernel, clinic: Clinic, clock: FixedClock
) -> None:
    await add_schedules(kernel, days=3)
    day = TODAY + timedelta(days=1)
    missed = await book(kernel, await slot_at(kernel, day, "08:00"), clinic.insured)
    came = await book(kernel, await slot_at(kernel, day, "08:30", OTHER_DOCTOR), clinic.uninsured)
    with pytest.raises(InvalidInput):  # the day has not passed
        async with kernel.db.transaction() as session:
            await service.close_day(session, kernel.clock, DESK, day)
    clock.advance(timedelta(days=1))
    async with kernel.db.transaction() as session:
        await service.attend(session, kernel.clock, DESK, came.id)
    clock.advance(timedelta(days=1))
    async with kernel.db.transaction() as session:
        assert await service.close_day(session, kernel.clock, DESK, day) == 1
        assert await service.close_day(session, kernel.clock, DESK, day) == 0
        statuses = {a.id: a.status for a in await service.appointments_on(session, day=day)}
        counts = await service.no_show_counts(session, first=day, last=day)
    assert statuses == {missed.id: "no_show", came.id: "attended"}
    lines = {line.doctor_code: line for line in rules.no_show_lines(counts)}
    assert (lines[DOCTOR_CODE].no_shows, lines[DOCTOR_CODE].rate_percent) == (1, 100)
    assert (lines[OTHER_DOCTOR].attended, lines[OTHER_DOCTOR].no_shows) == (1, 0)


async def test_reminders_list_tomorrows_live_appointments(kernel: Kernel, clinic: Clinic) -> None:
    await add_schedules(kernel, days=4)
    tomorrow = await book(kernel, await slot_at(kernel, TODAY + timedelta(days=1), "08:00"), clinic.insured)
    later = await book(kernel, await slot_at(kernel, TODAY + timedelta(days=3), "08:00"), clinic.uninsured)
    cancelled = await book(kernel, await slot_at(kernel, TODAY + timedelta(days=1), "09:00"), clinic.uninsured)
    async with kernel.db.transaction() as session:
        await service.cancel(session, kernel.clock, DESK, cancelled.id, "Gọi điện hủy")
        await service.mark_reminded(session, kernel.clock, DESK, tomorrow.id)
        one_day = await service.booked_between(session, first=TODAY + timedelta(days=1), last=TODAY + timedelta(days=1))
        three = await service.booked_between(session, first=TODAY + timedelta(days=1), last=TODAY + timedelta(days=3))
    assert [a.id for a in one_day] == [tomorrow.id]
    assert one_day[0].reminded_at == kernel.clock.now()
    assert [a.id for a in three] == [tomorrow.id, later.id]
