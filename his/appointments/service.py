"""Use cases of the appointments module: the only code that writes its tables.

A slot is never booked beyond its capacity: a place is taken by one conditional UPDATE
(`booked = booked + 1 WHERE booked < capacity`). On PostgreSQL a second transaction updating the same slot waits for
the first to commit and then re-checks the condition on the committed row; on SQLite `BEGIN IMMEDIATE` serialises
writers. Either way two desks cannot both take the last place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from his.appointments import rules
from his.appointments.models import Appointment, Closure, Schedule, Slot
from his.appointments.schemas import BookIn, ClosureIn, FollowUpOut, GenerateOut, ScheduleIn
from his.catalogs import api as catalogs
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.auth.service import get_user
from his.kernel.clock import Clock, local_date
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.i18n import lazy
from his.outpatient import api as outpatient
from his.patients import api as patients
from his.reception import api as reception

MSG_NO_DOCTOR = lazy("No doctor {code} in the staff catalog")
MSG_NO_ROOM = lazy("No clinic room {code} in force")
MSG_NO_SLOT = lazy("No slot {id}")
MSG_SLOT_FULL = lazy("This slot is full; choose another time")
MSG_SLOT_CLOSED = lazy("This slot is closed")
MSG_NO_APPOINTMENT = lazy("No appointment {id}")
MSG_NOT_BOOKED = lazy("The appointment is no longer booked: it was attended, missed or cancelled")
MSG_MERGED = lazy("This record was merged into another; book on that record")
MSG_OTHER_PATIENT = lazy("Visit {id} is another patient's")
MSG_NOT_TODAY = lazy("A patient is checked in on the day of the appointment")
MSG_DAY_NOT_OVER = lazy("The day is not over yet")
MSG_SAME_SLOT = lazy("Choose another slot than the current one")
MSG_NO_SCHEDULE = lazy("No schedule {id}")
DOCTOR_ROLES = frozenset({"doctor", "radiologist"})


def refuse(findings: Sequence[rules.Finding]) -> None:
    """Raises the first problem as InvalidInput naming its field (the form shows it beside that field)."""
    for finding in findings:
        raise InvalidInput(finding.message, field=finding.field, **finding.params)


async def _audit(
    session: AsyncSession,
    clock: Clock,
    actor: AuditActor,
    action: str,
    object_id: str,
    *,
    patient_id: int | None = None,
    detail: str | None = None,
    object_type: str = "appointment",
) -> None:
    entry = AuditEntry(
        action=action,
        object_type=object_type,
        object_id=object_id[:64],
        patient_id=str(patient_id) if patient_id is not None else None,
        detail=detail[:500] if detail else None,
    )
    await append_audit(session, clock, actor, entry)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


# ---------------------------------------------------------------- schedules, closures, slots


def session_of(schedule: Schedule) -> rules.Session:
    return rules.Session(
        schedule.weekday,
        schedule.start_minute,
        schedule.end_minute,
        schedule.slot_minutes,
        schedule.capacity,
        schedule.valid_from,
        schedule.valid_to,
    )


async def _doctor_name(session: AsyncSession, code: str, day: date) -> str:
    staff = await catalogs.get_staff(session, code=code.strip(), as_of=day)
    if staff is None or staff.role not in DOCTOR_ROLES:
        raise InvalidInput(MSG_NO_DOCTOR, field="doctor_code", code=code.strip()[:32])
    return f"{staff.title} {staff.name}" if staff.title else staff.name


async def _check_room(session: AsyncSession, code: str, day: date) -> str:
    room = await catalogs.get_clinic_room(session, code=code.strip(), as_of=day)
    if room is None:
        raise InvalidInput(MSG_NO_ROOM, field="room_code", code=code.strip()[:32])
    return room.code


async def create_schedule(session: AsyncSession, clock: Clock, actor: AuditActor, data: ScheduleIn) -> Schedule:
    today = local_date(clock.now())
    start, end = rules.parse_minute(data.start), rules.parse_minute(data.end)
    if start is None:
        raise InvalidInput(rules.MSG_TIME, field="start")
    if end is None:
        raise InvalidInput(rules.MSG_TIME, field="end")
    valid_from = data.valid_from or today
    refuse(
        rules.session_problems(
            rules.Session(data.weekday, start, end, data.slot_minutes, data.capacity, valid_from, data.valid_to)
        )
    )
    doctor_name = await _doctor_name(session, data.doctor_code, valid_from)
    room_code = await _check_room(session, data.room_code, valid_from)
    schedule = Schedule(
        doctor_code=data.doctor_code.strip(),
        doctor_name=doctor_name,
        room_code=room_code,
        weekday=data.weekday,
        start_minute=start,
        end_minute=end,
        slot_minutes=data.slot_minutes,
        capacity=data.capacity,
        valid_from=valid_from,
        valid_to=data.valid_to,
        active=True,
        changed_at=clock.now(),
        changed_by=actor.username or "",
    )
    session.add(schedule)
    await session.flush()
    detail = (
        f"{schedule.doctor_code} {room_code} weekday {data.weekday} {data.start}-{data.end} "
        f"{data.slot_minutes} min x {data.capacity}"
    )
    await _audit(session, clock, actor, "schedule.create", str(schedule.id), object_type="schedule", detail=detail)
    return schedule


async def deactivate_schedule(session: AsyncSession, clock: Clock, actor: AuditActor, schedule_id: int) -> Schedule:
    """Stops generating slots from the schedule; slots already generated (and their bookings) stay."""
    schedule = await session.get(Schedule, schedule_id, with_for_update=True)
    if schedule is None:
        raise NotFound(MSG_NO_SCHEDULE, id=schedule_id)
    schedule.active = False
    schedule.changed_at = clock.now()
    schedule.changed_by = actor.username or ""
    await session.flush()
    await _audit(session, clock, actor, "schedule.deactivate", str(schedule.id), object_type="schedule")
    return schedule


async def list_schedules(session: AsyncSession, *, active_only: bool = False) -> list[Schedule]:
    query = select(Schedule).order_by(Schedule.doctor_name, Schedule.weekday, Schedule.start_minute)
    if active_only:
        query = query.where(Schedule.active.is_(True))
    return list((await session.scalars(query)).all())


def _closure_matches(query: Any, closure: Closure) -> Any:
    query = query.where(Slot.day == closure.day)
    if closure.room_code:
        query = query.where(Slot.room_code == closure.room_code)
    if closure.doctor_code:
        query = query.where(Slot.doctor_code == closure.doctor_code)
    return query


async def add_closure(session: AsyncSession, clock: Clock, actor: AuditActor, data: ClosureIn) -> tuple[Closure, int]:
    """Closes the day (for everybody, a room or a doctor): its slots take no more bookings. Returns the closure
    and how many live appointments it touches (they are kept: the desk calls these patients to move them)."""
    reason = data.reason.strip()
    if not reason:
        raise InvalidInput(rules.MSG_REASON, field="reason")
    room = await _check_room(session, data.room_code, data.day) if data.room_code else None
    doctor = data.doctor_code.strip() if data.doctor_code else None
    if doctor:
        await _doctor_name(session, doctor, data.day)
    closure = Closure(
        day=data.day,
        room_code=room,
        doctor_code=doctor,
        reason=reason[:300],
        created_at=clock.now(),
        created_by=actor.username or "",
    )
    session.add(closure)
    await session.flush()
    await session.execute(_closure_matches(update(Slot), closure).values(closed=True))
    touched = await session.scalar(
        _closure_matches(
            select(func.count()).select_from(Appointment).join(Slot, Slot.id == Appointment.slot_id), closure
        ).where(Appointment.status == "booked")
    )
    await _audit(
        session,
        clock,
        actor,
        "closure.create",
        str(closure.id),
        object_type="closure",
        detail=f"{data.day.isoformat()} room {room or '*'} doctor {doctor or '*'}: {reason}",
    )
    return closure, int(touched or 0)


async def booked_inside(session: AsyncSession, closure: Closure) -> int:
    query = select(func.count()).select_from(Appointment).join(Slot, Slot.id == Appointment.slot_id)
    return int(await session.scalar(_closure_matches(query, closure).where(Appointment.status == "booked")) or 0)


async def list_closures(session: AsyncSession, *, first: date, last: date) -> list[Closure]:
    rows = await session.scalars(
        select(Closure).where(Closure.day >= first, Closure.day <= last).order_by(Closure.day, Closure.id)
    )
    return list(rows.all())


async def generate_slots(
    session: AsyncSession, clock: Clock, actor: AuditActor, *, first: date, last: date
) -> GenerateOut:
    """The slots of every active schedule for the days first..last (both included), skipping closed days.
    Idempotent: a slot that exists (same doctor, day and start) is left as it is, with its bookings."""
    refuse(rules.range_problems(first, last))
    schedules = await list_schedules(session, active_only=True)
    closures = [
        rules.ClosureRule(c.day, c.room_code, c.doctor_code)
        for c in await list_closures(session, first=first, last=last)
    ]
    found = await session.execute(
        select(Slot.doctor_code, Slot.day, Slot.start_minute).where(Slot.day >= first, Slot.day <= last)
    )
    existing: set[tuple[str, date, int]] = {(code, day, start) for code, day, start in found}
    rows: list[dict[str, object]] = []
    already = closed_days = 0
    for day in rules.days_between(first, last):
        for schedule in schedules:
            plan = session_of(schedule)
            if not rules.runs_on(plan, day):
                continue
            if rules.is_closed(closures, day=day, room_code=schedule.room_code, doctor_code=schedule.doctor_code):
                closed_days += 1
                continue
            for start, end in rules.slot_times(plan):
                key = (schedule.doctor_code, day, start)
                if key in existing:
                    already += 1
                    continue
                existing.add(key)
                rows.append(
                    {
                        "schedule_id": schedule.id,
                        "doctor_code": schedule.doctor_code,
                        "doctor_name": schedule.doctor_name,
                        "room_code": schedule.room_code,
                        "day": day,
                        "start_minute": start,
                        "end_minute": end,
                        "capacity": schedule.capacity,
                        "booked": 0,
                        "closed": False,
                    }
                )
    created = 0
    for index in range(0, len(rows), 500):
        # Another desk generating the same days at once: its slots win, ours are skipped (no error, no double).
        statement = _insert(session)(Slot).values(rows[index : index + 500]).on_conflict_do_nothing()
        result = await session.execute(statement)
        created += max(result.rowcount or 0, 0)  # type: ignore[attr-defined]
    await _audit(
        session,
        clock,
        actor,
        "slots.generate",
        f"{first.isoformat()}..{last.isoformat()}",
        object_type="slots",
        detail=f"{created} created, {already} already there, {closed_days} closed",
    )
    return GenerateOut(created=created, already_there=already, closed_days=closed_days)


async def slots_on(
    session: AsyncSession, *, day: date, doctor_code: str | None = None, room_code: str | None = None
) -> list[Slot]:
    query = select(Slot).where(Slot.day == day).order_by(Slot.start_minute, Slot.doctor_name)
    if doctor_code:
        query = query.where(Slot.doctor_code == doctor_code)
    if room_code:
        query = query.where(Slot.room_code == room_code)
    return list((await session.scalars(query)).all())


async def doctors_with_slots(session: AsyncSession, *, first: date, last: date) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(Slot.doctor_code, Slot.doctor_name)
        .where(Slot.day >= first, Slot.day <= last)
        .distinct()
        .order_by(Slot.doctor_name)
    )
    return [(code, name) for code, name in rows]


# ---------------------------------------------------------------- booking


async def take_place(session: AsyncSession, slot_id: int) -> Slot:
    """Takes one place in the slot, or refuses (NotFound, closed, full). The row stays locked until commit."""
    statement = (
        update(Slot)
        .where(Slot.id == slot_id, Slot.closed.is_(False), Slot.booked < Slot.capacity)
        .values(booked=Slot.booked + 1)
        .returning(Slot.id)
    )
    taken = (await session.execute(statement)).scalar_one_or_none()
    slot = await session.get(Slot, slot_id, populate_existing=True)
    if slot is None:
        raise NotFound(MSG_NO_SLOT, id=slot_id)
    if taken is None:
        raise Conflict(MSG_SLOT_CLOSED if slot.closed else MSG_SLOT_FULL)
    return slot


async def release_place(session: AsyncSession, slot_id: int) -> None:
    await session.execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1))


async def _slot_for_booking(session: AsyncSession, clock: Clock, slot_id: int, phone: str) -> Slot:
    slot = await session.get(Slot, slot_id)
    if slot is None:
        raise NotFound(MSG_NO_SLOT, id=slot_id)
    refuse(rules.booking_problems(day=slot.day, start_minute=slot.start_minute, now=clock.now(), phone=phone))
    return slot


async def book(session: AsyncSession, clock: Clock, actor: AuditActor, data: BookIn) -> Appointment:
    if data.source not in rules.SOURCES:
        raise InvalidInput(lazy("Unknown kind of booking: {value}"), field="source", value=data.source[:20])
    patient = await patients.get_patient(session, patient_id=data.patient_id)
    if patient.merged_into_id is not None:
        raise Conflict(MSG_MERGED)
    phone_text = data.phone.strip() or patient.phone or patient.guardian_phone or ""
    await _slot_for_booking(session, clock, data.slot_id, data.phone.strip())
    visit_code = None
    if data.from_visit_id is not None:
        visit = await reception.get_visit(session, visit_id=data.from_visit_id)
        if visit.patient_id != patient.id:
            raise InvalidInput(MSG_OTHER_PATIENT, field="from_visit_id", id=data.from_visit_id)
        visit_code = visit.code
    slot = await take_place(session, data.slot_id)
    now = clock.now()
    appointment = Appointment(
        code=f"pending-{slot.id}-{now.timestamp()}",
        slot_id=slot.id,
        patient_id=patient.id,
        doctor_code=slot.doctor_code,
        doctor_name=slot.doctor_name,
        room_code=slot.room_code,
        day=slot.day,
        start_minute=slot.start_minute,
        status="booked",
        source="follow_up" if data.from_visit_id is not None else data.source,
        from_visit_id=data.from_visit_id,
        from_visit_code=visit_code,
        phone=rules.normalised_phone(phone_text) or phone_text[:20],
        note=data.note.strip()[:300],
        booked_at=now,
        booked_by=actor.username or "",
    )
    session.add(appointment)
    await session.flush()
    appointment.code = rules.paper_code(appointment.id, local_date(now))
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        "appointment.book",
        appointment.code,
        patient_id=patient.id,
        detail=f"{slot.day.isoformat()} {rules.clock_text(slot.start_minute)} {slot.doctor_code} {slot.room_code}; "
        f"{appointment.source}" + (f" from visit {visit_code}" if visit_code else ""),
    )
    return appointment


async def get_appointment_row(session: AsyncSession, appointment_id: int, *, for_update: bool = False) -> Appointment:
    appointment = await session.get(
        Appointment, appointment_id, with_for_update=for_update, populate_existing=for_update
    )
    if appointment is None:
        raise NotFound(MSG_NO_APPOINTMENT, id=appointment_id)
    return appointment


def _require_booked(appointment: Appointment) -> None:
    if appointment.status != "booked":
        raise Conflict(MSG_NOT_BOOKED)


def _reason(text: str) -> str:
    reason = text.strip()
    if not reason:
        raise InvalidInput(rules.MSG_REASON, field="reason")
    return reason[:300]


async def cancel(
    session: AsyncSession, clock: Clock, actor: AuditActor, appointment_id: int, reason: str
) -> Appointment:
    why = _reason(reason)
    appointment = await get_appointment_row(session, appointment_id, for_update=True)
    _require_booked(appointment)
    appointment.status = "cancelled"
    appointment.cancelled_at = clock.now()
    appointment.cancelled_reason = why
    await release_place(session, appointment.slot_id)
    await session.flush()
    await _audit(
        session, clock, actor, "appointment.cancel", appointment.code, patient_id=appointment.patient_id, detail=why
    )
    return appointment


async def reschedule(
    session: AsyncSession, clock: Clock, actor: AuditActor, appointment_id: int, slot_id: int, reason: str
) -> Appointment:
    """Moves a booked appointment to another slot: a new appointment (and paper number); the old one is cancelled
    with the reason and points to the new one. Returns the new appointment."""
    why = _reason(reason)
    old = await get_appointment_row(session, appointment_id, for_update=True)
    _require_booked(old)
    if old.slot_id == slot_id:
        raise InvalidInput(MSG_SAME_SLOT, field="slot_id")
    new = await book(
        session,
        clock,
        actor,
        BookIn(
            slot_id=slot_id,
            patient_id=old.patient_id,
            source=old.source,
            from_visit_id=old.from_visit_id,
            phone=old.phone,
            note=old.note,
        ),
    )
    old.status = "cancelled"
    old.cancelled_at = clock.now()
    old.cancelled_reason = why
    old.rescheduled_to_id = new.id
    await release_place(session, old.slot_id)
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        "appointment.reschedule",
        old.code,
        patient_id=old.patient_id,
        detail=f"to {new.code} ({new.day.isoformat()} {rules.clock_text(new.start_minute)}): {why}",
    )
    return new


async def _visit_today(session: AsyncSession, appointment: Appointment, today: date) -> int | None:
    """The patient's visit registered today in the appointment's room, when reception has one."""
    queue = await reception.room_queue(session, room_code=appointment.room_code, day=today)
    mine = [visit for visit in queue if visit.patient_id == appointment.patient_id and visit.status != "cancelled"]
    return mine[-1].id if mine else None


async def attend(
    session: AsyncSession, clock: Clock, actor: AuditActor, appointment_id: int, visit_id: int | None = None
) -> Appointment:
    """Checks the patient in: attended, linked to the reception visit given or found in the room's queue today."""
    appointment = await get_appointment_row(session, appointment_id, for_update=True)
    _require_booked(appointment)
    now = clock.now()
    today = local_date(now)
    if appointment.day != today:
        raise Conflict(MSG_NOT_TODAY)
    if visit_id is not None:
        visit = await reception.get_visit(session, visit_id=visit_id)
        if visit.patient_id != appointment.patient_id:
            raise InvalidInput(MSG_OTHER_PATIENT, field="visit_id", id=visit_id)
    else:
        visit_id = await _visit_today(session, appointment, today)
    appointment.status = "attended"
    appointment.attended_at = now
    appointment.attended_visit_id = visit_id
    await session.flush()
    await _audit(
        session,
        clock,
        actor,
        "appointment.attend",
        appointment.code,
        patient_id=appointment.patient_id,
        detail=f"visit {visit_id}" if visit_id else "by hand",
    )
    return appointment


async def mark_reminded(session: AsyncSession, clock: Clock, actor: AuditActor, appointment_id: int) -> Appointment:
    appointment = await get_appointment_row(session, appointment_id, for_update=True)
    _require_booked(appointment)
    appointment.reminded_at = clock.now()
    appointment.reminded_by = actor.username or ""
    await session.flush()
    await _audit(session, clock, actor, "appointment.remind", appointment.code, patient_id=appointment.patient_id)
    return appointment


# ---------------------------------------------------------------- lists and no-shows


async def close_day(session: AsyncSession, clock: Clock, actor: AuditActor, day: date) -> int:
    """Every appointment of a past day still booked becomes a no-show; returns how many. Idempotent."""
    if not day < local_date(clock.now()):
        raise InvalidInput(MSG_DAY_NOT_OVER, field="day")
    # RETURNING the rows this statement changed: a second desk closing the same day at once counts none twice.
    result = await session.execute(
        update(Appointment)
        .where(Appointment.day == day, Appointment.status == "booked")
        .values(status="no_show")
        .returning(Appointment.id)
    )
    missed = sorted(result.scalars().all())
    if not missed:
        return 0
    await _audit(
        session,
        clock,
        actor,
        "appointments.close_day",
        day.isoformat(),
        object_type="day",
        detail=f"{len(missed)} no-shows: appointments " + ",".join(str(i) for i in missed),
    )
    return len(missed)


async def close_past_days(session: AsyncSession, clock: Clock, actor: AuditActor) -> int:
    """Closes every past day that still has booked appointments (statistics count them as no-shows)."""
    today = local_date(clock.now())
    days = (
        await session.scalars(
            select(Appointment.day).where(Appointment.day < today, Appointment.status == "booked").distinct()
        )
    ).all()
    return sum([await close_day(session, clock, actor, day) for day in sorted(days)])


async def appointments_on(
    session: AsyncSession, *, day: date, doctor_code: str | None = None, room_code: str | None = None
) -> list[Appointment]:
    query = select(Appointment).where(Appointment.day == day).order_by(Appointment.start_minute, Appointment.id)
    if doctor_code:
        query = query.where(Appointment.doctor_code == doctor_code)
    if room_code:
        query = query.where(Appointment.room_code == room_code)
    return list((await session.scalars(query)).all())


async def booked_between(session: AsyncSession, *, first: date, last: date) -> list[Appointment]:
    """Live appointments in first..last: the reminder list."""
    rows = await session.scalars(
        select(Appointment)
        .where(Appointment.day >= first, Appointment.day <= last, Appointment.status == "booked")
        .order_by(Appointment.day, Appointment.start_minute, Appointment.id)
    )
    return list(rows.all())


async def patient_appointments(session: AsyncSession, patient_id: int) -> list[Appointment]:
    rows = await session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id)
        .order_by(Appointment.day.desc(), Appointment.start_minute.desc())
    )
    return list(rows.all())


async def no_show_counts(session: AsyncSession, *, first: date, last: date) -> list[tuple[str, str, str, int]]:
    rows = await session.execute(
        select(Appointment.doctor_code, Appointment.doctor_name, Appointment.status, func.count())
        .where(Appointment.day >= first, Appointment.day <= last, Appointment.status.in_(("attended", "no_show")))
        .group_by(Appointment.doctor_code, Appointment.doctor_name, Appointment.status)
    )
    return [(code, name, status, int(count)) for code, name, status, count in rows]


# ---------------------------------------------------------------- the examination's follow-up


async def follow_up_of(session: AsyncSession, visit_id: int) -> FollowUpOut:
    """The booking defaults from the examination of a visit: patient, examining doctor, room, follow-up date."""
    encounter = await outpatient.get_encounter(session, visit_id=visit_id)
    doctor_code = None
    try:
        user = await get_user(session, encounter.doctor)
        doctor_code = user.staff_code
    except NotFound:
        pass
    return FollowUpOut(
        visit_id=encounter.visit_id,
        visit_code=encounter.visit_code,
        patient_id=encounter.patient_id,
        doctor_code=doctor_code,
        doctor_name=encounter.doctor_name,
        room_code=encounter.room_code,
        follow_up_date=encounter.follow_up_date,
        disposition=encounter.disposition,
    )
