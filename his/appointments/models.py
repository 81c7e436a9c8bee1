"""Tables of the appointments module (prefix appointments_). Private to the module.

Times of day are minutes after local (Viet Nam) midnight: a clinic session is a wall-clock fact, the same on
every day whatever the database's time zone.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class Schedule(Base):
    """A doctor's recurring clinic session in one room: every given weekday, from start to end, in slots."""

    __tablename__ = "appointments_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    doctor_code: Mapped[str] = mapped_column(String(32), index=True)  # staff catalog code
    doctor_name: Mapped[str] = mapped_column(String(200))
    room_code: Mapped[str] = mapped_column(String(32))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 Monday … 6 Sunday
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)  # patients per slot
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(64))


class Closure(Base):
    """A day without sessions: a public holiday (no room, no doctor), a room closed, or a doctor away."""

    __tablename__ = "appointments_closure"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    room_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    doctor_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class Slot(Base):
    """One bookable time of one doctor on one day. `booked` counts live appointments; it never exceeds
    `capacity` because it is only raised by one conditional UPDATE (see service.take_place)."""

    __tablename__ = "appointments_slot"
    __table_args__ = (UniqueConstraint("doctor_code", "day", "start_minute"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("appointments_schedule.id"), nullable=True)
    doctor_code: Mapped[str] = mapped_column(String(32))
    doctor_name: Mapped[str] = mapped_column(String(200))
    room_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date, index=True)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)


class Appointment(Base):
    """A patient's appointment in a slot, from a phone call or as the follow-up of an examination."""

    __tablename__ = "appointments_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)  # SO_GIAYHEN_KL, printed on the paper
    slot_id: Mapped[int] = mapped_column(ForeignKey("appointments_slot.id"), index=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    doctor_code: Mapped[str] = mapped_column(String(32), index=True)
    doctor_name: Mapped[str] = mapped_column(String(200))
    room_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date, index=True)
    start_minute: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # booked | attended | no_show | cancelled
    source: Mapped[str] = mapped_column(String(16))  # phone | desk | follow_up
    from_visit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the examination asking for it
    from_visit_code: Mapped[str | None] = mapped_column(String(40), nullable=True)  # its MA_LK
    phone: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booked_by: Mapped[str] = mapped_column(String(64))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reminded_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attended_visit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    rescheduled_to_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
