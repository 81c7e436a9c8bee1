"""Public, versioned events of orders and results, published through the kernel's outbox.

A laboratory (LIS) or imaging (RIS-PACS) interface receives orders from `OrderPlaced` / `OrderCancelled` and
billing may post the charge from `OrderPlaced` (service code and prices included). Consumers must be idempotent:
an event may come twice (`order_id` identifies it).
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class OrderPlaced(msgspec.Struct, frozen=True, tag="orders.OrderPlaced.v1"):
    order_id: int
    order_code: str  # "YL00000042", the specimen label's barcode
    context_type: str  # outpatient | inpatient
    context_id: int  # the reception visit id (outpatient) or the inpatient stay id
    visit_code: str | None  # MA_LK: the billing account's reference
    patient_id: int
    patient_code: str
    service_code: str
    service_name: str
    category: str  # lab | imaging | procedure | consultation
    priority: str  # stat | urgent | routine
    specimen: str
    hospital_price: int  # VND
    bhyt_price: int | None  # VND; None when BHYT does not pay for it
    ordered_by: str  # username
    ordered_at: datetime
    charged: bool  # True when the order posted its charge to the visit's account itself


class OrderCancelled(msgspec.Struct, frozen=True, tag="orders.OrderCancelled.v1"):
    order_id: int
    order_code: str
    patient_id: int
    visit_code: str | None
    service_code: str
    reason: str
    cancelled_by: str
    cancelled_at: datetime


class ResultValue(msgspec.Struct, frozen=True):
    code: str
    name: str
    kind: str  # numeric | text
    value: str  # as entered (a decimal in plain notation for numbers)
    unit: str
    reference_range: str
    flag: str  # "" | L | H | LL | HH


class ResultFinal(msgspec.Struct, frozen=True, tag="orders.ResultFinal.v1"):
    """The order's results were verified: what LIS/EMR/decision support may rely on."""

    order_id: int
    order_code: str
    patient_id: int
    visit_code: str | None
    service_code: str
    category: str
    ordered_by: str
    verified_by: str
    verified_at: datetime
    results: list[ResultValue]
    report: str  # free text (imaging report, comment)
    attachments: int
