"""An inpatient test hospital: tests/billing/visits.py (catalogs, BHYT policy, an insured and an uninsured patient)
plus an internal-medicine and a surgery department with wards, beds and bed-day services, on a clock the tests move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest

from his.app import installed_modules
from his.catalogs import service as catalogs_service
from his.inpatient import service
from his.inpatient.schemas import BedIn, WardIn
from his.inpatient.service import Doctor
from his.kernel.audit.service import AuditActor
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.settings import HospitalDefaults, Settings
from tests.billing.visits import CATALOGS, DESK, FACILITY, Patients, build_hospital, fixed_clock

NURSE_ACTOR = AuditActor(user_id=None, username="dieuduong", role="nurse", client_ip=None, request_id="t")
WARD_DOCTOR_ACTOR = AuditActor(user_id=None, username="bs.an", role="doctor", client_ip=None, request_id="t")
WARD_DOCTOR = Doctor("bs.an", "BS. Lê Văn An")
# The billing test hospital's catalogs with two clinical departments and two bed-day services added.
DEPARTMENTS = CATALOGS["departments"] + "KNOI,Khoa Nội,K02\nKNGOAI,Khoa Ngoại,K19\n"
SERVICES = (
    CATALOGS["services"]
    + "G0101,Giường Nội khoa loại 1,Giường,Ngày,199100,199100,K02.1901\n"
    + "G0201,Giường Ngoại khoa loại 1,Giường,Ngày,280000,268400,K19.1909\n"
    + "XN0001,Định lượng Glucose [Máu],Xét nghiệm,Lần,25000,21500,23.0075.1494\n"
)
ICD10 = CATALOGS["icd10"] + "J18.9,J189,Viêm phổi không xác định,Pneumonia unspecified,J00-J99,J09-J18,J18,,,,0,0,0\n"


@dataclass(frozen=True)
class Ward:
    patients: Patients
    medical_beds: tuple[str, ...]  # KNOI
    surgical_beds: tuple[str, ...]  # KNGOAI


async def build_wards(kernel: Kernel, *, medical: int = 4, surgical: int = 2) -> Ward:
    patients = await build_hospital(kernel)
    async with kernel.db.transaction() as session:
        for kind, text in (("departments", DEPARTMENTS), ("services", SERVICES), ("icd10", ICD10)):
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind=kind, source=text.encode(), effective=date(2025, 1, 1)
            )
        await service.add_ward(kernel, session, DESK, WardIn(code="NOI-1", department_code="KNOI", name="Buồng 1"))
        await service.add_ward(kernel, session, DESK, WardIn(code="NGOAI-1", department_code="KNGOAI", name="Buồng 1"))
        medical_beds = tuple(f"N1-{i:02d}" for i in range(1, medical + 1))
        surgical_beds = tuple(f"G1-{i:02d}" for i in range(1, surgical + 1))
        for code in medical_beds:
            await service.add_bed(kernel, session, DESK, BedIn(code=code, ward_code="NOI-1", service_code="G0101"))
        for code in surgical_beds:
            await service.add_bed(kernel, session, DESK, BedIn(code=code, ward_code="NGOAI-1", service_code="G0201"))
    return Ward(patients, medical_beds, surgical_beds)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.hospital = HospitalDefaults(name="Bệnh viện Đa khoa Tỉnh (Test)", facility_code=FACILITY)
    return settings


@pytest.fixture
def clock() -> FixedClock:
    return fixed_clock()


@pytest.fixture
async def ward_kernel(settings: Settings, clock: FixedClock) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), clock)
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
async def ward(ward_kernel: Kernel) -> Ward:
    return await build_wards(ward_kernel)
