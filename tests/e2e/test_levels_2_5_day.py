"""The HIS levels 2-5 day in a real browser, on the whole demo hospital: a kiosk ticket is called on the display
within one second of "call next" → the doctor examines with a lab and an imaging order → the laboratory enters a
high potassium → the doctor's open results page shows it flagged → the server restarts (no queue position and no
order is lost) → admission → bed → transfer → discharge with its paper → the inpatient claim XML validates.

Screenshots go to /tmp/e2e-day25-*.png.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from his.kernel.clock import local_date
from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHEAP_ARGON2, _free_port, _wait_ready, his_command, screenshot
from tests.e2e.test_queue_display import RECORD_SPEECH

pytestmark = [
    pytest.mark.browser,
    pytest.mark.criterion(37),
    pytest.mark.criterion(38),
    pytest.mark.criterion(39),
    pytest.mark.criterion(40),
    pytest.mark.criterion(44),
]

POINT, COUNTER = "NHATHUOC", "NT1"  # a demo service point without demo tickets: its numbers start at C001
ROOM, EXAM_SERVICE = "PK-NOI2", "DV01001"
ELECTROLYTES, CHEST_XRAY, CRP = "DV04023", "DV05001", "DV04025"
UVICORN = [sys.executable, "-m", "uvicorn", "his.app:create_app", "--factory", "--host", "127.0.0.1"]
UVICORN += ["--log-level", "warning", "--timeout-graceful-shutdown", "3"]
CARD = "DN4790000054777"
NAME = "Lê Thị Hồng Nhung"  # benefit level 4, registered at the demo hospital (79999): on the right route


@dataclass
class Server:
    """The application in a uvicorn subprocess that the test can stop and start again on the same port."""

    root: Path
    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.root / "server.log"
        with log.open("ab") as output:
            self.process = subprocess.Popen(
                [*UVICORN, "--port", str(self.port)],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        _wait_ready(self.url, self.process, log)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None


@pytest.fixture(scope="module")
def hospital(demo_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("day25")
    shutil.copyfile(demo_database, root / "his.db")
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "HIS_DATABASE_URL": f"sqlite+aiosqlite:///{root / 'his.db'}",
        "HIS_DATA_DIR": str(root / "var"),
        "HIS_LOG_LEVEL": "WARNING",
        "HIS_BHYT__CERTIFICATE_PATH": str(root / "keys" / "facility-cert.pem"),
        "HIS_BHYT__PRIVATE_KEY_PATH": str(root / "keys" / "facility-key.pem"),
    }
    keys = his_command(env, "bhyt", "keygen", "--out", str(root / "keys"))
    assert keys.returncode == 0, keys.stderr[-2000:]
    server = Server(root, env)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _api_session(server: Server, username: str) -> tuple[httpx.Client, dict[str, str]]:
    http = httpx.Client(base_url=server.url, timeout=30)
    signed_in = http.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    return http, {"x-csrf-token": signed_in.json()["csrf_token"]}


def register_patient_and_visit(server: Server) -> tuple[int, str]:
    """The front desk (its own browser test is the level-1 day) registers an insured patient and the visit."""
    today = local_date(datetime.now(UTC))
    http, headers = _api_session(server, "letan")
    try:
        person = {
            "sex": "F",
            "full_name": NAME,
            "birth_date": "1968-09-14",
            "cccd": "079168000777",
            "phone": "0912777054",
            "ethnicity_code": "01",
            "nationality_code": "000",
            "occupation_code": "00000",
            "address_line": "45 Trần Hưng Đạo",
            "province_code": "79",
            "district_code": "760",
            "ward_code": "26734",
            "card": {
                "card_number": CARD,
                "valid_from": f"{today.year}-01-01",
                "valid_to": f"{today.year}-12-31",
                "initial_facility_code": "79999",
            },
        }
        created = http.post("/api/v1/patients", json=person, headers=headers)
        assert created.status_code == 201, created.text
        patient_id = int(created.json()["patient"]["id"])
        visit = http.post(
            "/api/v1/reception/visits",
            json={"patient_id": patient_id, "room_code": ROOM, "service_code": EXAM_SERVICE},
            headers=headers,
        )
        assert visit.status_code == 201, visit.text
        return patient_id, str(visit.json()["code"])
    finally:
        http.close()


def signed_in(browser: Browser, server: Server, username: str, errors: list[str]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(f"{username}: {error}"))
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return context, page


def kiosk_and_display(browser: Browser, server: Server, errors: list[str]) -> tuple[Page, Page]:
    """Two tickets from the kiosk; staff calls the first; the display shows it within a second."""
    hall = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800}, locale="vi-VN")
    hall.set_default_timeout(15_000)
    display = hall.new_page()
    display.on("pageerror", lambda error: errors.append(f"display: {error}"))
    display.add_init_script(RECORD_SPEECH)
    display.goto(f"/queues/display?points={POINT}")
    display.get_by_role("button", name="Bật loa gọi số").click()
    kiosk = hall.new_page()
    for number in ("C001", "C002"):
        kiosk.goto(f"/queues/kiosk?points={POINT}")
        kiosk.get_by_test_id(f"kiosk-point-{POINT}").click()
        kiosk.get_by_test_id("kiosk-priority-normal").click()
        expect(kiosk.get_by_test_id("slip-number")).to_have_text(number)
    _context, counter = signed_in(browser, server, "duocsi", errors)
    counter.goto(f"/queues/counters/{COUNTER}")
    clicked = time.monotonic()
    counter.get_by_test_id("call-next").click()
    expect(display.get_by_test_id(f"called-{COUNTER}")).to_have_text("C001", timeout=1000)
    assert time.monotonic() - clicked < 1.0
    screenshot(display, "day25-display")
    return display, counter


def exam_with_orders(doctor: Page, visit_code: str) -> int:
    """The doctor calls the patient, records a diagnosis and orders electrolytes and a chest X-ray."""
    doctor.goto(f"/outpatient?room={ROOM}")
    row = doctor.get_by_test_id("worklist").locator("tr", has_text=NAME)
    row.get_by_role("button", name="Khám").click()
    expect(doctor).to_have_url(re.compile(r"/outpatient/visits/\d+"))
    visit_id = int(doctor.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
    for name, value in {"pulse": "96", "temperature": "38.9", "height_cm": "155", "weight_kg": "58"}.items():
        doctor.locator(f'input[name="{name}"]').fill(value)
    doctor.locator('input[name="reason"]').fill("Sốt, ho đờm, khó thở")
    doctor.get_by_role("button", name="Lưu thông tin khám").click()
    doctor.locator("#diagnoses input[type=search]").fill("J18.9")
    doctor.locator("#icd10-results button", has_text="J18.9").click()
    doctor.locator('#diagnosis-rows input[name="main"]').first.check()
    doctor.get_by_role("button", name="Lưu chẩn đoán").click()
    expect(doctor.locator("#diagnosis-rows")).to_contain_text("J18.9")
    doctor.get_by_test_id("orders-link").click()
    search = doctor.get_by_label("Tìm xét nghiệm, chẩn đoán hình ảnh hoặc thủ thuật")
    search.fill("dien giai")
    doctor.locator(f'[data-add-service="{ELECTROLYTES}"]').click()
    search.fill("x-quang nguc")
    doctor.locator(f'[data-add-service="{CHEST_XRAY}"]').click()
    expect(doctor.get_by_test_id("chosen")).to_contain_text(ELECTROLYTES)
    expect(doctor.get_by_test_id("chosen")).to_contain_text(CHEST_XRAY)
    doctor.get_by_role("button", name="Gửi chỉ định").click()
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("Điện giải đồ")
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("X-quang ngực")
    screenshot(doctor, "day25-orders")
    return visit_id


def lab_enters_high_potassium(lab: Page) -> None:
    lab.goto("/orders/worklist?department=lab")
    row = lab.get_by_test_id("worklist").locator("tr", has_text=NAME)
    row.get_by_role("button", name="Nhận").click()
    expect(lab).to_have_url(re.compile(r"/orders/\d+$"))
    lab.get_by_test_id("value-NA").fill("138")
    lab.get_by_test_id("value-K").fill("6,1")
    lab.get_by_role("button", name="Lưu kết quả").click()
    expect(lab.locator("#results table.results")).to_contain_text("6.1")


def wait_for_charge(server: Server, stay_code: str, service_code: str) -> None:
    """The order's charge reaches the stay's account through the outbox (delivered by the server's worker)."""
    http, _headers = _api_session(server, "thungan")
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            account = http.get(f"/api/v1/billing/accounts/{stay_code}")
            if account.status_code == 200 and any(line["code"] == service_code for line in account.json()["lines"]):
                return
            time.sleep(0.5)
        raise AssertionError(f"no charge for {service_code} on {stay_code}: {account.status_code} {account.text}")
    finally:
        http.close()


def admit_transfer_discharge(server: Server, doctor: Page, nurse: Page, visit_id: int) -> tuple[int, str]:
    """Disposition "admit" → admission with a bed → the nurse moves the patient → discharge with the paper."""
    doctor.goto(f"/outpatient/visits/{visit_id}")
    doctor.locator('input[name="disposition"][value="admit"]').check()
    doctor.get_by_role("button", name="Lưu hướng xử trí").click()
    doctor.get_by_test_id("admit-link").click()
    form = doctor.get_by_test_id("admit-form")
    form.get_by_label("Khoa").select_option("KNOI")
    form.get_by_label("Chẩn đoán vào viện (ICD-10)").fill("J18.9")
    form.get_by_label("Lý do vào viện").fill("Viêm phổi, kali máu cao")
    form.get_by_test_id("admit").click()
    expect(doctor.get_by_test_id("bed")).to_be_visible()
    first_bed = doctor.get_by_test_id("bed").inner_text().strip()
    stay_id = int(doctor.url.rstrip("/").rsplit("/", 1)[-1])

    nurse.goto(f"/inpatient/stays/{stay_id}")
    choices = nurse.get_by_test_id("transfer-form").get_by_role("combobox")
    target = next(
        value
        for value in choices.locator("option").evaluate_all("options => options.map(o => o.value)")
        if value and value not in first_bed
    )
    choices.select_option(target)
    nurse.get_by_test_id("move").click()
    expect(nurse.get_by_test_id("bed")).to_contain_text(target)
    expect(nurse.get_by_test_id("history")).to_contain_text(first_bed.split()[0])
    screenshot(nurse, "day25-transfer")

    # The ward doctor orders a C-reactive protein on the stay; it is charged to the stay.
    doctor.goto(f"/inpatient/stays/{stay_id}")
    ordering = doctor.get_by_test_id("order-form")
    ordering.locator('input[name="service_codes"]').fill(CRP)
    ordering.get_by_test_id("order").click()
    expect(doctor.get_by_text(re.compile("CRP|C-reactive|Protein C", re.IGNORECASE)).first).to_be_visible()
    stay = doctor.request.get(f"/api/v1/inpatient/stays/{stay_id}")
    assert stay.status == 200, stay.text()
    code = str(stay.json()["code"])
    wait_for_charge(server, code, CRP)

    doctor.goto(f"/inpatient/stays/{stay_id}")
    discharge = doctor.get_by_test_id("discharge-form")
    discharge.get_by_label("Phương pháp điều trị").fill("Kháng sinh tĩnh mạch, điều chỉnh kali")
    discharge.get_by_label("Kết quả điều trị").select_option("1")
    discharge.get_by_test_id("discharge").click()
    expect(doctor.get_by_test_id("stay")).to_contain_text("Đã ra viện")
    paper = doctor.request.get(doctor.get_by_test_id("discharge-paper").get_attribute("href") or "")
    assert paper.status == 200 and paper.body().startswith(b"%PDF")
    screenshot(doctor, "day25-discharged")
    return stay_id, code


def test_a_day_from_the_kiosk_to_the_discharge_claim(browser: Browser, hospital: Server) -> None:
    errors: list[str] = []
    _patient_id, _visit_code = register_patient_and_visit(hospital)
    display, counter = kiosk_and_display(browser, hospital, errors)

    _doctor_context, doctor = signed_in(browser, hospital, "bacsi", errors)
    visit_id = exam_with_orders(doctor, _visit_code)
    doctor.goto("/orders/results")
    expect(doctor.get_by_test_id("live-status")).to_have_attribute("data-live", "1")
    _lab_context, lab = signed_in(browser, hospital, "ktvxn", errors)
    lab_enters_high_potassium(lab)
    flagged = doctor.locator("#result-rows tr", has_text=NAME).filter(has_text="Điện giải đồ")
    expect(flagged.locator('[data-flag="H"]').first).to_be_visible(timeout=5_000)
    expect(flagged).to_contain_text("6.1")
    screenshot(doctor, "day25-flagged")

    # The server restarts in the middle of the day: the sessions, the queue and the orders are in the database.
    hospital.stop()
    hospital.start()
    counter.reload()
    counter.get_by_test_id("call-next").click()
    display.reload()
    expect(display.get_by_test_id(f"called-{COUNTER}")).to_have_text("C002", timeout=5_000)
    doctor.goto(f"/orders/new?visit={visit_id}")
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("Điện giải đồ")
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("X-quang ngực")
    doctor.goto("/orders/results")
    flagged = doctor.locator("#result-rows tr", has_text=NAME).filter(has_text="Điện giải đồ")
    expect(flagged.locator('[data-flag="H"]').first).to_be_visible()
    flagged.get_by_role("button", name="Đã xem").click()
    expect(doctor.locator("#result-rows tr", has_text=NAME).filter(has_text="Điện giải đồ")).to_have_count(0)

    _nurse_context, nurse = signed_in(browser, hospital, "dieuduong", errors)
    _stay_id, code = admit_transfer_discharge(hospital, doctor, nurse, visit_id)

    # The inpatient claim (MA_LOAI_KCB 03 with XML7) of the stay, signed, validates.
    out = hospital.root / "claims"
    exported = his_command(hospital.env, "bhyt", "export-stay", "--stay", code, "--out", str(out))
    assert exported.returncode == 0, exported.stdout + exported.stderr
    validated = his_command(hospital.env, "bhyt", "validate", str(out / f"{code}.xml"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert errors == []
