"""The demo hospital's pharmacy: a main store and an outpatient pharmacy, stocked by ordinary goods receipts.

Every drug of the demo catalog gets 1-3 lots in the outpatient pharmacy and one bulk lot in the main store.
Expiry dates are realistic (mostly 3 months to 2.5 years away, some within 60 days so the warning list has
something to show), and one lot of the first drug is already expired, to show that dispensing skips it: it was
received, months ago, by the same service call with the clock of that day. Deterministic for one seed and day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from his.catalogs import api as catalogs
from his.catalogs.schemas import DrugEntry
from his.kernel.audit.service import AuditActor
from his.kernel.clock import Clock, FixedClock
from his.kernel.runtime import Kernel
from his.pharmacy import service
from his.pharmacy.schemas import ReceiptIn, ReceiptLineIn

ACTOR = AuditActor(user_id=None, username="demo-seed", role="system", client_ip=None, request_id=None)
MAIN_STORE = "KC"
OUTPATIENT = "NT"
SUPPLIERS = (
    ("Công ty CP Dược phẩm Trung ương 1", "PHA"),
    ("Công ty CP Dược Hậu Giang", "DHG"),
    ("Công ty CP Traphaco", "TRA"),
    ("Công ty TNHH Zuellig Pharma Việt Nam", "ZPV"),
)
LINES_PER_RECEIPT = 25
_BULK_UNITS = frozenset({"Viên", "Gói"})


@dataclass(frozen=True, slots=True)
class _Planned:
    warehouse: str
    line: ReceiptLineIn


async def _demo_drugs(kernel: Kernel, day: date) -> list[DrugEntry]:
    drugs: list[DrugEntry] = []
    async with kernel.db.transaction() as session:
        offset = 0
        while True:
            page = await catalogs.search(session, kind="drugs", as_of=day, limit=200, offset=offset)
            drugs += [item for item in page.items if isinstance(item, DrugEntry)]
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return sorted(drugs, key=lambda drug: drug.code)


def _lot_number(rng: random.Random, expiry: date) -> str:
    # Manufacturers print the lot with the production year: "2405123" for a 2024 lot.
    produced = expiry.year - rng.choice((2, 3))
    return f"{produced % 100:02d}{rng.randint(1, 12):02d}{rng.randint(100, 999)}"


def _expiry(rng: random.Random, day: date) -> date:
    if rng.random() < 0.12:
        return day + timedelta(days=rng.randint(10, 60))
    return day + timedelta(days=rng.randint(90, 900))


def _quantity(rng: random.Random, drug: DrugEntry, *, bulk: bool) -> int:
    if drug.unit in _BULK_UNITS:
        return rng.randint(5, 40) * (100 if bulk else 20)
    return rng.randint(2, 20) * (20 if bulk else 5)


def _unit_cost(rng: random.Random, drug: DrugEntry) -> int:
    # Bought some 10-30 % below the catalog price, in whole dong.
    return max(1, drug.price * rng.randint(70, 90) // 100)


def _plan(rng: random.Random, drugs: list[DrugEntry], day: date) -> list[_Planned]:
    planned: list[_Planned] = []
    for drug in drugs:
        for _ in range(rng.randint(1, 3)):
            expiry = _expiry(rng, day)
            planned.append(
                _Planned(
                    OUTPATIENT,
                    ReceiptLineIn(
                        drug.code,
                        _lot_number(rng, expiry),
                        expiry,
                        _quantity(rng, drug, bulk=False),
                        _unit_cost(rng, drug),
                    ),
                )
            )
        expiry = day + timedelta(days=rng.randint(365, 1000))
        planned.append(
            _Planned(
                MAIN_STORE,
                ReceiptLineIn(
                    drug.code, _lot_number(rng, expiry), expiry, _quantity(rng, drug, bulk=True), _unit_cost(rng, drug)
                ),
            )
        )
    return planned


async def _receive(
    kernel: Kernel, clock: Clock, warehouse: str, supplier: int, number: int, lines: list[ReceiptLineIn]
) -> None:
    name, prefix = SUPPLIERS[supplier]
    day = service.today(clock)
    async with kernel.db.transaction() as session:
        await service.receive(
            session,
            clock,
            ACTOR,
            ReceiptIn(warehouse, name, f"{prefix}-{day.year}-{number:05d}", day, lines),
        )


async def seed_pharmacy(kernel: Kernel, rng: random.Random) -> None:
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        await service.create_warehouse(
            session, kernel.clock, ACTOR, code=MAIN_STORE, name="Kho chính khoa Dược", kind="main"
        )
        await service.create_warehouse(
            session, kernel.clock, ACTOR, code=OUTPATIENT, name="Nhà thuốc ngoại trú", kind="outpatient"
        )
    drugs = await _demo_drugs(kernel, day)
    if not drugs:
        return
    # The lot that shows the rule: received 120 days ago with 117 days to go, expired three days ago.
    past = FixedClock(kernel.clock.now() - timedelta(days=120))
    expired = ReceiptLineIn(drugs[0].code, "EXP0001", day - timedelta(days=3), 100, _unit_cost(rng, drugs[0]))
    await _receive(kernel, past, OUTPATIENT, 0, 1, [expired])
    planned = _plan(rng, drugs, day)
    number = 1
    for warehouse in (MAIN_STORE, OUTPATIENT):
        lines = [item.line for item in planned if item.warehouse == warehouse]
        for start in range(0, len(lines), LINES_PER_RECEIPT):
            number += 1
            await _receive(
                kernel,
                kernel.clock,
                warehouse,
                rng.randrange(len(SUPPLIERS)),
                number,
                lines[start : start + LINES_PER_RECEIPT],
            )
