"""Tables of the orders module (prefix orders_). Private to the module: other modules use api.py."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime

_ID = BigInteger().with_variant(Integer, "sqlite")


class Panel(Base):
    """An order set: several services ordered together ("Basic metabolic panel")."""

    __tablename__ = "orders_panel"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    specimen: Mapped[str] = mapped_column(String(100), default="")  # overrides the tests' own when set
    active: Mapped[bool] = mapped_column(default=True)


class PanelItem(Base):
    __tablename__ = "orders_panel_item"
    __table_args__ = (UniqueConstraint("panel_id", "service_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    panel_id: Mapped[int] = mapped_column(ForeignKey("orders_panel.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(40))


class Analyte(Base):
    """What a laboratory service reports: one line of its result, with unit and reference limits."""

    __tablename__ = "orders_analyte"
    __table_args__ = (UniqueConstraint("service_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40), default="")
    ref_low: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    ref_high: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    critical_low: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    critical_high: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))


class Order(Base):
    """One ordered service for one patient in one care context (an outpatient visit or an inpatient stay)."""

    __tablename__ = "orders_order"
    __table_args__ = (
        Index("ix_orders_order_context", "context_type", "context_id"),
        Index("ix_orders_order_worklist", "category", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(20), unique=True)  # "YL00000042", set from the id
    context_type: Mapped[str] = mapped_column(String(16))  # outpatient | inpatient
    context_id: Mapped[int] = mapped_column(Integer)
    visit_code: Mapped[str | None] = mapped_column(String(40))  # MA_LK, the billing account's reference
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    patient_code: Mapped[str] = mapped_column(String(40))
    patient_name: Mapped[str] = mapped_column(String(200))
    service_code: Mapped[str] = mapped_column(String(40))
    service_name: Mapped[str] = mapped_column(String(500))
    category: Mapped[str] = mapped_column(String(16))  # lab | imaging | procedure | consultation
    panel_code: Mapped[str | None] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(8))  # stat | urgent | routine
    specimen: Mapped[str] = mapped_column(String(100), default="")
    clinical_note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16))
    ordered_by: Mapped[str] = mapped_column(String(64), index=True)  # username of the ordering doctor
    ordered_by_name: Mapped[str] = mapped_column(String(200))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    hospital_price: Mapped[int] = mapped_column(Integer)  # VND, the catalog's price on the order day
    bhyt_price: Mapped[int | None] = mapped_column(Integer)
    charge_id: Mapped[int | None] = mapped_column(Integer)  # the billing charge it posted
    report: Mapped[str] = mapped_column(Text, default="")  # free-text result (imaging report, comment)
    resulted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resulted_by: Mapped[str | None] = mapped_column(String(64))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by: Mapped[str | None] = mapped_column(String(64))
    cancelled_reason: Mapped[str | None] = mapped_column(String(300))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))


class StatusChange(Base):
    """The order's history: every status it took, who moved it and when (and why, for a cancellation)."""

    __tablename__ = "orders_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_username: Mapped[str] = mapped_column(String(64))
    by_name: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(String(300))


class Result(Base):
    """One line of an order's result: a number with unit, reference range and flag, or a text."""

    __tablename__ = "orders_result"
    __table_args__ = (UniqueConstraint("order_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # numeric | text
    value_numeric: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    value_text: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(40), default="")
    ref_low: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    ref_high: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    critical_low: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    critical_high: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    flag: Mapped[str] = mapped_column(String(2), default="")  # "" | L | H | LL | HH
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Attachment(Base):
    """A file attached to a result (a scanned report, an image); the bytes live under the data directory."""

    __tablename__ = "orders_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(200))  # relative to <data dir>/orders
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Change(Base):
    """A numbered feed of what happened to orders, polled by the doctors' live pages ("changes since id").

    Ids are handed out under a lock held to commit (PostgreSQL), so a reader that saw id N never later meets a
    smaller one: every worker process serves the same feed from the database.
    """

    __tablename__ = "orders_change"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    patient_id: Mapped[int] = mapped_column(Integer)
    ordered_by: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # the status reached, or "acknowledged"
    at: Mapped[datetime] = mapped_column(UTCDateTime)
