"""A small hospital where a visit goes the whole way: reception, examination, prescription, dispensing.

Built through the modules' own services, as tests/reception/conftest.py and tests/outpatient/conftest.py do, on
a fixed clock (09:00 in Viet Nam on 2 March 2026). Billing's sync and the claims export read what it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from his.app import installed_modules
from his.billing import service as billing_service
from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import create_user, sync_roles
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.outpatient import service as outpatient_service
from his.outpatient.checks import PrescriptionChecks
from his.outpatient.schemas import DiagnosisIn, DispositionIn, ExamIn, LineIn, PrescriptionIn
from his.outpatient.service import Doctor
from his.patients import service as patients_service
from his.patients.schemas import InsuranceCardIn, PatientIn
from his.pharmacy import api as pharmacy
from his.pharmacy import service as pharmacy_service
from his.pharmacy.schemas import DispenseLineIn, ReceiptIn, ReceiptLineIn
from his.reception import api as reception
from his.reception import service as reception_service
from his.reception.schemas import VisitIn
from his.settings import Settings

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DRUGS_HEADER = "code,name,substances,strengths,form,route,unit,bhyt_code,price,registration_number,tender\n"
AUGMENTIN_ROW = (
    "T0010,Augmentin 875 mg + 125 mg,Amoxicilin + Acid clavulanic,875 mg + 125 mg,Viên nén bao phim,Uống,Viên,"
    "40.3,16500,VN-2345-17,{tender}\n"
)
TODAY = date(2026, 3, 2)
FACILITY = "79001"
DESK = AuditActor(user_id=None, username="letan", role="receptionist", client_ip=None, request_id="t")
# Not the demo accounts' "bacsi": HTTP tests sign those in too.
DOCTOR_ACTOR = AuditActor(user_id=None, username="bs.an", role="doctor", client_ip=None, request_id="t")
PHARMACIST = AuditActor(user_id=None, username="duocsi", role="pharmacist", client_ip=None, request_id="t")
CASHIER = AuditActor(user_id=None, username="thungan", role="cashier", client_ip=None, request_id="t")
DOCTOR = Doctor("bs.an", "BS. Lê Văn An")
CERTIFICATE = "000123/HCM-CCHN"
ROOM, EXAM, STORE = "PK-NOI1", "DV01001", "NT"
# Prices at BHYT prices: exam 42,100 + 20 x 16,500 + 10 x 1,640 = 388,500 dong, above the small-visit limit
# (15% of the 2,340,000 base salary = 351,000), so the card's benefit level decides the fund's share.
CATALOGS = {
    "departments": "code,name,bhyt_code\nKKB,Khoa Khám bệnh,K01\n",
    "clinic-rooms": "code,name,department_code\nPK-NOI1,Phòng khám Nội 1,KKB\n",
    "staff": "code,name,title,department_code,practising_certificate_no,role\n"
    f"NV0003,Lê Văn An,BS,KKB,{CERTIFICATE},doctor\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DV01001,Khám Nội,Khám bệnh,Lần,45000,42100,02.1896\n",
    "icd10": "code,code_plain,name_vi,name_en,chapter_code,group_code,type_code,sex,min_age_days,max_age_days,"
    "is_asterisk,is_dagger,never_main\n"
    "J06.9,J069,Nhiễm trùng hô hấp trên cấp,Acute upper respiratory infection,J00-J99,J00-J06,J06,,,,0,0,0\n"
    "I10,I10,Tăng huyết áp vô căn,Essential hypertension,I00-I99,I10-I15,I10,,,,0,0,0\n",
    "drugs": DRUGS_HEADER
    + "T0001,Paracetamol 500 mg,Paracetamol,500 mg,Viên nén,Uống,Viên,40.106,1640,VD-12345-10,123/QĐ-SYT;G1;N4;2025\n"
    + AUGMENTIN_ROW.format(tender="123/QĐ-SYT;G1;N1;2025")
    + "T0020,Thuốc bổ ngoài danh mục,Vitamin C,500 mg,Viên nén,Uống,Viên,,2000,,\n",
}


def fixed_clock() -> FixedClock:
    return FixedClock(NOW)


@dataclass(frozen=True)
class Patients:
    insured: int  # card registered at this hospital, benefit level 4
    uninsured: int


async def build_hospital(kernel: Kernel) -> Patients:
    """Catalogs, the BHYT policy, a receipt book, the doctor's sign-in, a stocked pharmacy and two patients."""
    async with kernel.db.transaction() as session:
        await sync_roles(session, kernel.registry)
        for kind in ("icd10", "departments", "clinic-rooms", "staff", "services", "drugs"):
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind=kind, source=CATALOGS[kind].encode(), effective=date(2025, 1, 1)
            )
        await billing_service.import_policy(
            kernel,
            session,
            DESK,
            text=billing_service.packaged_policy_path().read_text(encoding="utf-8"),
            source_name="bhyt_policy.csv",
        )
        await billing_service.create_book(kernel, session, DESK, code="BL01", symbol="BL/26")
        await create_user(
            session,
            kernel.hasher,
            kernel.clock,
            kernel.settings.security,
            username="bs.an",
            full_name="BS. Lê Văn An",
            password="Bac-si-2026-noi",
            roles=["doctor"],
            staff_code="NV0003",
        )
        await pharmacy_service.create_warehouse(
            session, kernel.clock, PHARMACIST, code=STORE, name="Nhà thuốc ngoại trú", kind="outpatient"
        )
        await pharmacy_service.receive(
            session,
            kernel.clock,
            PHARMACIST,
            ReceiptIn(
                warehouse_code=STORE,
                supplier="Công ty CP Dược Hậu Giang",
                invoice_number="HD-0001",
                invoice_date=TODAY,
                lines=[
                    ReceiptLineIn("T0001", "L1", date(2028, 1, 31), 500, 1000),
                    ReceiptLineIn("T0010", "L2", date(2028, 1, 31), 500, 12000),
                    ReceiptLineIn("T0020", "L3", date(2028, 1, 31), 500, 1500),
                ],
            ),
        )

    async def patient(data: PatientIn) -> int:
        async with kernel.db.transaction() as session:
            row, _card = await patients_service.register(kernel, session, DESK, data)
            return row.id

    identity: dict[str, object] = {
        "ethnicity_code": "01",
        "nationality_code": "000",
        "occupation_code": "00000",
        "address_line": "12 Lê Lợi, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
        "province_code": "79",
        "district_code": "760",
        "ward_code": "26740",
        "phone": "0903123456",
    }
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
            card=card,
            **identity,  # type: ignore[arg-type]
        )
    )
    uninsured = await patient(
        PatientIn(sex="F", full_name="Trần Thị Bình", birth_date=date(1990, 3, 2), cccd="079190005678")
    )
    return Patients(insured, uninsured)


async def register_visit(kernel: Kernel, patient_id: int) -> tuple[int, str]:
    async with kernel.db.transaction() as session:
        row = await reception_service.register_visit(
            session,
            kernel.clock,
            kernel.settings.hospital,
            DESK,
            VisitIn(patient_id=patient_id, room_code=ROOM, service_code=EXAM, reason="Sốt, ho 3 ngày"),
        )
        return row.id, row.code


AUGMENTIN = LineIn("T0010", Decimal(1), 2, 10, instructions="sau ăn")
PARACETAMOL = LineIn("T0001", Decimal(1), 2, 5, instructions="khi sốt")


async def examine(
    kernel: Kernel,
    visit_id: int,
    *,
    diagnoses: Sequence[DiagnosisIn] = (DiagnosisIn("J06.9", True), DiagnosisIn("I10")),
    lines: Sequence[LineIn] = (AUGMENTIN, PARACETAMOL),
) -> str | None:
    """Examines, diagnoses, prescribes and finishes; answers the prescription code (None without lines)."""
    clock, hospital = kernel.clock, kernel.settings.hospital
    async with kernel.db.transaction() as session:
        await outpatient_service.open_encounter(session, clock, DOCTOR_ACTOR, DOCTOR, visit_id)
        await outpatient_service.record_exam(
            session,
            clock,
            DOCTOR_ACTOR,
            visit_id,
            ExamIn(reason="Sốt, ho 3 ngày", exam_notes="Họng đỏ, phổi không ran.", pulse=88, weight_kg=Decimal("62.5")),
        )
        await outpatient_service.set_diagnoses(session, clock, DOCTOR_ACTOR, visit_id, list(diagnoses))
        await outpatient_service.set_disposition(session, clock, DOCTOR_ACTOR, visit_id, DispositionIn("home"))
        code = None
        if lines:
            row, _alerts = await outpatient_service.issue_prescription(
                session,
                clock,
                DOCTOR_ACTOR,
                DOCTOR,
                PrescriptionChecks(),
                hospital,
                visit_id,
                PrescriptionIn(lines=list(lines), advice="Uống nhiều nước"),
            )
            code = row.code
        await outpatient_service.finish_encounter(session, clock, DOCTOR_ACTOR, visit_id)
    return code


async def dispense(kernel: Kernel, prescription_code: str, lines: Sequence[tuple[str, int]]) -> int:
    async with kernel.db.transaction() as session:
        done = await pharmacy.dispense(
            session,
            kernel.clock,
            warehouse_code=STORE,
            reference=prescription_code,
            lines=[DispenseLineIn(code, quantity) for code, quantity in lines],
            actor=PHARMACIST,
        )
        return done.id


async def finish_without_exam(kernel: Kernel, visit_id: int) -> None:
    """A visit closed at the desk without the doctor's record (no diagnosis at all)."""
    async with kernel.db.transaction() as session:
        await reception.change_status(session, kernel.clock, DESK, visit_id=visit_id, status="in_exam")
        await reception.change_status(session, kernel.clock, DESK, visit_id=visit_id, status="finished")


async def full_visit(kernel: Kernel, patient_id: int) -> tuple[str, int]:
    """Registered, examined with a prescription of 20 Augmentin and 10 Paracetamol, all dispensed:
    (visit code, dispensing id)."""
    visit_id, code = await register_visit(kernel, patient_id)
    prescription = await examine(kernel, visit_id)
    assert prescription is not None
    dispensing = await dispense(kernel, prescription, [("T0010", 20), ("T0001", 10)])
    return code, dispensing


async def prepared_visit(settings: Settings) -> str:
    """For HTTP tests (run outside an event loop): the hospital and one insured patient's full visit."""
    kernel = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        patients = await build_hospital(kernel)
        code, _dispensing = await full_visit(kernel, patients.insured)
        return code
    finally:
        await kernel.db.dispose()
