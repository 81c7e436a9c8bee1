"""Pure pharmacy rules: first-expiry-first-out allocation and expiry warnings. No I/O.

FEFO, as a pharmacist would say it: take the requested quantity from the lot that expires first, then the next;
never from a lot already past its expiry date on the day of dispensing (a lot is usable through its expiry day),
never more than a lot holds. If the usable lots together hold too little, nothing is allocated and the answer
says how much is missing: a prescription line is dispensed whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

__all__ = [
    "COLLECTION_DAYS",
    "VIETNAM",
    "Allocation",
    "Insufficient",
    "LotStock",
    "allocate_fefo",
    "collect_until",
    "expiring_within",
    "is_expired",
    "usable_quantity",
    "vietnam_day",
]

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving time in Viet Nam
# An outpatient prescription can be collected for at most 5 days from the day it was written (the prescribing
# circulars: Circular 52/2017/TT-BYT, kept by Circular 26/2025/TT-BYT). As the Civil Code counts a period of
# days (art. 147), the day of writing is not counted: written on 1 March, it can be collected until 6 March.
COLLECTION_DAYS = 5


def vietnam_day(instant: datetime) -> date:
    """The calendar day in Viet Nam at `instant`: what "today" means for expiry."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime")
    return instant.astimezone(UTC).astimezone(VIETNAM).date()


@dataclass(frozen=True, slots=True)
class LotStock:
    lot_id: int
    expiry_date: date
    available: int


@dataclass(frozen=True, slots=True)
class Allocation:
    lot_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class Insufficient:
    requested: int
    usable: int

    @property
    def shortfall(self) -> int:
        return self.requested - self.usable


def is_expired(expiry_date: date, on: date) -> bool:
    return expiry_date < on


def _fefo_order(lots: Iterable[LotStock]) -> list[LotStock]:
    # Lot id breaks ties, so two lots with one expiry date are always taken in the same (receipt) order.
    return sorted(lots, key=lambda lot: (lot.expiry_date, lot.lot_id))


def usable_quantity(lots: Iterable[LotStock], on: date) -> int:
    return sum(lot.available for lot in lots if lot.available > 0 and not is_expired(lot.expiry_date, on))


def allocate_fefo(lots: Sequence[LotStock], quantity: int, on: date) -> list[Allocation] | Insufficient:
    """Allocations in FEFO order that add up to `quantity`, or Insufficient when the usable lots hold less."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    usable = usable_quantity(lots, on)
    if usable < quantity:
        return Insufficient(requested=quantity, usable=usable)
    allocations: list[Allocation] = []
    remaining = quantity
    for lot in _fefo_order(lots):
        if remaining == 0:
            break
        if lot.available <= 0 or is_expired(lot.expiry_date, on):
            continue
        take = min(lot.available, remaining)
        allocations.append(Allocation(lot.lot_id, take))
        remaining -= take
    return allocations


def expiring_within(lots: Iterable[LotStock], on: date, days: int) -> list[LotStock]:
    """Lots with stock that expire within `days` days of `on` (expired ones included), soonest first."""
    if days < 0:
        raise ValueError("days must not be negative")
    horizon = on + timedelta(days=days)
    return [lot for lot in _fefo_order(lots) if lot.available > 0 and lot.expiry_date <= horizon]


def collect_until(issued_on: date) -> date:
    """The last day a prescription written on `issued_on` (a Viet Nam calendar day) can be dispensed."""
    return issued_on + timedelta(days=COLLECTION_DAYS)
