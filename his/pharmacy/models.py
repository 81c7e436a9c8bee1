"""Tables of the pharmacy module: warehouses, lots, goods receipts, dispensings and the stock movement ledger.

Private to the module: other modules use his.pharmacy.api. Stock lives in `pharmacy_lot.quantity_on_hand`
(what dispensing locks and decrements) and, independently, as the sum of `pharmacy_movement.delta` per lot;
every change writes both in one transaction, so the two always agree (a test checks it).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime

# Whole dong; BIGINT on PostgreSQL, INTEGER (64-bit anyway) on SQLite.
Money = BigInteger().with_variant(Integer, "sqlite")

WAREHOUSE_KINDS = ("main", "outpatient", "inpatient")
MOVEMENT_KINDS = ("receipt", "dispense", "return", "adjust")


class Warehouse(Base):
    __tablename__ = "pharmacy_warehouse"
    __table_args__ = (CheckConstraint("kind IN ('main', 'outpatient', 'inpatient')", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))


class Lot(Base):
    """One manufacturer's lot of one drug in one warehouse; the unit is the drug's dispensing unit."""

    __tablename__ = "pharmacy_lot"
    __table_args__ = (
        # The last line of defence: whatever the code does, the database never stores negative stock.
        CheckConstraint("quantity_on_hand >= 0", name="quantity_not_negative"),
        UniqueConstraint("warehouse_id", "drug_code", "lot_number", "expiry_date"),
        Index("ix_pharmacy_lot_drug_expiry", "drug_code", "expiry_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_warehouse.id"))
    drug_code: Mapped[str] = mapped_column(String(40))
    lot_number: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date] = mapped_column(Date)
    unit_cost: Mapped[int] = mapped_column(Money)  # VND per dispensing unit, from the first receipt
    quantity_on_hand: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Receipt(Base):
    """A goods receipt (phiếu nhập kho) against a supplier's invoice."""

    __tablename__ = "pharmacy_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_warehouse.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200))
    invoice_number: Mapped[str] = mapped_column(String(60))
    invoice_date: Mapped[date] = mapped_column(Date)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(64))


class ReceiptLine(Base):
    __tablename__ = "pharmacy_receipt_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_receipt.id", ondelete="CASCADE"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_lot.id"), index=True)
    drug_code: Mapped[str] = mapped_column(String(40))
    lot_number: Mapped[str] = mapped_column(String(40))
    expiry_date: Mapped[date] = mapped_column(Date)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_cost: Mapped[int] = mapped_column(Money)


class Dispensing(Base):
    """One dispensing of one external reference (e.g. the national prescription code) from one warehouse."""

    __tablename__ = "pharmacy_dispensing"
    __table_args__ = (UniqueConstraint("warehouse_id", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_warehouse.id"))
    reference: Mapped[str] = mapped_column(String(40))
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    dispensed_by: Mapped[str] = mapped_column(String(64))
    dispensed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DispensingLine(Base):
    """The quantity of one requested line taken from one lot (a request line split over lots gives several)."""

    __tablename__ = "pharmacy_dispensing_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_in_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispensing_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_dispensing.id", ondelete="CASCADE"), index=True)
    request_line: Mapped[int] = mapped_column(Integer)  # 0-based position in the dispensing request
    drug_code: Mapped[str] = mapped_column(String(40))
    lot_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_lot.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    returned_quantity: Mapped[int] = mapped_column(Integer)


class Movement(Base):
    """Every change of stock, signed: the ledger that stock must always add up to."""

    __tablename__ = "pharmacy_movement"
    __table_args__ = (
        CheckConstraint("kind IN ('receipt', 'dispense', 'return', 'adjust')", name="kind_known"),
        CheckConstraint("delta <> 0", name="delta_not_zero"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_lot.id"), index=True)
    delta: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100))  # "receipt 12", "dispensing 7", the prescription code
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # required for adjustments
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    by: Mapped[str] = mapped_column(String(64))
