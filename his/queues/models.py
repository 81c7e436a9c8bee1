"""Tables of the queues module (prefix queues_). Private to the module."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class ServicePoint(Base):
    """What a ticket is taken for: a reception desk, the cashier, the pharmacy window, a clinic room."""

    __tablename__ = "queues_service_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # reception | cashier | pharmacy | clinic | other
    room_code: Mapped[str | None] = mapped_column(String(32), nullable=True)  # catalogs clinic room
    prefix: Mapped[str] = mapped_column(String(3), default="")  # printed before the number: "A" -> A012
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Counter(Base):
    """A window or desk where staff call the numbers of one service point ("Quầy 3")."""

    __tablename__ = "queues_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    label: Mapped[str] = mapped_column(String(100))  # shown and spoken: "Mời số 12 đến <label>"
    service_point_code: Mapped[str] = mapped_column(String(32), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PriorityGroup(Base):
    """Who is called first: a lower rank first; equal ranks share one first-come line."""

    __tablename__ = "queues_priority_group"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))  # English msgid, translated where shown
    rank: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(Base):
    __tablename__ = "queues_ticket"
    __table_args__ = (
        UniqueConstraint("service_point_code", "day", "number"),
        Index("ix_queues_ticket_point_day_status", "service_point_code", "day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_point_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    number: Mapped[int] = mapped_column(Integer)
    priority_code: Mapped[str] = mapped_column(String(16))
    priority_rank: Mapped[int] = mapped_column(Integer)  # copied when issued: later edits do not reorder a day
    status: Mapped[str] = mapped_column(String(16))  # waiting | called | skipped | served
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_via: Mapped[str] = mapped_column(String(16))  # kiosk | desk
    counter_code: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TicketCounter(Base):
    """The last number given at a service point on a day; advanced with one atomic upsert per ticket."""

    __tablename__ = "queues_ticket_counter"

    service_point_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class QueueEvent(Base):
    """What displays follow: ids come from QueueEventSequence, so they are visible in commit order, gapless."""

    __tablename__ = "queues_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # issued | called | recalled | skipped | served
    service_point_code: Mapped[str] = mapped_column(String(32))
    counter_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ticket_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(16))


class QueueEventSequence(Base):
    """One row: the last queue event id. Its row lock, held to commit, orders events by commit."""

    __tablename__ = "queues_event_sequence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(Integer)
