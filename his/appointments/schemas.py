"""Shapes of appointments for other modules and the HTTP API. Times of day are "HH:MM" in Viet Nam time."""

from __future__ import annotations

from datetime import date, datetime

import msgspec

# ---------------------------------------------------------------- input


class ScheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    doctor_code: str  # staff catalog code of a doctor
    room_code: str
    weekday: int  # 0 Monday … 6 Sunday
    start: str  # "07:30"
    end: str  # "11:30"
    slot_minutes: int = 15
    capacity: int = 1
    valid_from: date | None = None  # default: today
    valid_to: date | None = None


class ClosureIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date
    reason: str
    room_code: str | None = None  # None with doctor_code None: the whole hospital (a public holiday)
    doctor_code: str | None = None


class GenerateIn(msgspec.Struct, forbid_unknown_fields=True):
    first: date
    last: date


class BookIn(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: int
    patient_id: int
    source: str = "phone"  # phone | desk | follow_up
    from_visit_id: int | None = None  # the examination that asked for this follow-up
    phone: str = ""  # default: the patient's record
    note: str = ""


class ReasonIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class RescheduleIn(msgspec.Struct, forbid_unknown_fields=True):
    slot_id: int
    reason: str


class AttendIn(msgspec.Struct, forbid_unknown_fields=True):
    visit_id: int | None = None  # default: the patient's visit today in the appointment's room, if any


class CloseDayIn(msgspec.Struct, forbid_unknown_fields=True):
    day: date


# ---------------------------------------------------------------- output


class ScheduleOut(msgspec.Struct, frozen=True):
    id: int
    doctor_code: str
    doctor_name: str
    room_code: str
    weekday: int
    start: str
    end: str
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date | None
    active: bool


class ClosureOut(msgspec.Struct, frozen=True):
    id: int
    day: date
    room_code: str | None
    doctor_code: str | None
    reason: str
    booked_inside: int  # live appointments on that day the closure touches: call these patients


class GenerateOut(msgspec.Struct, frozen=True):
    created: int
    already_there: int
    closed_days: int  # (schedule, day) pairs skipped for a closure


class SlotOut(msgspec.Struct, frozen=True):
    id: int
    doctor_code: str
    doctor_name: str
    room_code: str
    day: date
    start: str
    end: str
    capacity: int
    booked: int
    closed: bool

    @property
    def free(self) -> int:
        return 0 if self.closed else max(self.capacity - self.booked, 0)


class AppointmentOut(msgspec.Struct, frozen=True):
    id: int
    code: str  # the paper's number (SO_GIAYHEN_KL)
    slot_id: int
    patient_id: int
    patient_code: str
    patient_name: str
    phone: str
    doctor_code: str
    doctor_name: str
    room_code: str
    day: date
    start: str
    status: str  # booked | attended | no_show | cancelled
    source: str  # phone | desk | follow_up
    from_visit_id: int | None
    from_visit_code: str | None
    note: str
    booked_at: datetime
    booked_by: str
    reminded_at: datetime | None
    attended_at: datetime | None
    attended_visit_id: int | None
    cancelled_at: datetime | None
    cancelled_reason: str | None
    rescheduled_to_id: int | None


class FollowUpOut(msgspec.Struct, frozen=True):
    """What the examination asks for: who, with whom, where and from which day (the booking page's defaults)."""

    visit_id: int
    visit_code: str
    patient_id: int
    doctor_code: str | None  # the examining doctor's staff code, when the sign-in names one
    doctor_name: str
    room_code: str
    follow_up_date: date | None
    disposition: str | None


class CloseDayOut(msgspec.Struct, frozen=True):
    day: date
    no_shows: int


class NoShowLineOut(msgspec.Struct, frozen=True):
    doctor_code: str
    doctor_name: str
    due: int
    attended: int
    no_shows: int
    rate_percent: int
