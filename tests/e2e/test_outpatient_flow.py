"""The level-1 day in a real browser: register a new patient with a BHYT card → ticket → examination with a
diagnosis and a prescription → cashier → dispensing → `his claims export` of that visit → `his bhyt validate`.

Runs against its own server over the full demo hospital (`his demo seed`), as a hospital would look.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from his.kernel.clock import local_date
from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHEAP_ARGON2, LiveServer, _free_port, _wait_ready, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(32), pytest.mark.criterion(33)]

CARD = "DN4790000054001"  # object DN, benefit level 4, province 79; registered at the demo hospital (79999)
CCCD = "079075000541"  # province 079, male born in the 1900s ('0'), year 75


@dataclass
class DemoHospital:
    server: LiveServer
    env: dict[str, str]
    root: Path


def his(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "import sys; from his.cli import run; sys.argv[0] = 'his'; run()", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def demo_hospital(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoHospital]:
    root = tmp_path_factory.mktemp("flow")
    shutil.copyfile(demo_database, root / "his.db")
    database_url = f"sqlite+aiosqlite:///{root / 'his.db'}"
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "HIS_DATABASE_URL": database_url,
        "HIS_DATA_DIR": str(root / "var"),
        "HIS_LOG_LEVEL": "WARNING",
        "HIS_BHYT__CERTIFICATE_PATH": str(root / "keys" / "facility-cert.pem"),
        "HIS_BHYT__PRIVATE_KEY_PATH": str(root / "keys" / "facility-key.pem"),
    }
    assert his(env, "bhyt", "keygen", "--out", str(root / "keys")).returncode == 0
    port = _free_port()
    log = root / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "his.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield DemoHospital(LiveServer(url=url, database_url=database_url, log=log), env, root)
    finally:
        process.terminate()
        process.wait(timeout=15)


def signed_in(browser: Browser, hospital: DemoHospital, username: str) -> Page:
    context = browser.new_context(
        base_url=hospital.server.url,
        viewport={"width": 1280, "height": 900},
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def test_a_day_at_the_outpatient_clinic(browser: Browser, demo_hospital: DemoHospital) -> None:
    today = local_date(datetime.now(UTC))  # the hospital's day, which is not the UTC day after 17:00
    # 1. Reception registers a new patient with a BHYT card.
    desk = signed_in(browser, demo_hospital, "letan")
    desk.goto("/patients/new")
    desk.locator('input[name="full_name"]').fill("Phạm Quốc Thái")
    desk.locator('input[name="sex"][value="M"]').check()
    desk.locator('input[name="birth_date"]').fill("1975-03-02")
    desk.locator('input[name="cccd"]').fill(CCCD)
    desk.locator('input[name="phone"]').fill("0912345054")
    for name, value in {
        "ethnicity_code": "01",
        "nationality_code": "000",
        "occupation_code": "00000",
        "address_line": "12 Lê Lợi",
        "province_code": "79",
        "district_code": "760",
        "ward_code": "26734",
    }.items():
        desk.locator(f'input[name="{name}"]').fill(value)
    desk.locator('input[name="card.card_number"]').fill(CARD)
    desk.locator('input[name="card.valid_from"]').fill(f"{today.year}-01-01")
    desk.locator('input[name="card.valid_to"]').fill(f"{today.year}-12-31")
    desk.locator('input[name="card.initial_facility_code"]').fill("79999")
    desk.get_by_role("button", name="Đăng ký", exact=True).click()
    expect(desk).to_have_url(re.compile(r"/patients/\d+"))
    patient_code = desk.locator("code", has_text=re.compile(r"^BN\d{8}$")).first.inner_text()

    # 2. The front desk registers the visit by the (scanned) patient code and prints the ticket.
    desk.goto("/reception")
    desk.get_by_label("Mã người bệnh (quét hoặc gõ, rồi nhấn Enter)").fill(patient_code)
    desk.keyboard.press("Enter")
    expect(desk.get_by_text("Phạm Quốc Thái")).to_be_visible()
    desk.locator('select[name="room_code"]').select_option("PK-NOI2")
    desk.get_by_role("button", name="Đăng ký và lấy số").click()
    ticket = desk.get_by_test_id("ticket-number")
    expect(ticket).to_be_visible()
    expect(desk.get_by_test_id("registered-visit")).to_contain_text("nơi đăng ký khám chữa bệnh ban đầu")
    with desk.expect_popup() as popup:
        desk.get_by_role("button", name="In phiếu số thứ tự").click()
    assert popup.value.url.endswith("ticket.pdf")
    screenshot(desk, "flow-reception")

    # 3. The doctor examines, diagnoses, prescribes and finishes.
    doctor = signed_in(browser, demo_hospital, "bacsi")
    doctor.goto("/outpatient?room=PK-NOI2")
    row = doctor.get_by_test_id("worklist").locator("tr", has_text="Phạm Quốc Thái")
    row.get_by_role("button", name="Khám").click()
    expect(doctor).to_have_url(re.compile(r"/outpatient/visits/\d+"))
    visit_path = doctor.url
    for name, value in {
        "pulse": "82",
        "temperature": "38.2",
        "systolic": "130",
        "diastolic": "85",
        "respiratory_rate": "18",
        "spo2": "97",
        "height_cm": "168",
        "weight_kg": "64",
    }.items():
        doctor.locator(f'input[name="{name}"]').fill(value)
    doctor.locator('input[name="reason"]').fill("Sốt, ho 3 ngày")
    doctor.get_by_role("button", name="Lưu thông tin khám").click()
    expect(doctor.get_by_test_id("bmi")).to_have_text("22.7")
    doctor.locator("#diagnoses input[type=search]").fill("viem phe quan cap")
    doctor.locator("#icd10-results button", has_text="J20.9").click()
    doctor.locator('#diagnosis-rows input[name="main"]').first.check()
    doctor.get_by_role("button", name="Lưu chẩn đoán").click()
    expect(doctor.locator("#diagnosis-rows")).to_contain_text("J20.9")
    doctor.locator('input[name="disposition"][value="home"]').check()
    doctor.get_by_role("button", name="Lưu hướng xử trí").click()
    doctor.locator("#prescriptions input[type=search]").fill("paracetamol")
    doctor.locator("#drug-results button").first.click()
    line = doctor.locator("#lines tr").first
    line.locator('input[name="dose_per_time"]').fill("1")
    line.locator('input[name="times_per_day"]').fill("3")
    line.locator('input[name="days"]').fill("5")
    doctor.get_by_role("button", name="Ký đơn thuốc").click()
    prescription_code = doctor.get_by_test_id("prescription-code").first.inner_text()
    assert re.fullmatch(r"79999[0-9a-z]{7}-[NHC]", prescription_code)
    doctor.get_by_test_id("finish").click()
    screenshot(doctor, "flow-exam")
    visit_code = _visit_code(doctor, visit_path)

    _cashier_collects(browser, demo_hospital, visit_code)
    _pharmacist_dispenses(browser, demo_hospital, prescription_code)

    # 6. The claims of the day are exported, signed, and validate.
    out = demo_hospital.root / "claims"
    exported = his(
        demo_hospital.env,
        "bhyt",
        "export",
        "--from",
        (today - timedelta(days=1)).isoformat(),
        "--to",
        today.isoformat(),
        "--out",
        str(out),
    )
    claim = out / f"{visit_code}.xml"
    assert claim.exists(), exported.stdout[-3000:] + exported.stderr[-3000:]
    validated = his(demo_hospital.env, "bhyt", "validate", str(claim))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "signature verified" in validated.stdout


def _cashier_collects(browser: Browser, hospital: DemoHospital, visit_code: str) -> None:
    """4. The cashier scans the visit code: the account is built from the visit, the share computed, paid."""
    cashier = signed_in(browser, hospital, "thungan")
    cashier.goto("/billing")
    cashier.locator('input[name="q"]').fill(visit_code)
    cashier.keyboard.press("Enter")
    expect(cashier.get_by_test_id("billing-account")).to_be_visible()
    # Registered facility: right route; an exam this cheap is a "small visit" the fund pays in full.
    expect(cashier.get_by_test_id("decision")).to_contain_text("Đúng tuyến")
    cashier.locator('form[action$="/collect"] button[type="submit"]').click()
    expect(cashier.get_by_test_id("receipt-pdf")).to_be_visible()
    screenshot(cashier, "flow-cashier")


def _pharmacist_dispenses(browser: Browser, hospital: DemoHospital, prescription_code: str) -> None:
    """5. The pharmacist scans the prescription's QR code and dispenses it, first expiry first."""
    pharmacist = signed_in(browser, hospital, "duocsi")
    pharmacist.goto("/pharmacy/dispense")
    pharmacist.locator('input[name="code"]').fill(prescription_code)
    pharmacist.keyboard.press("Enter")
    expect(pharmacist.get_by_test_id("prescription")).to_have_attribute("data-code", prescription_code)
    pharmacist.get_by_test_id("dispense-prescription").click()
    expect(pharmacist.get_by_test_id("dispensing-done")).to_be_visible()
    screenshot(pharmacist, "flow-pharmacy")


def _visit_code(page: Page, visit_path: str) -> str:
    visit_id = visit_path.rstrip("/").rsplit("/", 1)[-1]
    response = page.request.get(f"/api/v1/reception/visits/{visit_id}")
    assert response.ok, response.text()
    code: str = response.json()["code"]
    return code
