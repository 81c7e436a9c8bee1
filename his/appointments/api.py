"""The appointments module's public face (reception, queues, statistics may read it): Structs, never rows.

Reads here are not audited: the caller audits the read of patient data it shows (as the HTTP handlers do).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from his.appointments import rules, service
from his.appointments.models import Appointment, Closure, Schedule, Slot
from his.appointments.schemas import AppointmentOut, ClosureOut, FollowUpOut, ScheduleOut, SlotOut
from his.patients import api as patients

__all__ = ["appointments_on", "follow_up_of", "get_appointment", "patient_appointments"]


def schedule_out(row: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=row.id,
        doctor_code=row.doctor_code,
        doctor_name=row.doctor_name,
        room_code=row.room_code,
        weekday=row.weekday,
        start=rules.clock_text(row.start_minute),
        end=rules.clock_text(row.end_minute),
        slot_minutes=row.slot_minutes,
        capacity=row.capacity,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        active=row.active,
    )


def closure_out(row: Closure, booked_inside: int) -> ClosureOut:
    return ClosureOut(row.id, row.day, row.room_code, row.doctor_code, row.reason, booked_inside)


def slot_out(row: Slot) -> SlotOut:
    return SlotOut(
        id=row.id,
        doctor_code=row.doctor_code,
        doctor_name=row.doctor_name,
        room_code=row.room_code,
        day=row.day,
        start=rules.clock_text(row.start_minute),
        end=rules.clock_text(row.end_minute),
        capacity=row.capacity,
        booked=row.booked,
        closed=row.closed,
    )


async def appointment_out(session: AsyncSession, row: Appointment) -> AppointmentOut:
    patient = await patients.get_patient(session, patient_id=row.patient_id)
    return AppointmentOut(
        id=row.id,
        code=row.code,
        slot_id=row.slot_id,
        patient_id=row.patient_id,
        patient_code=patient.code,
        patient_name=patient.full_name,
        phone=row.phone,
        doctor_code=row.doctor_code,
        doctor_name=row.doctor_name,
        room_code=row.room_code,
        day=row.day,
        start=rules.clock_text(row.start_minute),
        status=row.status,
        source=row.source,
        from_visit_id=row.from_visit_id,
        from_visit_code=row.from_visit_code,
        note=row.note,
        booked_at=row.booked_at,
        booked_by=row.booked_by,
        reminded_at=row.reminded_at,
        attended_at=row.attended_at,
        attended_visit_id=row.attended_visit_id,
        cancelled_at=row.cancelled_at,
        cancelled_reason=row.cancelled_reason,
        rescheduled_to_id=row.rescheduled_to_id,
    )


async def get_appointment(session: AsyncSession, *, appointment_id: int) -> AppointmentOut:
    """NotFound when there is none."""
    return await appointment_out(session, await service.get_appointment_row(session, appointment_id))


async def patient_appointments(session: AsyncSession, *, patient_id: int) -> list[AppointmentOut]:
    """Every appointment of the patient, latest first (cancelled and missed ones too: check `status`)."""
    return [await appointment_out(session, row) for row in await service.patient_appointments(session, patient_id)]


async def appointments_on(
    session: AsyncSession, *, day: date, doctor_code: str | None = None, room_code: str | None = None
) -> list[AppointmentOut]:
    """The appointments of a day in time order, all statuses."""
    rows = await service.appointments_on(session, day=day, doctor_code=doctor_code, room_code=room_code)
    return [await appointment_out(session, row) for row in rows]


async def follow_up_of(session: AsyncSession, *, visit_id: int) -> FollowUpOut:
    """What the examination of a visit asks for (patient, doctor, room, follow-up date); NotFound before it opened."""
    return await service.follow_up_of(session, visit_id)
