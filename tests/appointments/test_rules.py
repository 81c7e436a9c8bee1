"""The pure rules of appointments: times, slots, closures, phones, the paper's validity, no-shows, XML14."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from his.appointments import rules

pytestmark = pytest.mark.criterion(50)

MORNING = rules.Session(0, 450, 690, 15, 2, date(2026, 1, 1), None)  # Mondays 07:30-11:30


def test_times_of_day() -> None:
    assert [rules.parse_minute(t) for t in ("07:30", "7h30", "7.30", " 13:05 ")] == [450, 450, 450, 785]
    assert [rules.parse_minute(t) for t in ("24:00", "7:60", "730", "", "bảy giờ")] == [None] * 5
    assert rules.clock_text(450) == "07:30"
    assert rules.local_moment(date(2026, 11, 23), 450) == datetime(2026, 11, 23, 0, 30, tzinfo=UTC)


def test_a_session_is_cut_into_whole_slots() -> None:
    times = rules.slot_times(MORNING)
    assert len(times) == 16 and times[0] == (450, 465) and times[-1] == (675, 690)
    odd = rules.Session(0, 450, 500, 20, 1, date(2026, 1, 1), None)
    assert rules.slot_times(odd) == [(450, 470), (470, 490)]  # the last 10 minutes are no slot


def test_session_problems_name_the_field() -> None:
    assert rules.session_problems(MORNING) == []
    fields = {
        "weekday": rules.Session(7, 450, 690, 15, 2, date(2026, 1, 1), None),
        "end": rules.Session(0, 690, 450, 15, 2, date(2026, 1, 1), None),
        "slot_minutes": rules.Session(0, 450, 460, 15, 2, date(2026, 1, 1), None),
        "capacity": rules.Session(0, 450, 690, 15, 51, date(2026, 1, 1), None),
        "valid_to": rules.Session(0, 450, 690, 15, 2, date(2026, 1, 1), date(2025, 12, 31)),
    }
    for field, session in fields.items():
        assert [f.field for f in rules.session_problems(session)] == [field]


def test_runs_on_its_weekday_while_in_force() -> None:
    limited = rules.Session(0, 450, 690, 15, 2, date(2026, 11, 1), date(2026, 11, 30))
    assert rules.runs_on(limited, date(2026, 11, 23))
    assert not rules.runs_on(limited, date(2026, 11, 24))  # a Tuesday
    assert not rules.runs_on(limited, date(2026, 12, 7))  # a Monday after the end


def test_closures_apply_to_everybody_a_room_or_a_doctor() -> None:
    day = date(2026, 11, 23)
    holiday = [rules.ClosureRule(day, None, None)]
    room = [rules.ClosureRule(day, "PK-NOI1", None)]
    doctor = [rules.ClosureRule(day, None, "NV0003")]
    assert rules.is_closed(holiday, day=day, room_code="PK-NOI2", doctor_code="NV0100")
    assert rules.is_closed(room, day=day, room_code="PK-NOI1", doctor_code="NV0100")
    assert not rules.is_closed(room, day=day, room_code="PK-NOI2", doctor_code="NV0003")
    assert rules.is_closed(doctor, day=day, room_code="PK-NOI2", doctor_code="NV0003")
    assert not rules.is_closed(holiday, day=date(2026, 11, 24), room_code="PK-NOI1", doctor_code="NV0003")


def test_phones_and_ranges() -> None:
    assert rules.normalised_phone("+84 912 345 678") == "0912345678"
    assert rules.normalised_phone("0912.345.678") == "0912345678"
    assert rules.normalised_phone("12ab") is None and rules.normalised_phone("0123") is None
    assert [f.field for f in rules.range_problems(date(2026, 1, 2), date(2026, 1, 1))] == ["last"]
    assert [f.field for f in rules.range_problems(date(2026, 1, 1), date(2027, 1, 3))] == ["last"]
    assert rules.reminder_days(1) == [] and [f.field for f in rules.reminder_days(15)] == ["days"]


def test_the_paper_is_valid_ten_working_days() -> None:
    # Monday 23 November: ten working days end on Friday 4 December.
    assert rules.paper_valid_until(date(2026, 11, 23)) == date(2026, 12, 4)
    assert rules.paper_code(42, date(2026, 11, 23)) == "000042/2026/GHKL"


def test_no_show_lines_per_doctor() -> None:
    lines = rules.no_show_lines(
        [("A", "BS A", "attended", 3), ("A", "BS A", "no_show", 1), ("B", "BS B", "no_show", 2)]
    )
    assert [(line.doctor_code, line.total, line.no_shows, line.rate_percent) for line in lines] == [
        ("B", 2, 2, 100),
        ("A", 4, 1, 25),
    ]
    assert rules.becomes_no_show("booked", date(2026, 1, 1), date(2026, 1, 2))
    assert not rules.becomes_no_show("booked", date(2026, 1, 2), date(2026, 1, 2))
    assert not rules.becomes_no_show("attended", date(2026, 1, 1), date(2026, 1, 2))


def test_xml14_record_of_a_self_paying_patient_born_in_a_known_year() -> None:
    facts = rules.PaperFacts(
        code="000001/2026/GHKL",
        facility_code="79999",
        patient_name="Trần Thị Bình",
        birth_date=None,
        birth_year=1950,
        sex="F",
        address="",
        card_number=None,
        card_valid_to=date(2026, 12, 31),
        visit_code="79999.2611230001",
        visited_at=datetime(2026, 11, 23, 1, 0, tzinfo=UTC),
        finished_at=datetime(2026, 11, 23, 2, 15, tzinfo=UTC),
        appointment_at=rules.local_moment(date(2026, 11, 30), 540),
        diagnosis_text="Tăng huyết áp vô căn (I10)",
        main_code="I10",
        other_codes=["A39.0†", "G01*"],
        route="registered",
        doctor_certificate="001237/BYT-CCHN",
        head_insurance_number="7999900001",
        issued_on=date(2026, 11, 23),
    )
    record = rules.xml14_record(facts)
    assert record["NGAY_SINH"] == "195000000000" and record["GIOI_TINH"] == "2"
    assert record["MA_THE_BHYT"] == "" and record["GT_THE_DEN"] == "" and record["MA_DOITUONG_KCB"] == ""
    assert record["NGAY_VAO"] == "202611230800" and record["NGAY_RA"] == "202611230915"
    assert record["NGAY_HEN_KL"] == "202611300900" and record["MA_BENH_KT"] == "A39.0;G01"
    assert len(record) == 22
