"""Statistics gathered through the other modules' api: the module has no tables and writes nothing.

One `Report` per period and department; the page, its charts and both exports are built from the same Report,
so the files carry exactly the figures on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from his.billing import api as billing
from his.catalogs import api as catalogs
from his.inpatient import api as inpatient
from his.kernel.clock import local_date
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.reception import api as reception
from his.statistics import rules
from his.statistics.rules import Period


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    department_code: str | None  # None: the whole hospital
    departments: dict[str, str]  # code -> name, for the filter and the labels
    flow: list[rules.FlowRow]
    flow_by_day: list[tuple[date, int, int]]
    flow_by_department: list[tuple[str, int, int]]
    counts: rules.Counts
    occupancy: list[rules.OccupancyRow]
    discharged_stays: int
    average_stay: Decimal | None
    diagnoses: list[Diagnosis]
    revenue: list[rules.RevenueRow]
    revenue_total: rules.RevenueRow

    def department_name(self, code: str) -> str:
        return self.departments.get(code, code)


async def departments(session: AsyncSession, on: date) -> dict[str, str]:
    page = await catalogs.search(session, kind="departments", as_of=on, limit=200)
    return {entry.code: entry.name for entry in page.items}


async def _visit_facts(session: AsyncSession, period: Period) -> tuple[list[rules.VisitFact], dict[str, str]]:
    """Every visit of the period with its department (through its clinic room) and, once examined, the day
    the exam finished and its main diagnosis. Also the department of each visit code (billing's encounter
    reference), to place revenue."""
    room_department: dict[str, str] = {}
    facts: list[rules.VisitFact] = []
    department_of_ref: dict[str, str] = {}
    for visit in await reception.visit_flow(session, date_from=period.date_from, date_to=period.date_to):
        if visit.room_code not in room_department:
            room = await catalogs.get_clinic_room(session, code=visit.room_code, as_of=visit.ticket_day)
            room_department[visit.room_code] = room.department_code if room else ""
        department = room_department[visit.room_code]
        department_of_ref[visit.code] = department
        exam_day: date | None = None
        main: str | None = None
        if visit.status in ("in_exam", "finished"):
            # One look-up per visit: outpatient has no read of a period's exams yet (see docs/statistics.md).
            encounter = await outpatient.find_encounter(session, visit_id=visit.id)
            if encounter is not None and encounter.status == "finished" and encounter.finished_at is not None:
                exam_day = local_date(encounter.finished_at)
                main = next((d.code for d in encounter.diagnoses if d.is_main), None)
        facts.append(
            rules.VisitFact(
                day=visit.ticket_day,
                department_code=department,
                kind=visit.kind,
                cancelled=visit.status == "cancelled",
                exam_day=exam_day,
                main_icd10=main,
            )
        )
    return facts, department_of_ref


async def _bed_facts(session: AsyncSession) -> list[rules.BedFact]:
    """Beds in service and occupied today, per department with beds."""
    facts = []
    for code in await inpatient.departments_with_beds(session):
        board = await inpatient.bed_board(session, department_code=code)
        in_service = sum(1 for bed in board.beds if bed.status != "out_of_service")
        facts.append(rules.BedFact(code, in_service, board.counts.get("occupied", 0)))
    return facts


async def build_report(session: AsyncSession, kernel: Kernel, period: Period, department_code: str | None) -> Report:
    today = local_date(kernel.clock.now())
    names = await departments(session, today)
    visits, department_of_ref = await _visit_facts(session, period)
    current = await inpatient.current_stays(session, department_code=department_code)
    for stay in current:
        department_of_ref.setdefault(stay.code, stay.department_code)
    beds = await _bed_facts(session)
    revenue_lines = await billing.revenue_lines(
        session, kernel=kernel, date_from=period.date_from, date_to=period.date_to
    )
    if department_code:
        visits = [v for v in visits if v.department_code == department_code]
        beds = [b for b in beds if b.department_code == department_code]
        revenue_lines = [r for r in revenue_lines if department_of_ref.get(r.encounter_ref) == department_code]
    stays = [
        rules.StayFact(
            department_code=s.department_code,
            admitted_on=local_date(s.admitted_at),
            discharged_on=local_date(s.discharged_at) if s.discharged_at else None,
            bed_days=s.bed_days,
        )
        for s in await inpatient.stays_between(
            session, date_from=period.date_from, date_to=period.date_to, department_code=department_code
        )
    ]
    flow = rules.daily_flow(visits, period)
    discharged, average = rules.average_length_of_stay(stays, period)
    diagnoses = []
    for code, count in rules.top_diagnoses(visits, period):
        entry = await catalogs.get_icd10(session, code=code, as_of=period.date_to)
        diagnoses.append(Diagnosis(code, entry.name if entry else code, count))
    revenue = rules.revenue_by_day(
        (rules.RevenueFact(r.service_date, r.fund_pays, r.patient_copay, r.patient_other) for r in revenue_lines),
        period,
    )
    return Report(
        period=period,
        department_code=department_code,
        departments=names,
        flow=flow,
        flow_by_day=rules.flow_by_day(flow, period),
        flow_by_department=rules.flow_by_department(flow),
        counts=rules.counts(visits, stays, period, inpatients_now=len(current)),
        occupancy=rules.occupancy(beds),
        discharged_stays=discharged,
        average_stay=average,
        diagnoses=diagnoses,
        revenue=revenue,
        revenue_total=rules.revenue_total(revenue),
    )
