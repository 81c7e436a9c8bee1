"""Pure statistics rules: the period, and how visits, exams, diagnoses, stays and charges become figures.

No I/O here: service.py gathers the facts through other modules' api, these functions count them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from his.kernel.errors import InvalidInput
from his.kernel.i18n import lazy as _

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years, a leap day included
TOP_DIAGNOSES = 10


@dataclass(frozen=True, slots=True)
class Period:
    date_from: date
    date_to: date

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]


def _parse_day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(_("Not a date: {value}"), field=field, value=raw[:20]) from None


def period_of(raw_from: str | None, raw_to: str | None, today: date) -> Period:
    """The period asked for; by default the last 30 days up to today. Refuses a period that ends before it
    starts or runs over two years (a report that long belongs to the data warehouse, not a page)."""
    date_to = _parse_day(raw_to, "date_to") if raw_to and raw_to.strip() else today
    if raw_from and raw_from.strip():
        date_from = _parse_day(raw_from, "date_from")
    else:
        date_from = date_to - timedelta(days=DEFAULT_DAYS - 1)
    if date_to < date_from:
        raise InvalidInput(_("The end of the period is before its start"), field="date_to")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidInput(_("The period may not be longer than two years"), field="date_from")
    return Period(date_from, date_to)


# ---------------------------------------------------------------- facts (gathered by the service)


@dataclass(frozen=True, slots=True)
class VisitFact:
    """One registration: its ticket day, its department, whether it was cancelled, and when (if) the doctor
    finished the exam with which main diagnosis."""

    day: date
    department_code: str
    kind: str  # outpatient | emergency
    cancelled: bool
    exam_day: date | None = None
    main_icd10: str | None = None


@dataclass(frozen=True, slots=True)
class StayFact:
    department_code: str
    admitted_on: date
    discharged_on: date | None
    bed_days: int | None


@dataclass(frozen=True, slots=True)
class BedFact:
    department_code: str
    beds: int  # beds in service
    occupied: int


@dataclass(frozen=True, slots=True)
class RevenueFact:
    day: date
    fund: int
    copay: int
    other: int


# ---------------------------------------------------------------- figures


@dataclass(frozen=True, slots=True)
class FlowRow:
    day: date
    department_code: str
    registrations: int
    exams: int


def daily_flow(visits: Iterable[VisitFact], period: Period) -> list[FlowRow]:
    """Registrations (not cancelled) by ticket day and exams finished by their day, per department; only days
    of the period, only department-days with something to count, by day then department."""
    registrations: Counter[tuple[date, str]] = Counter()
    exams: Counter[tuple[date, str]] = Counter()
    for visit in visits:
        if not visit.cancelled and period.date_from <= visit.day <= period.date_to:
            registrations[(visit.day, visit.department_code)] += 1
        if visit.exam_day is not None and period.date_from <= visit.exam_day <= period.date_to:
            exams[(visit.exam_day, visit.department_code)] += 1
    keys = sorted(set(registrations) | set(exams))
    return [FlowRow(day, dept, registrations[(day, dept)], exams[(day, dept)]) for day, dept in keys]


def flow_by_day(rows: Sequence[FlowRow], period: Period) -> list[tuple[date, int, int]]:
    """Every day of the period (zeros included, so a chart has no gaps): registrations and exams."""
    registrations: Counter[date] = Counter()
    exams: Counter[date] = Counter()
    for row in rows:
        registrations[row.day] += row.registrations
        exams[row.day] += row.exams
    return [(day, registrations[day], exams[day]) for day in period.days]


def flow_by_department(rows: Sequence[FlowRow]) -> list[tuple[str, int, int]]:
    """Totals per department, busiest first."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        totals[row.department_code][0] += row.registrations
        totals[row.department_code][1] += row.exams
    return sorted(((d, r, e) for d, (r, e) in totals.items()), key=lambda t: (-t[1], t[0]))


@dataclass(frozen=True, slots=True)
class Counts:
    outpatient: int  # registrations of kind outpatient, not cancelled
    emergency: int
    exams: int  # exams finished in the period
    admissions: int  # inpatient stays admitted in the period
    discharges: int
    inpatients_now: int  # stays open today


def counts(visits: Iterable[VisitFact], stays: Iterable[StayFact], period: Period, inpatients_now: int) -> Counts:
    visits = list(visits)
    stays = list(stays)
    inside = [v for v in visits if not v.cancelled and period.date_from <= v.day <= period.date_to]
    return Counts(
        outpatient=sum(1 for v in inside if v.kind != "emergency"),
        emergency=sum(1 for v in inside if v.kind == "emergency"),
        exams=sum(1 for v in visits if v.exam_day is not None and period.date_from <= v.exam_day <= period.date_to),
        admissions=sum(1 for s in stays if period.date_from <= s.admitted_on <= period.date_to),
        discharges=sum(
            1 for s in stays if s.discharged_on is not None and period.date_from <= s.discharged_on <= period.date_to
        ),
        inpatients_now=inpatients_now,
    )


def percent(part: int, whole: int) -> Decimal | None:
    """One decimal, half up; None when there is nothing to divide by."""
    if whole <= 0:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class OccupancyRow:
    department_code: str
    beds: int
    occupied: int
    rate: Decimal | None  # percent


def occupancy(beds: Iterable[BedFact]) -> list[OccupancyRow]:
    """Occupied beds over beds in service, per department, with the hospital total last (code "")."""
    rows = [OccupancyRow(b.department_code, b.beds, b.occupied, percent(b.occupied, b.beds)) for b in beds]
    rows.sort(key=lambda r: r.department_code)
    total_beds = sum(r.beds for r in rows)
    total_occupied = sum(r.occupied for r in rows)
    return [*rows, OccupancyRow("", total_beds, total_occupied, percent(total_occupied, total_beds))]


def average_length_of_stay(stays: Iterable[StayFact], period: Period) -> tuple[int, Decimal | None]:
    """Stays discharged in the period and their mean bed days (one decimal); None without a discharge."""
    days = [
        s.bed_days if s.bed_days is not None else max((s.discharged_on - s.admitted_on).days, 1)
        for s in stays
        if s.discharged_on is not None and period.date_from <= s.discharged_on <= period.date_to
    ]
    if not days:
        return 0, None
    mean = (Decimal(sum(days)) / Decimal(len(days))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return len(days), mean


def top_diagnoses(visits: Iterable[VisitFact], period: Period, limit: int = TOP_DIAGNOSES) -> list[tuple[str, int]]:
    """The most frequent main diagnoses of exams finished in the period; ties by code, so the order is stable."""
    found = Counter(
        v.main_icd10
        for v in visits
        if v.main_icd10 and v.exam_day is not None and period.date_from <= v.exam_day <= period.date_to
    )
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True, slots=True)
class RevenueRow:
    day: date
    fund: int
    copay: int
    other: int

    @property
    def total(self) -> int:
        return self.fund + self.copay + self.other


def revenue_by_day(facts: Iterable[RevenueFact], period: Period) -> list[RevenueRow]:
    """Every day of the period with the BHYT fund's share, the patients' co-payment and their other payments."""
    sums: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for fact in facts:
        sums[fact.day][0] += fact.fund
        sums[fact.day][1] += fact.copay
        sums[fact.day][2] += fact.other
    return [RevenueRow(day, *sums[day]) if day in sums else RevenueRow(day, 0, 0, 0) for day in period.days]


def revenue_total(rows: Sequence[RevenueRow]) -> RevenueRow:
    """The period's total, dated on its last day."""
    last = rows[-1].day if rows else date.min
    return RevenueRow(last, sum(r.fund for r in rows), sum(r.copay for r in rows), sum(r.other for r in rows))
