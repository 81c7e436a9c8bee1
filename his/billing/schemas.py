"""Transfer shapes of billing (msgspec Structs): what his.billing.api and the HTTP API take and return."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

SourceKind = Literal["service", "drug", "supply", "bed"]
PaymentMethod = Literal["cash", "card", "transfer"]
RouteName = Literal["registered", "referral", "transfer", "emergency", "wrong"]
LevelName = Literal["central", "provincial", "district", "commune"]
CareName = Literal["outpatient", "inpatient"]
Vnd = Annotated[int, msgspec.Meta(ge=0, le=10**13)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=300)]


class PayerFacts(msgspec.Struct, frozen=True, kw_only=True):
    """The BHYT card as presented and how the patient came. benefit_level None: no card (self-paying)."""

    route: RouteName
    hospital_level: LevelName
    care_type: CareName
    card_number: Annotated[str, msgspec.Meta(max_length=20)] | None = None
    benefit_level: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    card_valid_from: date | None = None
    card_valid_to: date | None = None
    registered_facility: Annotated[str, msgspec.Meta(max_length=5)] | None = None  # MA_DKBD
    five_years_since: date | None = None
    year_copay_to_date: Vnd = 0


class AccountIn(msgspec.Struct, frozen=True, kw_only=True):
    encounter_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    patient_id: Annotated[int, msgspec.Meta(ge=1)]
    payer: PayerFacts
    patient_code: Annotated[str, msgspec.Meta(max_length=40)] = ""
    patient_name: Annotated[str, msgspec.Meta(max_length=200)] = ""


class ChargeIn(msgspec.Struct, frozen=True, kw_only=True):
    source_kind: SourceKind
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    quantity: Decimal
    unit_price_hospital: Vnd
    in_bhyt_list: bool
    service_date: date
    unit_price_bhyt: Vnd | None = None
    high_tech: bool = False
    # What the charge is for ("exam:DV01001", "dispensing:12:0"): an account holds one charge per reference, so
    # posting from the care modules again finds what is already there.
    source_ref: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | None = None


class ChargeOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    encounter_ref: str
    source_kind: str
    code: str
    name: str
    quantity: Decimal
    unit_price_hospital: int
    unit_price_bhyt: int | None
    in_bhyt_list: bool
    high_tech: bool
    service_date: date
    posted_at: datetime
    posted_by: str
    cancelled_at: datetime | None
    cancel_reason: str | None
    source_ref: str | None = None


class DecisionOut(msgspec.Struct, frozen=True, kw_only=True):
    """The fund's share on one service day; reasons are English msgids (translated by the pages)."""

    service_date: date
    percent: Decimal
    right_route: bool
    out_of_list_covered: bool
    high_tech_cap: int | None
    reasons: list[str]
    rule_keys: list[str]


class LineOut(msgspec.Struct, frozen=True, kw_only=True):
    charge_id: int
    source_kind: str
    code: str
    name: str
    service_date: date
    quantity: Decimal
    unit_price_hospital: int
    unit_price_bhyt: int | None
    in_bhyt_list: bool
    amount_hospital: int
    amount_bhyt: int
    fund_pays: int
    patient_copay: int
    patient_other: int  # outside the BHYT list, or the hospital price above the BHYT price
    patient_pays: int
    receipt_id: int | None  # the live receipt that collected it
    source_ref: str | None = None  # see ChargeIn


class TotalsOut(msgspec.Struct, frozen=True, kw_only=True):
    amount_hospital: int
    amount_bhyt: int
    fund_pays: int
    patient_copay: int
    patient_other: int
    patient_pays: int


class AccountSummary(msgspec.Struct, frozen=True, kw_only=True):
    encounter_ref: str
    patient_id: int
    patient_code: str
    patient_name: str
    opened_at: datetime
    closed_at: datetime | None
    payer: PayerFacts
    visit_total: int
    decisions: list[DecisionOut]
    lines: list[LineOut]
    totals: TotalsOut
    paid: int  # by live receipts
    due: int  # what the patient still pays for lines no live receipt covers


class ReceiptLineOut(msgspec.Struct, frozen=True, kw_only=True):
    charge_id: int
    name: str
    quantity: Decimal
    unit_price: int
    amount_hospital: int
    fund_pays: int
    patient_pays: int


class ReceiptOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    book: str
    symbol: str
    number: int
    number_text: str  # zero-padded, as printed
    encounter_ref: str
    patient_id: int
    patient_code: str
    patient_name: str
    card_number: str | None
    amount: int  # what the patient paid
    amount_in_words: str
    fund_amount: int
    total_amount: int
    payment_method: str
    cashier_username: str
    cashier_name: str
    issued_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    lines: list[ReceiptLineOut]


class CollectIn(msgspec.Struct, frozen=True, kw_only=True):
    payment_method: PaymentMethod
    # The amount the cashier saw and took: refused when charges changed in between.
    expected_amount: Vnd
    book: Annotated[str, msgspec.Meta(max_length=20)] | None = None


class CancelIn(msgspec.Struct, frozen=True, kw_only=True):
    reason: Reason


class BookIn(msgspec.Struct, frozen=True, kw_only=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._/-]+$")]
    symbol: Annotated[str, msgspec.Meta(max_length=20)] = ""


class BookOut(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    symbol: str
    next_number: int
    active: bool


class CashierTotal(msgspec.Struct, frozen=True, kw_only=True):
    cashier_username: str
    cashier_name: str
    receipts: int
    amount: int
    by_method: dict[str, int]
    cancelled: int


class ShiftReport(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime
    end: datetime
    cashier: str | None
    cashiers: list[CashierTotal]
    total: int
    cancelled: list[ReceiptOut]


class PolicyRuleOut(msgspec.Struct, frozen=True, kw_only=True):
    rule_key: str
    value: int
    unit: str
    effective_from: date
    effective_to: date | None
    source: str
    note: str


class PolicyImportOut(msgspec.Struct, frozen=True, kw_only=True):
    rows: int
    added: int
    changed: int
    unchanged: int
