"""The pure statistics rules: the period, daily flow, counts, occupancy, length of stay, diagnoses, revenue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from his.kernel.errors import InvalidInput
from his.statistics import rules
from his.statistics.rules import BedFact, Period, RevenueFact, StayFact, VisitFact

pytestmark = pytest.mark.criterion(42)

TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 1), date(2026, 3, 3))


def test_the_default_period_is_the_last_30_days() -> None:
    period = rules.period_of(None, "", TODAY)
    assert period == Period(date(2026, 3, 2), TODAY)
    assert len(period.days) == 30


def test_a_period_given_in_full_is_kept() -> None:
    assert rules.period_of("2026-01-01", "2026-01-31", TODAY) == Period(date(2026, 1, 1), date(2026, 1, 31))
    assert rules.period_of("2026-03-05", None, TODAY) == Period(date(2026, 3, 5), TODAY)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("2026-03-10", "2026-03-09", "date_to"),  # ends before it starts
        ("2024-03-30", "2026-03-31", "date_from"),  # 732 days
        ("2026-02-30", None, "date_from"),  # no such day
        ("hôm qua", None, "date_from"),
    ],
)
def test_bad_periods_are_refused(start: str, end: str | None, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules.period_of(start, end, TODAY)
    assert refused.value.field == field


def test_two_years_exactly_are_allowed() -> None:
    assert len(rules.period_of("2024-04-01", "2026-03-31", TODAY).days) == 730


VISITS = [
    VisitFact(date(2026, 3, 1), "KKB", "outpatient", False, date(2026, 3, 1), "J06.9"),
    VisitFact(date(2026, 3, 1), "KKB", "outpatient", False, date(2026, 3, 2), "I10"),  # examined the next day
    VisitFact(date(2026, 3, 1), "KKB", "outpatient", True),  # cancelled
    VisitFact(date(2026, 3, 1), "KCC", "emergency", False, date(2026, 3, 1), "I10"),
    VisitFact(date(2026, 3, 3), "KKB", "outpatient", False),  # waiting
    VisitFact(date(2026, 2, 28), "KKB", "outpatient", False, date(2026, 3, 1), "E11"),  # before the period
]


def test_daily_flow_counts_registrations_by_ticket_day_and_exams_by_their_day() -> None:
    flow = rules.daily_flow(VISITS, MARCH)
    assert flow == [
        rules.FlowRow(date(2026, 3, 1), "KCC", 1, 1),
        rules.FlowRow(date(2026, 3, 1), "KKB", 2, 2),
        rules.FlowRow(date(2026, 3, 2), "KKB", 0, 1),
        rules.FlowRow(date(2026, 3, 3), "KKB", 1, 0),
    ]
    assert rules.flow_by_day(flow, MARCH) == [
        (date(2026, 3, 1), 3, 3),
        (date(2026, 3, 2), 0, 1),
        (date(2026, 3, 3), 1, 0),
    ]
    assert rules.flow_by_department(flow) == [("KKB", 3, 3), ("KCC", 1, 1)]


def test_counts() -> None:
    stays = [
        StayFact("NOI", date(2026, 2, 20), date(2026, 3, 2), 10),
        StayFact("NOI", date(2026, 3, 2), None, None),
    ]
    counts = rules.counts(VISITS, stays, MARCH, inpatients_now=7)
    assert counts == rules.Counts(outpatient=3, emergency=1, exams=4, admissions=1, discharges=1, inpatients_now=7)


def test_occupancy_per_department_and_for_the_hospital() -> None:
    rows = rules.occupancy([BedFact("NOI", 20, 15), BedFact("NGOAI", 10, 3), BedFact("NHI", 0, 0)])
    assert [(r.department_code, r.beds, r.occupied, r.rate) for r in rows] == [
        ("NGOAI", 10, 3, Decimal("30.0")),
        ("NHI", 0, 0, None),
        ("NOI", 20, 15, Decimal("75.0")),
        ("", 30, 18, Decimal("60.0")),
    ]


def test_percent_rounds_half_up() -> None:
    assert rules.percent(1, 3) == Decimal("33.3")
    assert rules.percent(2, 3) == Decimal("66.7")
    assert rules.percent(1, 8) == Decimal("12.5")


def test_average_length_of_stay_of_the_stays_discharged_in_the_period() -> None:
    stays = [
        StayFact("NOI", date(2026, 2, 20), date(2026, 3, 2), 10),
        StayFact("NOI", date(2026, 3, 1), date(2026, 3, 3), None),  # no bed days recorded: 2 calendar days
        StayFact("NOI", date(2026, 3, 1), date(2026, 3, 1), None),  # same-day: counts one day
        StayFact("NOI", date(2026, 1, 1), date(2026, 1, 5), 4),  # discharged before the period
        StayFact("NOI", date(2026, 3, 2), None, None),  # still in
    ]
    assert rules.average_length_of_stay(stays, MARCH) == (3, Decimal("4.3"))
    assert rules.average_length_of_stay([], MARCH) == (0, None)


def test_top_diagnoses_counts_main_diagnoses_of_exams_in_the_period() -> None:
    # E11: registered the day before the period, examined inside it.
    assert rules.top_diagnoses(VISITS, MARCH) == [("I10", 2), ("E11", 1), ("J06.9", 1)]
    assert rules.top_diagnoses(VISITS, MARCH, limit=1) == [("I10", 2)]


def test_revenue_by_day_fills_every_day_and_totals() -> None:
    facts = [
        RevenueFact(date(2026, 3, 1), 100, 20, 5),
        RevenueFact(date(2026, 3, 1), 50, 0, 0),
        RevenueFact(date(2026, 3, 3), 0, 0, 45000),
    ]
    rows = rules.revenue_by_day(facts, MARCH)
    assert [(r.day.day, r.fund, r.copay, r.other, r.total) for r in rows] == [
        (1, 150, 20, 5, 175),
        (2, 0, 0, 0, 0),
        (3, 0, 0, 45000, 45000),
    ]
    total = rules.revenue_total(rows)
    assert (total.fund, total.copay, total.other, total.total) == (150, 20, 45005, 45175)
