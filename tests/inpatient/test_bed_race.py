"""100 admissions at once competing for 20 beds on PostgreSQL: 20 succeed with 20 distinct beds, 80 get a Conflict."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from his.inpatient import service
from his.inpatient.schemas import AdmitIn
from his.kernel.errors import Conflict
from his.kernel.runtime import Kernel
from his.patients import service as patients_service
from his.patients.schemas import PatientIn
from tests.billing.visits import DESK
from tests.inpatient.conftest import WARD_DOCTOR, WARD_DOCTOR_ACTOR, build_wards

pytestmark = [pytest.mark.criterion(40), pytest.mark.parametrize("db_backend", ["postgresql"])]
BEDS, ADMISSIONS = 20, 100
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng")
GIVEN = ("An", "Bình", "Cường", "Dũng", "Giang", "Hải", "Khánh", "Long", "Minh", "Nam")


async def _patients(kernel: Kernel, count: int) -> list[int]:
    ids: list[int] = []
    async with kernel.db.transaction() as session:
        for i in range(count):
            row, _card = await patients_service.register(
                kernel,
                session,
                DESK,
                PatientIn(sex="M", full_name=f"{FAMILY[i // 10]} Văn {GIVEN[i % 10]}", birth_year=1950 + i % 50),
            )
            ids.append(row.id)
    return ids


@pytest.mark.parametrize("by_code", [True, False], ids=["named-bed", "first-free-bed"])
async def test_concurrent_admissions_never_double_assign_a_bed(ward_kernel: Kernel, by_code: bool) -> None:
    ward = await build_wards(ward_kernel, medical=BEDS, surgical=0)
    patient_ids = await _patients(ward_kernel, ADMISSIONS)

    async def admit(i: int) -> str | None:
        bed = ward.medical_beds[i % BEDS] if by_code else ""
        try:
            async with ward_kernel.db.transaction() as session:
                stay = await service.admit(
                    ward_kernel,
                    session,
                    WARD_DOCTOR_ACTOR,
                    WARD_DOCTOR,
                    AdmitIn(
                        source="direct",
                        patient_id=patient_ids[i],
                        department_code="KNOI",
                        icd10_code="J18.9",
                        bed_code=bed,
                    ),
                )
                return stay.code
        except Conflict:
            return None

    results = await asyncio.gather(*(admit(i) for i in range(ADMISSIONS)))
    assert sum(r is not None for r in results) == BEDS
    async with ward_kernel.db.transaction() as session:
        rows = (
            await session.execute(text("SELECT bed_id, stay_id FROM inpatient_occupancy WHERE released_at IS NULL"))
        ).all()
        stays = (await session.execute(text("SELECT count(*) FROM inpatient_stay"))).scalar_one()
        statuses = (await session.execute(text("SELECT DISTINCT status FROM inpatient_bed"))).scalars().all()
    assert len(rows) == BEDS and len({bed for bed, _ in rows}) == BEDS and len({s for _, s in rows}) == BEDS
    assert stays == BEDS  # a refused admission leaves no stay behind
    assert statuses == ["occupied"]
