"""HTTP and API shapes of reception."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class VisitIn(msgspec.Struct, forbid_unknown_fields=True):
    patient_id: int
    room_code: str
    service_code: str
    kind: str = "outpatient"
    reason: str = ""
    referral_from: str | None = None
    referral_number: str | None = None


class VisitOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    patient_id: int
    patient_code: str
    patient_name: str
    kind: str
    room_code: str
    room_name: str
    service_code: str
    ticket_day: date
    ticket_number: int
    status: str
    route: str
    route_reason: str
    card_number: str | None
    card_benefit_level: int | None
    registered_at: datetime


class CancelIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: str
