"""The demo hospital's front desk: a month of outpatient visits, registered the way a receptionist registers them.

Over the 30 days before today (Viet Nam calendar) the desk registers some 40-80 outpatient visits on a weekday,
a Saturday-morning clinic, a handful on Sundays, and a few emergencies every day and night, spread over the demo
clinic rooms with their exam service; some patients bring a referral paper from the facility their card names.
Each visit goes through `service.register_visit` with a clock set to the moment of registration, so tickets are
numbered per room and day and visit codes carry the right date. A few past visits are cancelled (the patient left
before being called); the others wait for the doctor (his.outpatient.demo examines the past ones). A dozen or so
of today's visits, registered in the hours before the seed runs, stay waiting.

Deterministic for one random source and one day: the number of visits of every day, today's included, never
depends on the time of day the seed runs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from his.catalogs import api as catalogs
from his.catalogs.schemas import ClinicRoomEntry, ServiceEntry
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import get_user
from his.kernel.clock import FixedClock, local_date, vietnam_zone
from his.kernel.errors import DomainError
from his.kernel.runtime import Kernel
from his.patients import api as patients
from his.reception import service
from his.reception.schemas import VisitIn

VISIT_DAYS = 30
DESK_USERNAME = "letan"  # the demo receptionist (his.kernel.demo)
EXAM_GROUP = "Khám bệnh"
EMERGENCY_ROOM = ("PK-CC", "Khám cấp cứu")
OWN_FACILITY = "79999"  # the demo hospital (his.kernel.demo.DEMO_FACILITY_CODE)
CHILD_AGE = 16  # the children's clinic sees patients younger than this

# (room code prefix, exam service name, share of the day's visits, who comes): the demo catalog's clinic rooms.
ROOM_PLAN: tuple[tuple[str, str, int, str], ...] = (
    ("PK-NOI", "Khám Nội", 38, "adult"),
    ("PK-NHI", "Khám Nhi", 14, "child"),
    ("PK-SAN", "Khám Sản", 3, "woman"),
    ("PK-PK", "Khám Phụ khoa", 4, "woman"),
    ("PK-NGOAI", "Khám Ngoại", 7, "adult"),
    ("PK-CTCH", "Khám Ngoại", 4, "anyone"),
    ("PK-TIM", "Khám Tim mạch", 9, "older"),
    ("PK-TMH", "Khám Tai Mũi Họng", 6, "anyone"),
    ("PK-RHM", "Khám Răng Hàm Mặt", 3, "anyone"),
    ("PK-MAT", "Khám Mắt", 4, "anyone"),
    ("PK-DL", "Khám Da liễu", 4, "anyone"),
    ("PK-YHCT", "Khám Y học cổ truyền", 4, "adult"),
)
CANCEL_SHARE = 0.025
REFERRAL_SHARE = 0.45  # of the visits of patients whose card names another facility
CANCEL_REASONS = ("Người bệnh bỏ về, không chờ khám", "Người bệnh xin về, hẹn khám lại hôm khác")


@dataclass(frozen=True, slots=True)
class DemoPatient:
    id: int
    sex: str
    birth_date: date | None
    birth_year: int
    card_facility: str | None  # the registered facility of the card valid today, if any

    def age_on(self, day: date) -> int:
        if self.birth_date is None:
            return day.year - self.birth_year
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True, slots=True)
class Room:
    code: str
    service_code: str
    weight: int
    who: str


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    at: datetime
    patient: DemoPatient
    room: Room
    kind: str  # outpatient | emergency
    referral_from: str | None
    cancel: bool


async def desk_actor(kernel: Kernel, username: str, role: str) -> AuditActor:
    """The demo account doing the work, as the audit trail will name it (its id when the account exists)."""
    async with kernel.db.transaction() as session:
        try:
            user_id: int | None = (await get_user(session, username)).id
        except DomainError:
            user_id = None
    return AuditActor(user_id=user_id, username=username, role=role, client_ip=None, request_id="demo-seed")


async def demo_patients(kernel: Kernel, day: date) -> list[DemoPatient]:
    """Every confirmed, living patient record, by id (temporary identities are left to the emergency desk)."""
    found: list[DemoPatient] = []
    async with kernel.db.transaction() as session:
        offset = 0
        while True:
            page = await patients.search_patients(session, limit=200, offset=offset)
            for item in page.items:
                if item.identity_status != "confirmed":
                    continue
                card = await patients.active_card(session, patient_id=item.id, on=day)
                found.append(
                    DemoPatient(
                        item.id,
                        item.sex,
                        item.birth_date,
                        item.birth_year,
                        card.initial_facility_code if card is not None else None,
                    )
                )
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return sorted(found, key=lambda patient: patient.id)


async def _exam_services(kernel: Kernel, day: date) -> dict[str, str]:
    """Exam service name -> code, from the services catalog."""
    names = {name for _, name, _, _ in ROOM_PLAN} | {EMERGENCY_ROOM[1]}
    codes: dict[str, str] = {}
    async with kernel.db.transaction() as session:
        for name in sorted(names):
            page = await catalogs.search(session, kind="services", q=name, as_of=day, limit=20)
            for item in page.items:
                if isinstance(item, ServiceEntry) and item.name == name and item.group == EXAM_GROUP:
                    codes[name] = item.code
    return codes


async def demo_rooms(kernel: Kernel, day: date) -> tuple[list[Room], Room | None]:
    """(clinic rooms with their exam service, the emergency room): those of the plan that the catalog has."""
    services = await _exam_services(kernel, day)
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="clinic-rooms", as_of=day, limit=200)
    entries = sorted((item for item in page.items if isinstance(item, ClinicRoomEntry)), key=lambda room: room.code)
    rooms: list[Room] = []
    for prefix, service_name, weight, who in ROOM_PLAN:
        matching = [room for room in entries if room.code.startswith(prefix) and room.code[len(prefix) :].isdigit()]
        if service_name not in services or not matching:
            continue
        # The clinic's share is split over its rooms (six internal-medicine rooms, three for children, ...).
        share = max(1, round(weight / len(matching)))
        rooms += [Room(room.code, services[service_name], share, who) for room in matching]
    emergency = None
    if EMERGENCY_ROOM[1] in services and any(room.code == EMERGENCY_ROOM[0] for room in entries):
        emergency = Room(EMERGENCY_ROOM[0], services[EMERGENCY_ROOM[1]], 1, "anyone")
    return rooms, emergency


def _fits(patient: DemoPatient, who: str, day: date) -> bool:
    age = patient.age_on(day)
    if who == "child":
        return age < CHILD_AGE
    if who == "adult":
        return age >= CHILD_AGE
    if who == "older":
        return age >= 35
    if who == "woman":
        return patient.sex == "F" and 16 <= age <= 60
    return True


def _visit_count(rng: random.Random, day: date) -> tuple[int, int]:
    """(outpatient visits, emergencies) of a day."""
    weekday = day.weekday()
    if weekday < 5:
        outpatients = rng.randint(40, 80)
    elif weekday == 5:
        outpatients = rng.randint(12, 25)  # the Saturday-morning clinic
    else:
        outpatients = rng.randint(0, 5)
    return outpatients, rng.randint(1, 4) + (1 if weekday >= 5 else 0)


def _clinic_time(rng: random.Random, day: date) -> datetime:
    """A registration time in clinic hours, mornings busier: 07:00-11:00 and 13:00-16:30 (Saturday 07:00-11:30)."""
    if day.weekday() == 5 or rng.random() < 0.7:
        start, minutes = time(7, 0), (270 if day.weekday() == 5 else 240)
    else:
        start, minutes = time(13, 0), 210
    moment = datetime.combine(day, start, tzinfo=vietnam_zone()) + timedelta(minutes=rng.uniform(0, minutes))
    return moment.astimezone(UTC).replace(microsecond=0)


def _any_time(rng: random.Random, day: date) -> datetime:
    moment = datetime.combine(day, time(0, 0), tzinfo=vietnam_zone()) + timedelta(minutes=rng.uniform(0, 1439))
    return moment.astimezone(UTC).replace(microsecond=0)


def _pick_patient(rng: random.Random, people: list[DemoPatient], who: str, day: date) -> DemoPatient:
    for _ in range(50):
        patient = rng.choice(people)
        if _fits(patient, who, day):
            return patient
    return rng.choice(people)


def _referral(rng: random.Random, patient: DemoPatient) -> str | None:
    facility = patient.card_facility
    if facility is None or facility == OWN_FACILITY or rng.random() >= REFERRAL_SHARE:
        return None
    return facility


def plan_day(
    rng: random.Random, day: date, people: list[DemoPatient], rooms: list[Room], emergency: Room | None
) -> list[PlannedVisit]:
    """The visits of a past day, in the order of their registration."""
    outpatients, emergencies = _visit_count(rng, day)
    weights = [room.weight for room in rooms]
    planned: list[PlannedVisit] = []
    for _ in range(outpatients if rooms else 0):
        room = rng.choices(rooms, weights=weights)[0]
        patient = _pick_patient(rng, people, room.who, day)
        at = _clinic_time(rng, day)
        planned.append(PlannedVisit(at, patient, room, "outpatient", _referral(rng, patient), False))
    for _ in range(emergencies if emergency is not None else 0):
        assert emergency is not None
        patient = rng.choice(people)
        planned.append(PlannedVisit(_any_time(rng, day), patient, emergency, "emergency", None, False))
    planned.sort(key=lambda visit: (visit.at, visit.room.code, visit.patient.id))
    return [
        PlannedVisit(v.at, v.patient, v.room, v.kind, v.referral_from, rng.random() < CANCEL_SHARE) for v in planned
    ]


def plan_today(
    rng: random.Random, now: datetime, people: list[DemoPatient], rooms: list[Room], emergency: Room | None
) -> list[PlannedVisit]:
    """Today's visits, registered in the hours before `now` and all still waiting. How many does not depend on
    the time of day (only the registration times do), so two seeds on one day give the same tickets and codes."""
    day = local_date(now)
    count = rng.randint(12, 20) if day.weekday() < 5 else rng.randint(3, 6)
    since_midnight = now - datetime.combine(day, time(0, 0), tzinfo=vietnam_zone())
    span = max(timedelta(0), min(timedelta(hours=3), since_midnight - timedelta(minutes=1)))
    fractions = sorted((rng.random() for _ in range(count)), reverse=True)
    weights = [room.weight for room in rooms]
    planned: list[PlannedVisit] = []
    for fraction in fractions:
        at = (now - span * fraction).replace(microsecond=0)
        if rooms and rng.random() < 0.9:
            room = rng.choices(rooms, weights=weights)[0]
            patient = _pick_patient(rng, people, room.who, day)
            planned.append(PlannedVisit(at, patient, room, "outpatient", _referral(rng, patient), False))
        elif emergency is not None:
            planned.append(PlannedVisit(at, rng.choice(people), emergency, "emergency", None, False))
    return planned


async def _register_day(kernel: Kernel, actor: AuditActor, visits: list[PlannedVisit], referral_base: int) -> int:
    """Registers one day's visits in one transaction; returns the next referral paper number."""
    number = referral_base
    async with kernel.db.transaction() as session:
        for visit in visits:
            referral_number = None
            if visit.referral_from is not None:
                number += 1
                referral_number = f"{number:05d}/GCT"
            clock = FixedClock(visit.at)
            row = await service.register_visit(
                session,
                clock,
                kernel.settings.hospital,
                actor,
                VisitIn(
                    patient_id=visit.patient.id,
                    room_code=visit.room.code,
                    service_code=visit.room.service_code,
                    kind=visit.kind,
                    referral_from=visit.referral_from,
                    referral_number=referral_number,
                ),
            )
            if visit.cancel:
                clock.advance(timedelta(minutes=90))
                reason = CANCEL_REASONS[row.id % len(CANCEL_REASONS)]
                await service.change_status(session, clock, actor, row.id, "cancelled", reason)
    return number


async def seed_reception(kernel: Kernel, rng: random.Random) -> None:
    now = kernel.clock.now()
    today = local_date(now)
    people = await demo_patients(kernel, today)
    rooms, emergency = await demo_rooms(kernel, today)
    if not people or (not rooms and emergency is None):
        return
    actor = await desk_actor(kernel, DESK_USERNAME, "receptionist")
    referral_number = 0
    for back in range(VISIT_DAYS, 0, -1):
        day = today - timedelta(days=back)
        referral_number = await _register_day(
            kernel, actor, plan_day(rng, day, people, rooms, emergency), referral_number
        )
    await _register_day(kernel, actor, plan_today(rng, now, people, rooms, emergency), referral_number)
