"""The outbox tables: the events, and one delivery cursor per consumer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class OutboxRecord(Base):
    """One published event. Ids grow in commit order (publishers are serialised), so a cursor never skips one."""

    __tablename__ = "kernel_outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), index=True)
    event_type: Mapped[str] = mapped_column(String(100))  # "orders.OrderPlaced"
    version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[str] = mapped_column(Text)  # JSON of the event Struct (with its tag)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxCursor(Base):
    """How far one consumer got: every event up to `position` was handled (or does not concern it)."""

    __tablename__ = "kernel_outbox_cursor"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    # The event that failed last, how often in a row, why, and when to try again (exponential backoff).
    failing_event_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
