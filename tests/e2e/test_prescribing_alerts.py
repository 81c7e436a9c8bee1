"""Decision support on the doctor's prescribing screen in a real browser: a hard stop for a pair of the national
list of contraindicated interactions (QĐ 5948/QĐ-BYT: clarithromycin + fluconazole), a warning for two drugs of
one class (two NSAIDs), and an override whose reason reaches the audit history.

Seeds only what it needs (a clinic room, five drugs, one patient with an open examination) on the shared server.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from his.app import installed_modules
from his.catalogs import service as catalogs_service
from his.kernel.audit.service import AuditActor
from his.kernel.demo import DEMO_PASSWORD
from his.kernel.runtime import build_kernel
from his.outpatient import service as outpatient_service
from his.outpatient.schemas import DiagnosisIn
from his.patients import service as patients_service
from his.patients.schemas import PatientIn
from his.reception import service as reception_service
from his.reception.schemas import VisitIn
from tests.conftest import make_settings
from tests.e2e.conftest import LiveServer, new_context, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(53)]
ROOM = "PK-CDSS"
ACTOR = AuditActor(user_id=None, username="e2e", role="cli", client_ip=None, request_id="e2e")
CATALOGS = {
    "departments": "code,name,bhyt_code\nKKB-CDSS,Khoa Khám bệnh (CDSS),K01\n",
    "clinic-rooms": f"code,name,department_code\n{ROOM},Phòng khám kê đơn an toàn,KKB-CDSS\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DVCDSS1,Khám Nội (CDSS),Khám bệnh,Lần,45000,42100,02.1896\n",
    "icd10": "code,code_plain,name_vi,name_en,chapter_code,group_code,type_code,sex,min_age_days,max_age_days,"
    "is_asterisk,is_dagger,never_main\n"
    "B37.9,B379,Bệnh nấm Candida không đặc hiệu,Candidiasis unspecified,A00-B99,B35-B49,B37,,,,0,0,0\n",
    "drugs": "code,name,substances,strengths,form,route,unit,bhyt_code,price\n"
    "E2E0101,Klacid 500 mg,Clarithromycin,500 mg,Viên nén bao phim,Uống,Viên,,3000\n"
    "E2E0102,Diflucan 150 mg,Fluconazol,150 mg,Viên nang,Uống,Viên,,4000\n"
    "E2E0103,Brufen 400 mg,Ibuprofen,400 mg,Viên nén bao phim,Uống,Viên,,900\n"
    "E2E0104,Voltaren 50 mg,Diclofenac,50 mg,Viên nén bao tan trong ruột,Uống,Viên,,700\n",
}


@dataclass(frozen=True)
class Seeded:
    patient_id: int
    visit_id: int


async def _seed(live_server: LiveServer) -> Seeded:
    kernel = build_kernel(make_settings(live_server.database_url, live_server.log.parent / "var"), installed_modules())
    try:
        async with kernel.db.transaction() as session:
            for kind, text in CATALOGS.items():
                if kind == "icd10" and live_server.icd10_problem is None:
                    continue  # the national list is there already
                await catalogs_service.import_catalog(
                    kernel, session, ACTOR, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
                )
        async with kernel.db.transaction() as session:
            patient, _card = await patients_service.register(
                kernel,
                session,
                ACTOR,
                PatientIn(sex="F", full_name="Đinh Thị Hoa", birth_date=date(1968, 4, 9), cccd="079168004321"),
            )
            visit = await reception_service.register_visit(
                session,
                kernel.clock,
                kernel.settings.hospital,
                ACTOR,
                VisitIn(patient_id=patient.id, room_code=ROOM, service_code="DVCDSS1"),
            )
            doctor = outpatient_service.Doctor("bacsi", "BS. Lê Văn An")
            await outpatient_service.open_encounter(session, kernel.clock, ACTOR, doctor, visit.id)
            await outpatient_service.set_diagnoses(
                session, kernel.clock, ACTOR, visit.id, [DiagnosisIn(code="B37.9", is_main=True)]
            )
            return Seeded(patient.id, visit.id)
    finally:
        await kernel.db.dispose()


@pytest.fixture
def seeded(live_server: LiveServer, browser: Browser) -> Seeded:
    # Playwright's event loop runs in this thread once `browser` exists: seed from a thread of our own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _seed(live_server)).result(timeout=120)


def _signed_in(browser: Browser, live_server: LiveServer, username: str) -> Page:
    page = new_context(browser, live_server).new_page()
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def _add_drug(page: Page, query: str, name: str) -> None:
    search = page.locator("#prescriptions input[type=search]")
    search.fill(query)
    page.locator("#drug-results button", has_text=name).click()
    expect(page.locator("#lines tr", has_text=name)).to_have_count(1)


def test_hard_stop_warning_and_audited_override(browser: Browser, live_server: LiveServer, seeded: Seeded) -> None:
    doctor = _signed_in(browser, live_server, "bacsi")
    doctor.goto(f"/outpatient/visits/{seeded.visit_id}")
    alerts = doctor.get_by_test_id("inline-alerts")
    expect(alerts.get_by_test_id("no-alerts")).to_be_visible()

    # By active substance, accents and case ignored; then by brand name.
    _add_drug(doctor, "CLARITHROMYCIN", "Klacid 500 mg")
    expect(doctor.get_by_test_id("drug-info-link").first).to_have_attribute("href", "/pharmacy/drugs/E2E0101")
    _add_drug(doctor, "diflucan", "Diflucan 150 mg")
    hard_stop = alerts.get_by_test_id("alert-hard_stop")
    expect(hard_stop).to_have_count(1)
    expect(hard_stop).to_contain_text("QĐ 5948/QĐ-BYT")
    expect(hard_stop).to_contain_text("QT")

    _add_drug(doctor, "ibuprofen", "Brufen 400 mg")
    _add_drug(doctor, "diclofenac", "Voltaren 50 mg")
    duplicate = alerts.locator('[data-testid="alert-warning"][data-rule="duplicate:class:nsaids"]')
    expect(duplicate).to_have_count(1)
    expect(hard_stop).to_have_count(1)
    screenshot(doctor, "prescribing-alerts")

    # Signing without a reason is refused; with the reason it is signed and the override is shown.
    doctor.get_by_role("button", name="Ký đơn thuốc").click()
    expect(doctor.get_by_test_id("form-error")).to_be_visible()
    reason = "Nấm thực quản nặng, điện tâm đồ QT bình thường, theo dõi sát"
    doctor.get_by_test_id("inline-alerts").get_by_test_id("alert-hard_stop").get_by_test_id("override-reason").fill(
        reason
    )
    doctor.get_by_role("button", name="Ký đơn thuốc").click()
    screenshot(doctor, "prescribing-signed")
    expect(doctor.get_by_test_id("prescription-code")).to_have_count(1)
    expect(doctor.locator("#prescriptions")).to_contain_text(reason)

    # The audit history holds the override with its reason.
    auditor = _signed_in(browser, live_server, "kiemtoan")
    auditor.goto(f"/audit?action=prescription.override&patient_id={seeded.patient_id}")
    row = auditor.locator("#audit-results tbody tr", has_text="prescription.override")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(reason)
    expect(row).to_contain_text("qd5948:176")
    screenshot(auditor, "prescribing-override-audit")
