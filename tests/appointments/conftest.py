"""A small clinic for appointments tests, on a fixed clock: Monday 23 November 2026, 07:30 in Viet Nam.

Two doctors in the staff catalog (one is the sign-in "bacsi", so an examination names its staff code), two rooms,
patients with phone numbers, and a finished examination whose disposition is a follow-up a week later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from his.app import create_app, installed_modules
from his.appointments import service
from his.appointments.schemas import ScheduleIn
from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.auth.models import User
from his.kernel.auth.service import create_user, sync_roles
from his.kernel.clock import FixedClock
from his.kernel.demo import DEMO_PASSWORD
from his.kernel.runtime import Kernel, build_kernel
from his.outpatient import service as outpatient_service
from his.outpatient.schemas import DiagnosisIn, DispositionIn
from his.outpatient.service import Doctor
from his.patients import service as patients_service
from his.patients.schemas import InsuranceCardIn, PatientIn
from his.reception import service as reception_service
from his.reception.schemas import VisitIn
from his.settings import Settings

START = datetime(2026, 11, 23, 0, 30, tzinfo=UTC)  # Monday 07:30 in Viet Nam
TODAY = date(2026, 11, 23)
DESK = AuditActor(user_id=2, username="letan", role="receptionist", client_ip="127.0.0.1", request_id="t")
ADMIN = AuditActor(user_id=1, username="admin", role="admin", client_ip="127.0.0.1", request_id="t")
DOCTOR_ACTOR = AuditActor(user_id=3, username="bacsi", role="doctor", client_ip="127.0.0.1", request_id="t")
DOCTOR_CODE = "NV0003"  # the sign-in "bacsi"
OTHER_DOCTOR = "NV0100"
ROOM = "PK-NOI1"
OTHER_ROOM = "PK-NOI2"
FACILITY = "00000"

CATALOGS = {
    "departments": "code,name,bhyt_code\nKKB,Khoa Khám bệnh,K01\n",
    "clinic-rooms": "code,name,department_code\nPK-NOI1,Phòng khám Nội 1,KKB\nPK-NOI2,Phòng khám Nội 2,KKB\n",
    "staff": "code,name,title,department_code,practising_certificate_no,role\n"
    "NV0003,Lê Văn An,BS,KKB,001237/BYT-CCHN,doctor\n"
    "NV0100,Phạm Thị Hoa,BSCKI,KKB,001300/BYT-CCHN,doctor\n"
    "NV0200,Trần Thị Lan,ĐD,KKB,001400/BYT-CCHN,nurse\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DV01001,Khám Nội,Khám bệnh,Lần,45000,42100,02.1896\n",
    "icd10": "code,code_plain,name_vi,name_en,chapter_code,group_code,type_code,sex,min_age_days,max_age_days,"
    "is_asterisk,is_dagger,never_main\n"
    "I10,I10,Tăng huyết áp vô căn,Essential hypertension,I00-I99,I10-I15,I10,,,,0,0,0\n"
    "E11,E11,Bệnh đái tháo đường không phụ thuộc insuline,Type 2 diabetes mellitus,E00-E90,E10-E14,E11,,,,0,0,0\n",
}


@dataclass(frozen=True)
class Clinic:
    insured: int  # patient ids
    uninsured: int
    follow_up_visit: int  # the finished examination of `insured` asking for a follow-up on FOLLOW_UP_DAY
    follow_up_day: date


FOLLOW_UP_DAY = TODAY + timedelta(days=7)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def kernel(settings: Settings, clock: FixedClock) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), clock)
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Litestar:
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app: Litestar, staff: dict[str, str]) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


async def build_clinic(kernel: Kernel) -> Clinic:
    async with kernel.db.transaction() as session:
        for kind, text in CATALOGS.items():
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
            )
        # The examining doctor's sign-in names its staff record (as the demo accounts do).
        user = await session.scalar(select(User).where(User.username == "bacsi"))
        if user is None:
            await create_user(
                session,
                kernel.hasher,
                kernel.clock,
                kernel.settings.security,
                username="bacsi",
                full_name="BS. Lê Văn An",
                password=DEMO_PASSWORD,
                roles=["doctor"],
                staff_code=DOCTOR_CODE,
            )
        else:
            user.staff_code = DOCTOR_CODE

    async def patient(data: PatientIn) -> int:
        async with kernel.db.transaction() as session:
            row, _card = await patients_service.register(kernel, session, DESK, data)
            return row.id

    card = InsuranceCardIn(
        card_number="DN4797912345678",
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        initial_facility_code=FACILITY,
    )
    insured = await patient(
        PatientIn(
            sex="M",
            full_name="Nguyễn Văn An",
            birth_date=date(1980, 5, 17),
            cccd="079080001234",
            phone="0912345678",
            address_line="12 Lê Lợi, Phường 1",
            card=card,
        )
    )
    uninsured = await patient(
        PatientIn(
            sex="F", full_name="Trần Thị Bình", birth_date=date(1990, 3, 2), cccd="079190005678", phone="0987654321"
        )
    )
    async with kernel.db.transaction() as session:
        visit = await reception_service.register_visit(
            session,
            kernel.clock,
            kernel.settings.hospital,
            DESK,
            VisitIn(patient_id=insured, room_code=ROOM, service_code="DV01001"),
        )
    doctor = Doctor("bacsi", "BS. Lê Văn An")
    async with kernel.db.transaction() as session:
        await outpatient_service.open_encounter(session, kernel.clock, DOCTOR_ACTOR, doctor, visit.id)
        await outpatient_service.set_diagnoses(
            session,
            kernel.clock,
            DOCTOR_ACTOR,
            visit.id,
            [DiagnosisIn(code="I10", is_main=True), DiagnosisIn(code="E11")],
        )
        await outpatient_service.set_disposition(
            session,
            kernel.clock,
            DOCTOR_ACTOR,
            visit.id,
            DispositionIn(disposition="follow_up", follow_up_date=FOLLOW_UP_DAY),
        )
        await outpatient_service.finish_encounter(session, kernel.clock, DOCTOR_ACTOR, visit.id)
    return Clinic(insured=insured, uninsured=uninsured, follow_up_visit=visit.id, follow_up_day=FOLLOW_UP_DAY)


async def add_schedules(kernel: Kernel, *, capacity: int = 2, days: int = 14) -> None:
    """Mornings Monday to Friday for both doctors (07:30-11:30, 30-minute slots), slots for `days` days."""
    async with kernel.db.transaction() as session:
        for doctor, room in ((DOCTOR_CODE, ROOM), (OTHER_DOCTOR, OTHER_ROOM)):
            for weekday in range(5):
                await service.create_schedule(
                    session,
                    kernel.clock,
                    ADMIN,
                    ScheduleIn(doctor, room, weekday, "07:30", "11:30", slot_minutes=30, capacity=capacity),
                )
        await service.generate_slots(session, kernel.clock, ADMIN, first=TODAY, last=TODAY + timedelta(days=days - 1))


async def slot_at(kernel: Kernel, day: date, start: str, doctor: str = DOCTOR_CODE) -> int:
    async with kernel.db.transaction() as session:
        slots = await service.slots_on(session, day=day, doctor_code=doctor)
    return next(s.id for s in slots if s.start_minute == int(start[:2]) * 60 + int(start[3:]))


@pytest.fixture
async def clinic(kernel: Kernel) -> Clinic:
    return await build_clinic(kernel)
