"""A small hospital for reception tests: a department, two rooms, exam services and a few patients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.clock import local_date
from his.kernel.runtime import Kernel
from his.patients import service as patients_service
from his.patients.schemas import InsuranceCardIn, PatientIn

DESK = AuditActor(user_id=2, username="letan", role="receptionist", client_ip="127.0.0.1", request_id="t")
FACILITY = "00000"  # the settings' default facility code; no hospital configuration row in these tests


@dataclass(frozen=True)
class Hospital:
    insured_here: int  # card registered at this hospital
    insured_elsewhere: int  # card registered at another facility
    uninsured: int
    today: date


async def build_hospital(kernel: Kernel) -> Hospital:
    actor = DESK
    today = local_date(kernel.clock.now())
    effective = date(2026, 1, 1)
    files = {
        "departments": "code,name,bhyt_code\nKKB,Khoa Khám bệnh,K01\n",
        "clinic-rooms": "code,name,department_code\nPK-NOI1,Phòng khám Nội 1,KKB\nPK-NHI1,Phòng khám Nhi 1,KKB\n",
        "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
        "DV01001,Khám Nội,Khám bệnh,Lần,45000,42100,02.1896\n"
        "DV01002,Khám Nhi,Khám bệnh,Lần,45000,42100,02.1897\n",
    }
    async with kernel.db.transaction() as session:
        for kind, text in files.items():
            await catalogs_service.import_catalog(
                kernel, session, actor, kind=kind, source=text.encode(), effective=effective
            )

    async def patient(name: str, cccd: str, card: InsuranceCardIn | None) -> int:
        async with kernel.db.transaction() as session:
            row, _ = await patients_service.register(
                kernel,
                session,
                actor,
                PatientIn(sex="M", full_name=name, birth_date=date(1980, 5, 17), cccd=cccd, card=card),
            )
            return row.id

    def card(number: str, facility: str) -> InsuranceCardIn:
        return InsuranceCardIn(
            card_number=number, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31), initial_facility_code=facility
        )

    return Hospital(
        insured_here=await patient("Nguyễn Văn An", "079080001234", card("DN4797912345678", FACILITY)),
        insured_elsewhere=await patient("Trần Văn Bình", "079080005678", card("HT3797912345679", "79001")),
        uninsured=await patient("Lê Văn Cường", "079080009012", None),
        today=today,
    )


@pytest.fixture
async def hospital(kernel: Kernel) -> Hospital:
    return await build_hospital(kernel)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC)
