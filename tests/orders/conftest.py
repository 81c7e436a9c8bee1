"""A small hospital for the orders tests: a clinic room, laboratory and imaging services with order sets and
reference ranges, two patients with visits, one of them in an open examination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.runtime import Kernel
from his.orders import service
from his.orders.schemas import AnalyteIn, DefinitionsIn, PanelIn
from his.outpatient import service as outpatient_service
from his.patients import service as patients_service
from his.patients.schemas import PatientIn
from his.reception import service as reception_service
from his.reception.schemas import VisitIn

DESK = AuditActor(user_id=2, username="letan", role="receptionist", client_ip="127.0.0.1", request_id="t")
DOCTOR_ACTOR = AuditActor(user_id=3, username="bacsi", role="doctor", client_ip="127.0.0.1", request_id="t")
LAB_ACTOR = AuditActor(user_id=6, username="ktvxn", role="lab_technician", client_ip="127.0.0.1", request_id="t")
DOCTOR = service.Staff("bacsi", "BS. Lê Văn An")
LAB = service.Staff("ktvxn", "KTV. Võ Thị Dung")
ROOM = "PK-NOI1"
ELECTROLYTES = "DV04023"
GLUCOSE = "DV04007"
CBC = "DV04001"
CHEST_XRAY = "DV05001"
BED_DAY = "DV03001"

CATALOGS = {
    "departments": "code,name,bhyt_code\nKKB,Khoa Khám bệnh,K01\n",
    "clinic-rooms": "code,name,department_code\nPK-NOI1,Phòng khám Nội 1,KKB\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DV01001,Khám Nội,Khám bệnh,Lần,45000,42100,02.1896\n"
    "DV03001,Giường Nội khoa loại 1,Ngày giường,Ngày,250000,220000,03.0001\n"
    "DV04001,Tổng phân tích tế bào máu ngoại vi (bằng máy đếm laser),Xét nghiệm,Lần,50000,46200,04.0001\n"
    "DV04007,Định lượng Glucose [Máu],Xét nghiệm,Lần,25000,21500,04.0007\n"
    'DV04023,"Điện giải đồ (Na, K, Cl) [Máu]",Xét nghiệm,Lần,32000,29000,04.0023\n'
    "DV04051,Tổng phân tích nước tiểu (bằng máy tự động),Xét nghiệm,Lần,40000,37000,04.0051\n"
    "DV05001,Chụp X-quang ngực thẳng,Chẩn đoán hình ảnh,Lần,70000,65400,05.0001\n",
}

DEFINITIONS = DefinitionsIn(
    panels=[
        PanelIn(
            code="BMP", name="Basic metabolic panel", services=[GLUCOSE, ELECTROLYTES], specimen="Máu, ống Heparin"
        ),
        PanelIn(code="CXR", name="Chest X-ray", services=[CHEST_XRAY]),
    ],
    analytes=[
        AnalyteIn(ELECTROLYTES, "NA", "Natri", "mmol/L", Decimal(135), Decimal(145), Decimal(120), Decimal(160)),
        AnalyteIn(ELECTROLYTES, "K", "Kali", "mmol/L", Decimal("3.5"), Decimal("5.0"), Decimal("2.5"), Decimal("6.5")),
        AnalyteIn(GLUCOSE, "GLU", "Glucose", "mmol/L", Decimal("3.9"), Decimal("6.4"), Decimal("2.2"), Decimal(25)),
    ],
)


@dataclass(frozen=True)
class Clinic:
    patient: int
    other_patient: int
    visit: int  # in an open examination by the doctor
    waiting_visit: int  # not examined yet
    visit_code: str
    today: date


async def build_clinic(kernel: Kernel) -> Clinic:
    async with kernel.db.transaction() as session:
        for kind, text in CATALOGS.items():
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
            )
        await service.load_definitions(kernel, session, LAB_ACTOR, DEFINITIONS)

    async def patient(data: PatientIn) -> int:
        async with kernel.db.transaction() as session:
            row, _card = await patients_service.register(kernel, session, DESK, data)
            return row.id

    async def visit(patient_id: int) -> tuple[int, str]:
        async with kernel.db.transaction() as session:
            row = await reception_service.register_visit(
                session,
                kernel.clock,
                kernel.settings.hospital,
                DESK,
                VisitIn(patient_id=patient_id, room_code=ROOM, service_code="DV01001"),
            )
            return row.id, row.code

    man = await patient(
        PatientIn(sex="M", full_name="Nguyễn Văn An", birth_date=date(1980, 5, 17), cccd="079080001234")
    )
    woman = await patient(
        PatientIn(sex="F", full_name="Trần Thị Bình", birth_date=date(1990, 3, 2), cccd="079190005678")
    )
    visit_id, visit_code = await visit(man)
    waiting_id, _ = await visit(woman)
    async with kernel.db.transaction() as session:
        await outpatient_service.open_encounter(
            session, kernel.clock, DOCTOR_ACTOR, outpatient_service.Doctor(DOCTOR.username, DOCTOR.full_name), visit_id
        )
    from his.kernel.clock import local_date

    return Clinic(man, woman, visit_id, waiting_id, visit_code, local_date(kernel.clock.now()))


@pytest.fixture
async def clinic(kernel: Kernel) -> Clinic:
    return await build_clinic(kernel)
