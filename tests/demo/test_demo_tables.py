"""The demo month's tables and plans, without a database: every drug and ICD-10 code the demo uses exists and fits
the patients it is used for, and a day's plan does not depend on the hour the seed runs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from his.catalogs.demo import CLINIC_ROOMS, demo_drugs, demo_services
from his.catalogs.icd10 import iter_icd10_records
from his.catalogs.rules import check_diagnosis
from his.outpatient.demo import CONDITIONS, FALLBACK, Condition, _specialty
from his.reception.demo import EMERGENCY_ROOM, ROOM_PLAN, DemoPatient, Room, plan_day, plan_today

AGES = (0, 1, 3, 5, 8, 11, 12, 15, 16, 18, 25, 30, 35, 40, 45, 50, 60, 75, 90)
EVERY = [c for conditions in CONDITIONS.values() for c in conditions] + [FALLBACK]


def test_every_prescribed_drug_is_a_demo_catalog_drug() -> None:
    names = {content["name"] for _, content in demo_drugs(random.Random("his-catalogs-demo"))}
    missing = {rx.drug for c in EVERY for rx in c.lines + c.child_lines} - names
    assert not missing


def test_every_diagnosis_is_valid_as_used_for_every_patient_it_may_be_chosen_for() -> None:
    records = {record.code: record for record in iter_icd10_records()}
    for condition in EVERY:
        assert condition.code in records, condition.code
        for sex in (condition.sex,) if condition.sex else ("F", "M"):
            for age in (a for a in AGES if condition.min_age <= a <= condition.max_age):
                days = age * 365 + 30
                assert not check_diagnosis(records[condition.code], sex=sex, age_days=days, is_main=True), (
                    condition.code,
                    sex,
                    age,
                )
                for secondary in condition.secondary:
                    assert secondary in records and not check_diagnosis(
                        records[secondary], sex=sex, age_days=days, is_main=False
                    ), (secondary, sex, age)


def test_the_childrens_clinic_treats_young_children_with_childrens_forms() -> None:
    # Under 12 the demo prescribes only a condition's children's lines (sachets, no adult tablets).
    assert all(c.child_lines or not c.lines for c in CONDITIONS["PK-NHI"])
    units = {content["name"]: content["unit"] for _, content in demo_drugs(random.Random("his-catalogs-demo"))}
    # Whole units a parent can give: no syrup bottles or tubes, whose "dose per time" would read as a whole bottle.
    assert {units[rx.drug] for c in EVERY for rx in c.lines + c.child_lines} <= {"Viên", "Gói", "Ống"}


@pytest.mark.parametrize("room", [code for code, _, _ in CLINIC_ROOMS if code.startswith("PK-")])
def test_every_clinic_room_of_the_demo_has_a_specialty_and_an_exam_service(room: str) -> None:
    assert _specialty(room) in CONDITIONS
    services = {content["name"] for _, content in demo_services(random.Random("his-catalogs-demo"))}
    planned = {name for prefix, name, _, _ in ROOM_PLAN if room.startswith(prefix)} | (
        {EMERGENCY_ROOM[1]} if room == EMERGENCY_ROOM[0] else set()
    )
    assert planned and planned <= services


def _people() -> list[DemoPatient]:
    rng = random.Random(1)
    return [
        DemoPatient(n, rng.choice("MF"), date(2026 - rng.randint(0, 90), 6, 1), 0, rng.choice((None, "79999", "79001")))
        for n in range(1, 301)
    ]


ROOMS = [Room("PK-NOI1", "DV01001", 6, "adult"), Room("PK-NHI1", "DV01003", 5, "child")]
CC = Room("PK-CC", "DV01012", 1, "anyone")


def test_a_weekday_has_forty_to_eighty_outpatients_in_registration_order() -> None:
    day = date(2026, 3, 10)  # a Tuesday
    planned = plan_day(random.Random(5), day, _people(), ROOMS, CC)
    outpatients = [v for v in planned if v.kind == "outpatient"]
    assert 40 <= len(outpatients) <= 80 and [v.at for v in planned] == sorted(v.at for v in planned)
    assert all(v.patient.age_on(day) < 16 for v in outpatients if v.room.code == "PK-NHI1")
    assert all(v.referral_from in (None, "79001") for v in planned)


def test_todays_visits_are_the_same_whatever_the_hour_the_seed_runs() -> None:
    people = _people()
    morning = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 08:00 in Viet Nam
    evening = morning + timedelta(hours=12, minutes=17)
    early = plan_today(random.Random(9), morning, people, ROOMS, CC)
    late = plan_today(random.Random(9), evening, people, ROOMS, CC)
    assert [(v.patient.id, v.room.code) for v in early] == [(v.patient.id, v.room.code) for v in late]
    assert early and all(v.at <= morning for v in early) and all(v.at <= evening for v in late)
    assert all(not v.cancel for v in early)


def test_a_condition_list_entry_is_well_formed() -> None:
    for condition in EVERY:
        assert isinstance(condition, Condition) and condition.complaint and condition.findings
        assert all(1 <= rx.times <= 4 and 1 <= rx.days <= 30 for rx in condition.lines + condition.child_lines)
