"""The demo hospital's pharmacy: a main store and an outpatient pharmacy, stocked by ordinary goods receipts, and a
month of outpatient prescriptions dispensed by their code.

Every drug of the demo catalog gets 1-3 lots in the outpatient pharmacy and one bulk lot in the main store, received
before the month of demo visits began (his.reception.demo). Expiry dates are realistic (mostly 3 months to 2.5
years away, some within 60 days so the warning list has something to show), and one lot is already expired, to show
that dispensing skips it: it was received, months ago, by the same service call with the clock of that day, for a
drug the demo prescriptions never ask for (so it is still there). Drugs the month's prescriptions use more of than
the regular lots hold get a bigger lot in the same receipts, as the pharmacy would have ordered.

Then the pharmacist dispenses most of the prescriptions of the finished demo visits (some patients never come to
collect theirs), through `service.dispense_prescription`, with the clock a little after the prescription was
signed (sometimes the next day), in the order it happened. Deterministic for one seed and day.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from his.catalogs import api as catalogs
from his.catalogs.schemas import ClinicRoomEntry, DrugEntry
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import get_user
from his.kernel.clock import Clock, FixedClock
from his.kernel.errors import Conflict, DomainError
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.pharmacy import service
from his.pharmacy.rules import VIETNAM, collect_until, vietnam_day
from his.pharmacy.schemas import ReceiptIn, ReceiptLineIn
from his.reception import api as reception

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
HISTORY_DAYS = 31  # the demo visits go back 30 days (his.reception.demo); the stock was received before them
PHARMACIST_USERNAME = "duocsi"  # the demo pharmacist (his.kernel.demo)
COLLECT_SHARE = 0.88  # of the prescriptions: the others are never collected
NEXT_DAY_SHARE = 0.12  # of the collected ones: the patient comes back the next morning
TOP_UP_MARGIN = 1.3  # a drug's month of prescriptions is ordered with this margin


@dataclass(frozen=True, slots=True)
class _Prescription:
    code: str
    issued_at: datetime
    quantities: dict[str, int]  # drug code -> quantity


@dataclass(frozen=True, slots=True)
class _Collection:
    at: datetime
    code: str


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


def _top_up(planned: list[_Planned], demand: Counter[str], drugs: list[DrugEntry], day: date) -> list[_Planned]:
    """One more outpatient lot of every drug whose regular lots hold less than the month's prescriptions need."""
    stocked: Counter[str] = Counter()
    for item in planned:
        if item.warehouse == OUTPATIENT:
            stocked[item.line.drug_code] += item.line.quantity
    by_code = {drug.code: drug for drug in drugs}
    extra: list[_Planned] = []
    for code in sorted(demand):
        wanted = math.ceil(demand[code] * TOP_UP_MARGIN)
        if code not in by_code or stocked[code] >= wanted:
            continue
        pack = 100 if by_code[code].unit in _BULK_UNITS else 10
        quantity = math.ceil((wanted - stocked[code]) / pack) * pack
        expiry = day + timedelta(days=540)
        lot = f"{expiry.year % 100 - 2:02d}{expiry.month:02d}{len(extra) + 1:03d}"
        extra.append(_Planned(OUTPATIENT, ReceiptLineIn(code, lot, expiry, quantity, _unit_cost_of(by_code[code]))))
    return extra


def _unit_cost_of(drug: DrugEntry) -> int:
    return max(1, drug.price * 80 // 100)


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


async def _pharmacist(kernel: Kernel) -> AuditActor:
    async with kernel.db.transaction() as session:
        try:
            user_id: int | None = (await get_user(session, PHARMACIST_USERNAME)).id
        except DomainError:
            user_id = None
    return AuditActor(
        user_id=user_id, username=PHARMACIST_USERNAME, role="pharmacist", client_ip=None, request_id="demo-seed"
    )


async def _clinic_rooms(kernel: Kernel, day: date) -> list[str]:
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=200)
    return sorted(item.code for item in page.items if isinstance(item, ClinicRoomEntry))


async def _demo_prescriptions(kernel: Kernel, day: date) -> list[_Prescription]:
    """The issued prescriptions of the visits finished over the demo month, through reception's and outpatient's
    public api: every room's queue of every day, then the examination of each finished visit."""
    found: list[_Prescription] = []
    rooms = await _clinic_rooms(kernel, day)
    for back in range(HISTORY_DAYS, 0, -1):
        async with kernel.db.transaction() as session:
            for room in rooms:
                for visit in await reception.room_queue(session, room_code=room, day=day - timedelta(days=back)):
                    if visit.status != "finished":
                        continue
                    encounter = await outpatient.find_encounter(session, visit_id=visit.id)
                    for prescription in encounter.prescriptions if encounter is not None else ():
                        if prescription.status == "issued":
                            quantities: Counter[str] = Counter()
                            for line in prescription.lines:
                                quantities[line.drug_code] += line.quantity
                            found.append(_Prescription(prescription.code, prescription.issued_at, dict(quantities)))
    return sorted(found, key=lambda item: (item.issued_at, item.code))


def _collections(rng: random.Random, prescriptions: list[_Prescription], now: datetime) -> list[_Collection]:
    """When each collected prescription is dispensed: soon after it was signed, or the next morning."""
    planned: list[_Collection] = []
    for prescription in prescriptions:
        if rng.random() >= COLLECT_SHARE:
            continue
        at = prescription.issued_at + timedelta(minutes=rng.randint(5, 50))
        if rng.random() < NEXT_DAY_SHARE:
            next_day = vietnam_day(prescription.issued_at) + timedelta(days=1)
            morning = datetime.combine(next_day, time(7, 30), tzinfo=VIETNAM) + timedelta(minutes=rng.randint(0, 180))
            at = morning.astimezone(prescription.issued_at.tzinfo)
        if at < now and vietnam_day(at) <= collect_until(vietnam_day(prescription.issued_at)):
            planned.append(_Collection(at.replace(microsecond=0), prescription.code))
    return sorted(planned, key=lambda item: (item.at, item.code))


async def _dispense_all(kernel: Kernel, actor: AuditActor, collections: list[_Collection]) -> int:
    """Dispenses in the order it happened, a day per transaction; returns how many were refused (none expected:
    the stock was ordered for them)."""
    refused = 0
    by_day: dict[date, list[_Collection]] = {}
    for item in collections:
        by_day.setdefault(vietnam_day(item.at), []).append(item)
    for day in sorted(by_day):
        async with kernel.db.transaction() as session:
            for item in by_day[day]:
                try:
                    async with session.begin_nested():
                        await service.dispense_prescription(
                            session, FixedClock(item.at), actor, code=item.code, warehouse_code=OUTPATIENT
                        )
                except Conflict:
                    refused += 1
    return refused


async def seed_pharmacy(kernel: Kernel, rng: random.Random) -> None:
    now = kernel.clock.now()
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
    prescriptions = await _demo_prescriptions(kernel, day)
    collections = _collections(rng, prescriptions, now)
    wanted = {item.code for item in collections}
    demand: Counter[str] = Counter()
    for prescription in prescriptions:
        if prescription.code in wanted:
            demand.update(prescription.quantities)
    # The lot that shows the rule: received 120 days ago with 117 days to go, expired three days ago, of a drug
    # that nobody was prescribed this month (so none of it went out before it expired).
    shown = next((drug for drug in drugs if drug.code not in demand), drugs[0])
    past = FixedClock(now - timedelta(days=120))
    expired = ReceiptLineIn(shown.code, "EXP0001", day - timedelta(days=3), 100, _unit_cost(rng, shown))
    await _receive(kernel, past, OUTPATIENT, 0, 1, [expired])
    planned = _plan(rng, drugs, day)
    planned += _top_up(planned, demand, drugs, day)
    # Received before the first demo visit, so that every dispensing of the month finds its stock.
    received = FixedClock(now - timedelta(days=HISTORY_DAYS + 5))
    number = 1
    for warehouse in (MAIN_STORE, OUTPATIENT):
        lines = [item.line for item in planned if item.warehouse == warehouse]
        for start in range(0, len(lines), LINES_PER_RECEIPT):
            number += 1
            await _receive(
                kernel,
                received,
                warehouse,
                rng.randrange(len(SUPPLIERS)),
                number,
                lines[start : start + LINES_PER_RECEIPT],
            )
    if collections:
        await _dispense_all(kernel, await _pharmacist(kernel), collections)
