"""The public face of the pharmacy for other modules: keyword-only functions taking and returning msgspec Structs.

Writes run in the caller's session and transaction and audit there, as `actor` (build it from the request:
`ctx.audit_actor()`), so a prescription and its dispensing commit or roll back together. Stock is locked before
the audit trail is appended to: call `dispense` before writing your own audit records in the same transaction
(on PostgreSQL the audit lock is held to commit; taking it first and the lots second invites a deadlock with a
concurrent dispensing).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.audit.service import AuditActor
from his.kernel.clock import Clock
from his.pharmacy import service
from his.pharmacy.rules import vietnam_day
from his.pharmacy.schemas import (
    DispenseIn,
    DispenseLineIn,
    DispensingOut,
    DrugTotalOut,
    LotOut,
    PrescriptionToDispenseOut,
    ReturnIn,
    ReturnLineIn,
    StockOut,
    WarehouseOut,
)

__all__ = [
    "DispenseLineIn",
    "DispensingOut",
    "PrescriptionToDispenseOut",
    "ReturnLineIn",
    "StockOut",
    "available_quantity",
    "dispense",
    "dispense_prescription",
    "expiring",
    "find_dispensing",
    "get_dispensing",
    "prescription_to_dispense",
    "return_dispensed",
    "stock_of",
    "totals",
    "warehouses",
]


def _as_of(as_of: date | None) -> date:
    return as_of if as_of is not None else vietnam_day(datetime.now(UTC))


async def dispense(
    session: AsyncSession,
    clock: Clock,
    *,
    warehouse_code: str,
    reference: str,
    lines: Sequence[DispenseLineIn],
    actor: AuditActor,
    patient_id: int | None = None,
) -> DispensingOut:
    """Dispenses a prescription first-expiry-first-out from one warehouse, all lines or none.

    `reference` identifies the prescription (e.g. its 14-character national code) and can be dispensed once per
    warehouse. Quantities are in each drug's dispensing unit. Raises Conflict (409) for too little usable stock
    (nothing is taken) or an already dispensed reference, InvalidInput (422, naming the field) otherwise.
    """
    data = DispenseIn(warehouse_code=warehouse_code, reference=reference, lines=list(lines), patient_id=patient_id)
    return await service.dispense(session, clock, actor, data)


async def dispense_prescription(
    session: AsyncSession,
    clock: Clock,
    *,
    code: str,
    actor: AuditActor,
    warehouse_code: str | None = None,
) -> DispensingOut:
    """Dispenses an outpatient e-prescription by its 14-character national code: every line, FEFO, all or none,
    with the code as the reference and the prescription's patient (audited with the patient id).

    `warehouse_code` None: the only outpatient warehouse. Raises NotFound for an unknown code, Conflict (409) for a
    cancelled prescription, one past its collection period (`rules.collect_until`), one dispensed already from
    any warehouse, or too little usable stock (nothing is taken).
    """
    return await service.dispense_prescription(session, clock, actor, code=code, warehouse_code=warehouse_code)


async def prescription_to_dispense(
    session: AsyncSession, *, code: str, warehouse_code: str | None = None, as_of: date | None = None
) -> PrescriptionToDispenseOut:
    """The prescription with, per line, the usable stock and the lots FEFO would use on `as_of` (default: today
    in Viet Nam), and why it cannot be dispensed (`blocked`), if so. A snapshot: dispensing re-checks under lock.
    Not audited: the caller audits the read of the patient data it shows."""
    return await service.prescription_to_dispense(
        session, code=code, warehouse_code=warehouse_code, as_of=_as_of(as_of)
    )


async def return_dispensed(
    session: AsyncSession,
    clock: Clock,
    *,
    dispensing_id: int,
    lines: Sequence[ReturnLineIn],
    actor: AuditActor,
    reason: str = "",
) -> DispensingOut:
    """Restocks returned quantities onto the lots they came from; at most what each line gave out."""
    return await service.return_dispensed(
        session, clock, actor, dispensing_id=dispensing_id, data=ReturnIn(lines=list(lines), reason=reason)
    )


async def get_dispensing(session: AsyncSession, *, dispensing_id: int) -> DispensingOut:
    """NotFound when there is no such dispensing."""
    return await service.get_dispensing(session, dispensing_id=dispensing_id)


async def find_dispensing(session: AsyncSession, *, warehouse_code: str, reference: str) -> DispensingOut | None:
    return await service.find_dispensing(session, warehouse_code=warehouse_code, reference=reference)


async def stock_of(
    session: AsyncSession, *, drug_code: str, warehouse_code: str | None = None, as_of: date | None = None
) -> StockOut:
    """Every lot of the drug, first expiry first, with what is on hand and what can be dispensed on `as_of`
    (default: today in Viet Nam). NotFound for an unknown warehouse."""
    return await service.stock_of(session, drug_code=drug_code, warehouse_code=warehouse_code, as_of=_as_of(as_of))


async def available_quantity(
    session: AsyncSession, *, drug_code: str, warehouse_code: str, as_of: date | None = None
) -> int:
    """What can be dispensed of the drug from the warehouse on `as_of`: stock in lots not yet expired.

    A snapshot for display and prescribing hints; `dispense` re-checks under lock."""
    stock = await stock_of(session, drug_code=drug_code, warehouse_code=warehouse_code, as_of=as_of)
    return stock.usable


async def totals(
    session: AsyncSession,
    *,
    drug_codes: Sequence[str] | None = None,
    warehouse_code: str | None = None,
    as_of: date | None = None,
) -> list[DrugTotalOut]:
    return await service.totals(session, drug_codes=drug_codes, warehouse_code=warehouse_code, as_of=_as_of(as_of))


async def expiring(
    session: AsyncSession, *, within_days: int, warehouse_code: str | None = None, as_of: date | None = None
) -> list[LotOut]:
    """Lots holding stock that expire within `within_days` days (expired ones included), soonest first."""
    return await service.expiring(session, within_days=within_days, as_of=_as_of(as_of), warehouse_code=warehouse_code)


async def warehouses(session: AsyncSession) -> list[WarehouseOut]:
    return await service.list_warehouses(session)
