"""Tables of the billing module: the BHYT policy, accounts and their charges, receipt books and receipts.

Private to the module: other modules go through his.billing.api.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime

# Whole dong; BIGINT on PostgreSQL, INTEGER (64-bit anyway) on SQLite.
Money = BigInteger().with_variant(Integer, "sqlite")


class PolicyRuleRow(Base):
    """One version of one coverage rule: in force from effective_from (inclusive) to effective_to (exclusive)."""

    __tablename__ = "billing_policy_rule"
    __table_args__ = (UniqueConstraint("rule_key", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_key: Mapped[str] = mapped_column(String(80))
    value: Mapped[int] = mapped_column(Money)
    unit: Mapped[str] = mapped_column(String(12))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(300))
    note: Mapped[str] = mapped_column(String(500), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Account(Base):
    """What one encounter owes, with the payer facts (the BHYT card as presented) it was opened with."""

    __tablename__ = "billing_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    encounter_ref: Mapped[str] = mapped_column(String(40), unique=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    patient_code: Mapped[str] = mapped_column(String(40), default="", index=True)
    patient_name: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Payer facts, as presented when the account was opened (or last updated).
    card_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    benefit_level: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    card_valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    card_valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    registered_facility: Mapped[str | None] = mapped_column(String(5), nullable=True)
    five_years_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    year_copay_to_date: Mapped[int] = mapped_column(Money, default=0)
    route: Mapped[str] = mapped_column(String(12))
    hospital_level: Mapped[str] = mapped_column(String(12))
    care_type: Mapped[str] = mapped_column(String(12))


class Charge(Base):
    """One service, drug, supply or bed-day posted to an account. Never deleted: cancelled with a reason."""

    __tablename__ = "billing_charge"
    # What the charge was posted for (the visit's exam, a dispensing line): posting it again finds it.
    __table_args__ = (UniqueConstraint("account_id", "source_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    source_kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price_hospital: Mapped[int] = mapped_column(Money)
    unit_price_bhyt: Mapped[int | None] = mapped_column(Money, nullable=True)
    in_bhyt_list: Mapped[bool] = mapped_column(Boolean)
    high_tech: Mapped[bool] = mapped_column(Boolean, default=False)
    service_date: Mapped[date] = mapped_column(Date)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    posted_by: Mapped[str] = mapped_column(String(80))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)


class ReceiptBook(Base):
    """A receipt book ("quyển"): its own running numbers, handed out under a row lock."""

    __tablename__ = "billing_receipt_book"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    symbol: Mapped[str] = mapped_column(String(20), default="")  # the "ký hiệu" printed on the form
    next_number: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Receipt(Base):
    """Money received from a patient. A cancelled receipt keeps its number (no gaps, no reuse)."""

    __tablename__ = "billing_receipt"
    __table_args__ = (UniqueConstraint("book_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    book_id: Mapped[int] = mapped_column(ForeignKey("billing_receipt_book.id"))
    number: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(ForeignKey("billing_account.id"), index=True)
    amount: Mapped[int] = mapped_column(Money)
    fund_amount: Mapped[int] = mapped_column(Money)
    total_amount: Mapped[int] = mapped_column(Money)
    payment_method: Mapped[str] = mapped_column(String(12))
    cashier_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cashier_username: Mapped[str] = mapped_column(String(80), index=True)
    cashier_name: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class ReceiptLine(Base):
    """A charge as it was split when the receipt was issued: the receipt reprints the same figures."""

    __tablename__ = "billing_receipt_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("billing_receipt.id"), index=True)
    charge_id: Mapped[int] = mapped_column(ForeignKey("billing_charge.id"), index=True)
    name: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[int] = mapped_column(Money)
    amount_hospital: Mapped[int] = mapped_column(Money)
    fund_pays: Mapped[int] = mapped_column(Money)
    patient_pays: Mapped[int] = mapped_column(Money)
