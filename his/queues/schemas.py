"""HTTP and API shapes of the queues module."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class ServicePointIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    kind: str = "other"
    room_code: str | None = None
    prefix: str = ""
    position: int = 0
    active: bool = True


class CounterIn(msgspec.Struct, forbid_unknown_fields=True):
    label: str
    service_point_code: str
    position: int = 0
    active: bool = True


class KioskTicketIn(msgspec.Struct, forbid_unknown_fields=True):
    service_point_code: str
    priority_code: str = "normal"


class RecallIn(msgspec.Struct, forbid_unknown_fields=True):
    counter_code: str


class PriorityGroupOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    rank: int


class CounterOut(msgspec.Struct, frozen=True):
    code: str
    label: str
    service_point_code: str
    active: bool


class ServicePointOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str
    room_code: str | None
    prefix: str
    active: bool
    counters: list[CounterOut]


class TicketOut(msgspec.Struct, frozen=True):
    id: int
    service_point_code: str
    service_point_name: str
    day: date
    number: int
    label: str
    priority_code: str
    priority_rank: int
    status: str
    issued_at: datetime
    counter_code: str | None
    called_at: datetime | None
    call_count: int
    served_at: datetime | None


class IssuedTicketOut(msgspec.Struct, frozen=True):
    ticket: TicketOut
    people_ahead: int
    estimated_wait_minutes: int


class CalledOut(msgspec.Struct, frozen=True):
    """What a display shows for one counter: the number now called there."""

    counter_code: str
    counter_label: str
    service_point_code: str
    label: str
    called_at: datetime


class WaitingLineOut(msgspec.Struct, frozen=True):
    service_point_code: str
    service_point_name: str
    waiting: int
    next_labels: list[str]
    estimated_wait_minutes: int


class QueueEventOut(msgspec.Struct, frozen=True):
    id: int
    kind: str
    at: datetime
    service_point_code: str
    counter_code: str | None
    counter_label: str | None
    label: str
    announcement: str | None  # the sentence to read aloud, for calls and recalls


class BoardOut(msgspec.Struct, frozen=True):
    """A display's whole state; `event_id` is the last queue event it reflects."""

    event_id: int
    called: list[CalledOut]
    lines: list[WaitingLineOut]
