"""`his demo seed` builds a month of outpatient activity: visits, examinations, prescriptions, dispensings.

Slow (two full demo seeds), so SQLite only: the seed goes through the same services as every other test, which
run on both databases. The system clock is frozen for the two seeds (a Wednesday morning in Viet Nam), so that
"today" and the hours before it are the same for both.
"""

from __future__ import annotations

import asyncio
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from his.cli import build_cli
from his.kernel import runtime
from his.kernel.clock import local_date
from his.kernel.db import make_engine
from his.outpatient.models import Diagnosis, Encounter, Prescription, PrescriptionLine
from his.pharmacy.models import Dispensing, Lot, Movement
from his.reception.models import Visit

pytestmark = pytest.mark.parametrize("db_backend", ["sqlite"])  # two full seeds: slow; the services run on both

FROZEN = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # Wednesday 11 March 2026, 10:30 in Viet Nam
TODAY = local_date(FROZEN)


class FrozenClock:
    def now(self) -> datetime:
        return FROZEN


@dataclass(frozen=True)
class Month:
    visits: list[tuple[str, str, date, int, str, str]]  # code, room, day, ticket, status, kind
    routes: Counter[str]
    encounters: list[tuple[str, str, str | None]]  # visit code, status, disposition
    main_diagnoses: Counter[str]  # visit code -> main diagnoses
    diagnoses: Counter[str]  # ICD-10 code -> times used
    prescriptions: list[tuple[str, str, int]]  # code, status, patient id
    lines_per_prescription: Counter[str]
    dispensings: list[tuple[str, int | None]]  # reference, patient id
    stock_equals_ledger: bool


def cli(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


async def _read(url: str) -> Month:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            visits = (
                await connection.execute(
                    select(
                        Visit.code, Visit.room_code, Visit.ticket_day, Visit.ticket_number, Visit.status, Visit.kind
                    ).order_by(Visit.id)
                )
            ).all()
            routes = (await connection.execute(select(Visit.route))).all()
            encounters = (
                await connection.execute(
                    select(Encounter.visit_code, Encounter.status, Encounter.disposition).order_by(Encounter.id)
                )
            ).all()
            mains = (
                await connection.execute(
                    select(Encounter.visit_code)
                    .join(Diagnosis, Diagnosis.encounter_id == Encounter.id)
                    .where(Diagnosis.is_main.is_(True))
                )
            ).all()
            codes = (await connection.execute(select(Diagnosis.icd10_code))).all()
            prescriptions = (
                await connection.execute(
                    select(Prescription.code, Prescription.status, Prescription.patient_id).order_by(Prescription.id)
                )
            ).all()
            lines = (
                await connection.execute(
                    select(Prescription.code).join(
                        PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id
                    )
                )
            ).all()
            dispensings = (
                await connection.execute(select(Dispensing.reference, Dispensing.patient_id).order_by(Dispensing.id))
            ).all()
            stock = dict((await connection.execute(select(Lot.id, Lot.quantity_on_hand))).all())
            movements = await connection.execute(
                select(Movement.lot_id, func.sum(Movement.delta)).group_by(Movement.lot_id)
            )
            ledger = {lot: int(total) for lot, total in movements.all()}
    finally:
        await engine.dispose()
    return Month(
        visits=[tuple(row) for row in visits],  # type: ignore[misc]
        routes=Counter(row[0] for row in routes),
        encounters=[tuple(row) for row in encounters],  # type: ignore[misc]
        main_diagnoses=Counter(row[0] for row in mains),
        diagnoses=Counter(row[0] for row in codes),
        prescriptions=[tuple(row) for row in prescriptions],  # type: ignore[misc]
        lines_per_prescription=Counter(row[0] for row in lines),
        dispensings=[tuple(row) for row in dispensings],  # type: ignore[misc]
        stock_equals_ledger=stock == ledger,
    )


def seed(url: str) -> Month:
    result = cli("--database-url", url, "demo", "seed", "--seed", "54")
    assert result.exit_code == 0, result.output
    return asyncio.run(_read(url))


def test_the_demo_hospital_has_a_month_of_visits_examinations_and_dispensings(
    database_url: str, sqlite_template: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(runtime, "SystemClock", FrozenClock)
    month = seed(database_url)

    # A month of visits: every day but today is over; today's patients are waiting.
    days = {day for _, _, day, _, _, _ in month.visits}
    assert len(days) >= 20 and min(days) == TODAY - timedelta(days=30) and max(days) == TODAY
    per_day = Counter(day for _, _, day, _, _, kind in month.visits if kind == "outpatient")
    weekdays = [count for day, count in per_day.items() if day.weekday() < 5 and day != TODAY]
    assert weekdays and all(40 <= count <= 80 for count in weekdays), per_day
    assert sum(kind == "emergency" for *_, kind in month.visits) >= 30
    # Cards of this hospital, of another with a referral paper, or without one (wrong route); and no card.
    assert all(month.routes[route] >= 10 for route in ("registered", "referral", "wrong", "emergency", "none"))
    assert {status for _, _, day, _, status, _ in month.visits if day == TODAY} == {"waiting"}
    past = Counter(status for _, _, day, _, status, _ in month.visits if day < TODAY)
    assert set(past) == {"finished", "cancelled"} and past["cancelled"] < past["finished"] // 10
    # Tickets are numbered 1, 2, 3 ... per room and day.
    tickets: dict[tuple[str, date], list[int]] = {}
    for _, room, day, ticket, _, _ in month.visits:
        tickets.setdefault((room, day), []).append(ticket)
    assert all(sorted(numbers) == list(range(1, len(numbers) + 1)) for numbers in tickets.values())

    # Every finished visit was examined, with exactly one main diagnosis and a disposition.
    finished = {code for code, _, day, _, status, _ in month.visits if status == "finished"}
    assert {code for code, status, _ in month.encounters if status == "finished"} == finished
    assert all(month.main_diagnoses[code] == 1 for code in finished)
    assert {disposition for _, _, disposition in month.encounters} == {"home", "follow_up"}
    assert len(month.diagnoses) >= 25 and sum(month.diagnoses.values()) > len(finished)  # some secondary ones

    # Most examinations end with a prescription of 1-4 drugs; most prescriptions were collected, not all.
    issued = {code: patient for code, status, patient in month.prescriptions if status == "issued"}
    assert len(issued) >= 0.6 * len(finished)
    assert set(month.lines_per_prescription.values()) <= {1, 2, 3, 4} and max(month.lines_per_prescription.values()) > 2
    assert 0.7 * len(issued) <= len(month.dispensings) < len(issued)
    assert all(issued[reference] == patient for reference, patient in month.dispensings)
    assert month.stock_equals_ledger

    verified = cli("--database-url", database_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output

    # The same seed into another fresh database: the same visits, tickets and prescriptions.
    other = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other)
    again = seed(f"sqlite+aiosqlite:///{other}")
    assert again.visits == month.visits
    assert again.prescriptions == month.prescriptions and again.dispensings == month.dispensings
