"""A small hospital for outpatient tests: a clinic room, ICD-10 codes, drugs, three patients with visits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.clock import local_date
from his.kernel.runtime import Kernel
from his.outpatient.service import Doctor
from his.patients import service as patients_service
from his.patients.schemas import PatientIn
from his.reception import service as reception_service
from his.reception.schemas import VisitIn

DESK = AuditActor(user_id=2, username="letan", role="receptionist", client_ip="127.0.0.1", request_id="t")
DOCTOR_ACTOR = AuditActor(user_id=3, username="bacsi", role="doctor", client_ip="127.0.0.1", request_id="t")
DOCTOR = Doctor("bacsi", "BS. Lê Văn An")
ROOM = "PK-NOI1"

CATALOGS = {
    "departments": "code,name,bhyt_code\nKKB,Khoa Khám bệnh,K01\n",
    "clinic-rooms": "code,name,department_code\nPK-NOI1,Phòng khám Nội 1,KKB\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DV01001,Khám Nội,Khám bệnh,Lần,45000,42100,02.1896\n",
    "icd10": "code,code_plain,name_vi,name_en,chapter_code,group_code,type_code,sex,min_age_days,max_age_days,"
    "is_asterisk,is_dagger,never_main\n"
    "J06.9,J069,Nhiễm trùng hô hấp trên cấp,Acute upper respiratory infection,J00-J99,J00-J06,J06,,,,0,0,0\n"
    "I10,I10,Tăng huyết áp vô căn,Essential hypertension,I00-I99,I10-I15,I10,,,,0,0,0\n"
    "N76.0,N760,Viêm âm đạo cấp,Acute vaginitis,N00-N99,N70-N77,N76,F,,,0,0,0\n"
    "A39.0†,A390,Viêm màng não do não mô cầu,Meningococcal meningitis,A00-B99,A30-A49,A39,,,,0,1,0\n"
    "G01*,G01,Viêm màng não trong bệnh nhiễm khuẩn,Meningitis in bacterial diseases,G00-G99,G00-G09,G01,,,,1,0,1\n",
    "drugs": "code,name,substances,strengths,form,route,unit,bhyt_code,price\n"
    "T0001,Paracetamol 500 mg,Paracetamol,500 mg,Viên nén,Uống,Viên,,500\n"
    "T0002,Amoxicilin 500 mg,Amoxicilin,500 mg,Viên nang,Uống,Viên,,1500\n"
    "T0003,Morphin 10 mg/ml,Morphin hydroclorid,10 mg/ml,Dung dịch tiêm,Tiêm,Ống,,5000\n"
    "T0004,Seduxen 5 mg,Diazepam,5 mg,Viên nén,Uống,Viên,,800\n",
}


@dataclass(frozen=True)
class Clinic:
    man: int  # patient ids
    woman: int
    child: int  # 30 months old; the guardian's name is recorded, not the guardian's ID number
    man_visit: int  # visit ids, waiting in ROOM in this order
    woman_visit: int
    child_visit: int
    today: date


def months_ago(today: date, months: int) -> date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return date(year, month + 1, min(today.day, 28))


async def build_clinic(kernel: Kernel) -> Clinic:
    today = local_date(kernel.clock.now())
    async with kernel.db.transaction() as session:
        for kind, text in CATALOGS.items():
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
            )

    async def patient(data: PatientIn) -> int:
        async with kernel.db.transaction() as session:
            row, _card = await patients_service.register(kernel, session, DESK, data)
            return row.id

    async def visit(patient_id: int) -> int:
        async with kernel.db.transaction() as session:
            row = await reception_service.register_visit(
                session,
                kernel.clock,
                kernel.settings.hospital,
                DESK,
                VisitIn(patient_id=patient_id, room_code=ROOM, service_code="DV01001"),
            )
            return row.id

    man = await patient(
        PatientIn(sex="M", full_name="Nguyễn Văn An", birth_date=date(1980, 5, 17), cccd="079080001234")
    )
    woman = await patient(
        PatientIn(sex="F", full_name="Trần Thị Bình", birth_date=date(1990, 3, 2), cccd="079190005678")
    )
    child = await patient(
        PatientIn(
            sex="M",
            full_name="Lê Minh Cường",
            birth_date=months_ago(today, 30),
            guardian_name="Lê Văn Dũng",
            guardian_relation="Bố",
        )
    )
    return Clinic(man, woman, child, await visit(man), await visit(woman), await visit(child), today)


@pytest.fixture
async def clinic(kernel: Kernel) -> Clinic:
    return await build_clinic(kernel)
