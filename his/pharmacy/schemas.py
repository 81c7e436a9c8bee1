"""Shapes the pharmacy hands out and takes in (msgspec Structs, never ORM rows).

Input Structs hold plain types; the service checks their meaning and names the offending field
(`lines[1].quantity`) in a 422, so a client learns which cell of its form to fix.
"""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class WarehouseOut(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str  # "main" | "outpatient" | "inpatient"


class LotOut(msgspec.Struct, frozen=True):
    id: int
    warehouse_code: str
    drug_code: str
    lot_number: str
    expiry_date: date
    unit_cost: int  # VND per dispensing unit
    quantity_on_hand: int
    received_at: datetime
    expired: bool  # past its expiry date on the day asked about: kept, counted, never dispensed


class StockOut(msgspec.Struct, frozen=True):
    drug_code: str
    warehouse_code: str | None  # None: every warehouse
    as_of: date
    on_hand: int  # every lot, expired ones included
    usable: int  # what can be dispensed on `as_of`
    lots: list[LotOut]  # first expiry first


class DrugTotalOut(msgspec.Struct, frozen=True):
    drug_code: str
    on_hand: int
    usable: int
    lots: int  # lots holding stock
    earliest_expiry: date | None  # of the usable lots holding stock


# ---------------------------------------------------------------- goods receipt


class ReceiptLineIn(msgspec.Struct, frozen=True):
    drug_code: str
    lot_number: str
    expiry_date: date
    quantity: int  # in the drug's dispensing unit
    unit_cost: int  # VND per dispensing unit


class ReceiptIn(msgspec.Struct, frozen=True):
    warehouse_code: str
    supplier: str
    invoice_number: str
    invoice_date: date
    lines: list[ReceiptLineIn]


class ReceiptLineOut(msgspec.Struct, frozen=True):
    lot_id: int
    drug_code: str
    lot_number: str
    expiry_date: date
    quantity: int
    unit_cost: int


class ReceiptOut(msgspec.Struct, frozen=True):
    id: int
    warehouse_code: str
    supplier: str
    invoice_number: str
    invoice_date: date
    received_at: datetime
    received_by: str
    lines: list[ReceiptLineOut]
    total_cost: int  # VND


# ---------------------------------------------------------------- dispensing


class DispenseLineIn(msgspec.Struct, frozen=True):
    drug_code: str
    quantity: int  # in the drug's dispensing unit


class DispenseIn(msgspec.Struct, frozen=True):
    warehouse_code: str
    reference: str  # e.g. the 14-character national prescription code
    lines: list[DispenseLineIn]
    patient_id: int | None = None


class DispensingLineOut(msgspec.Struct, frozen=True):
    id: int
    request_line: int  # position of the request line this quantity serves
    drug_code: str
    lot_id: int
    lot_number: str
    expiry_date: date
    quantity: int
    returned_quantity: int


class DispensingOut(msgspec.Struct, frozen=True):
    id: int
    warehouse_code: str
    reference: str
    patient_id: int | None
    dispensed_by: str
    dispensed_at: datetime
    lines: list[DispensingLineOut]


# ---------------------------------------------------------------- dispensing an outpatient prescription by its code


class PrescriptionDispenseIn(msgspec.Struct, frozen=True):
    # None: the pharmacy's only outpatient warehouse (an outpatient prescription is collected there).
    warehouse_code: str | None = None


class PlannedLotOut(msgspec.Struct, frozen=True):
    lot_id: int
    lot_number: str
    expiry_date: date
    quantity: int  # what FEFO would take from this lot


class PrescriptionLineStockOut(msgspec.Struct, frozen=True):
    position: int
    drug_code: str
    drug_name: str
    unit: str
    usage: str  # as printed on the prescription: "Ngày uống 2 lần, mỗi lần 1 viên, sau ăn"
    days: int
    quantity: int  # to give out, in the drug's dispensing unit
    usable: int  # in the warehouse today, expired lots left out
    shortfall: int  # 0 when there is enough
    lots: list[PlannedLotOut]  # the lots FEFO would use (empty when short)


# Why a prescription cannot be dispensed now (None: it can).
PRESCRIPTION_BLOCKS = ("cancelled", "dispensed", "collection_over", "insufficient_stock")


class PrescriptionToDispenseOut(msgspec.Struct, frozen=True):
    """An outpatient prescription as the pharmacy sees it before dispensing, with today's stock per line."""

    code: str
    status: str  # the prescription's: issued | cancelled
    issued_at: datetime
    collect_until: date  # the last day it can be dispensed
    patient_id: int
    patient_code: str
    patient_name: str
    patient_sex: str
    birth_year: int
    doctor_name: str
    diagnosis_text: str
    cancelled_reason: str | None
    warehouse_code: str
    as_of: date
    lines: list[PrescriptionLineStockOut]
    dispensing: DispensingOut | None  # when it was dispensed already (from any warehouse)
    blocked: str | None  # one of PRESCRIPTION_BLOCKS, or None when "Dispense" would succeed now


class ReturnLineIn(msgspec.Struct, frozen=True):
    line_id: int  # a DispensingLineOut.id
    quantity: int


class ReturnIn(msgspec.Struct, frozen=True):
    lines: list[ReturnLineIn]
    reason: str = ""


# ---------------------------------------------------------------- adjustment


class AdjustmentIn(msgspec.Struct, frozen=True):
    lot_id: int
    delta: int  # signed: -3 for three broken ampoules, +2 for two found at stocktaking
    reason: str


class MovementOut(msgspec.Struct, frozen=True):
    id: int
    lot_id: int
    delta: int
    kind: str  # "receipt" | "dispense" | "return" | "adjust"
    reference: str
    reason: str | None
    at: datetime
    by: str
