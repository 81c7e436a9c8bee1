"""The pure rules: bed days (Circular 39/2018 as amended), the charged bed of each day, manual bed statuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from his.inpatient import rules

IN = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 09:00 in Viet Nam


def days(hours: float, *, outcome: str = "2", kind: str = "1") -> int:
    out = IN + timedelta(hours=hours)
    return rules.bed_days(
        IN,
        out,
        admitted_on=date(2026, 3, 2),
        discharged_on=(out + timedelta(hours=7)).date(),
        outcome=outcome,
        kind=kind,
    )


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(3.9, 0), (4, 1), (23.9, 1), (24, 1), (72, 3), (73, 3), (24 * 9 + 5, 9)],
)
def test_bed_days_count_the_discharge_and_admission_day_once(hours: float, expected: int) -> None:
    assert days(hours) == expected


@pytest.mark.parametrize(("outcome", "kind"), [("5", "1"), ("6", "1"), ("2", "2"), ("2", "5")])
def test_death_severe_discharge_and_transfer_count_both_ends(outcome: str, kind: str) -> None:
    assert days(72, outcome=outcome, kind=kind) == 4
    assert days(3, outcome=outcome, kind=kind) == 0  # under 4 hours stays free of bed days


def test_treatment_days_are_the_calendar_span_plus_one() -> None:
    assert rules.treatment_days(date(2026, 3, 2), date(2026, 3, 5)) == 4


def test_a_day_in_two_beds_is_charged_once_at_the_dearest() -> None:
    beds = [
        rules.DayBed(date(2026, 3, 2), "G-NOI", 199_100),
        rules.DayBed(date(2026, 3, 3), "G-NOI", 199_100),
        rules.DayBed(date(2026, 3, 3), "G-HSTC", 700_000),
        rules.DayBed(date(2026, 3, 4), "G-HSTC", 700_000),
    ]
    charged = rules.charged_beds(2, date(2026, 3, 4), beds)
    assert [(b.day.day, b.service_code) for b in charged] == [(3, "G-HSTC"), (4, "G-HSTC")]
    assert rules.charged_beds(0, date(2026, 3, 4), beds) == []


def test_manual_status_changes() -> None:
    assert rules.manual_change_problem("cleaning", "free") is None
    assert rules.manual_change_problem("free", "out_of_service") is None
    assert rules.manual_change_problem("occupied", "free") is not None
    assert rules.manual_change_problem("free", "occupied") is not None


def test_discharge_problems_name_their_fields() -> None:
    found = rules.discharge_problems(
        admitted_at=IN, discharged_at=IN - timedelta(hours=1), outcome="9", kind="", icd10="", method=" "
    )
    assert [field for field, _message in found] == ["discharged_at", "outcome", "kind", "icd10", "treatment_method"]


def test_stay_codes_differ_from_visit_codes() -> None:
    assert rules.stay_code("79001", date(2026, 3, 2), 12) == "79001NT202603020000012"
