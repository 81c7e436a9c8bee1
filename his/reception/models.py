"""Reception tables: visits and the per-room, per-day ticket counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class Visit(Base):
    """One registration at the front desk: the patient, where they queue, and who pays."""

    __tablename__ = "reception_visit"
    __table_args__ = (UniqueConstraint("room_code", "ticket_day", "ticket_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # MA_LK of the claim
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # outpatient | emergency
    room_code: Mapped[str] = mapped_column(String(32))
    service_code: Mapped[str] = mapped_column(String(64))
    ticket_day: Mapped[date] = mapped_column(Date, index=True)
    ticket_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # waiting | in_exam | finished | cancelled
    route: Mapped[str] = mapped_column(String(16))  # registered | referral | transfer | emergency | wrong | none
    card_number: Mapped[str | None] = mapped_column(String(15), nullable=True)
    card_benefit_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    card_facility_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    card_valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    referral_from: Mapped[str | None] = mapped_column(String(5), nullable=True)
    referral_number: Mapped[str | None] = mapped_column(String(50), nullable=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by: Mapped[str] = mapped_column(String(64))
    cancelled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class TicketCounter(Base):
    """The last number given in a room on a day; advanced with one atomic upsert per ticket."""

    __tablename__ = "reception_ticket_counter"

    room_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)
