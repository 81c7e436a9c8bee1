"""The inpatient stay in a real browser: a doctor admits a patient whose examination ends in "admit" and orders
medications (decision support stops a contraindicated pair inline until the doctor gives a reason), a nurse sees
the bed board, transfers the patient to a surgical bed and sends the old bed from cleaning to free, the doctor
discharges and downloads the discharge paper.

Its own server over a small hospital (tests/inpatient/conftest.py's wards), seeded in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import CHEAP_ARGON2, LiveServer, _free_port, _wait_ready, new_context, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(39), pytest.mark.criterion(40)]


async def seed(database_url: str, data_dir: str) -> int:
    """Staff, the ward hospital, and a patient whose examination ends in an admission; answers the visit id."""
    from his.app import installed_modules
    from his.catalogs import service as catalogs_service
    from his.kernel.runtime import build_kernel
    from his.outpatient import service as outpatient_service
    from his.outpatient.schemas import DiagnosisIn, DispositionIn
    from tests.billing.visits import DESK, DOCTOR, DOCTOR_ACTOR, register_visit
    from tests.conftest import make_settings, seed_staff
    from tests.decision.conftest import EXTRA_DRUGS
    from tests.inpatient.conftest import build_wards

    settings = make_settings(database_url, Path(data_dir))
    await seed_staff(settings)
    kernel = build_kernel(settings, installed_modules())
    try:
        ward = await build_wards(kernel)
        async with kernel.db.transaction() as session:
            await catalogs_service.import_catalog(
                kernel, session, DESK, kind="drugs", source=EXTRA_DRUGS.encode(), effective=date(2020, 1, 1)
            )
        visit_id, _code = await register_visit(kernel, ward.patients.insured)
        async with kernel.db.transaction() as session:
            clock = kernel.clock
            await outpatient_service.open_encounter(session, clock, DOCTOR_ACTOR, DOCTOR, visit_id)
            await outpatient_service.set_diagnoses(session, clock, DOCTOR_ACTOR, visit_id, [DiagnosisIn("J18.9", True)])
            await outpatient_service.set_disposition(session, clock, DOCTOR_ACTOR, visit_id, DispositionIn("admit"))
        return visit_id
    finally:
        await kernel.db.dispose()


def _python(env: dict[str, str], code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def ward_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, int]]:
    root = tmp_path_factory.mktemp("inpatient")
    database_url = f"sqlite+aiosqlite:///{root / 'his.db'}"
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "HIS_DATABASE_URL": database_url,
        "HIS_DATA_DIR": str(root / "var"),
        "HIS_LOG_LEVEL": "WARNING",
        "HIS_HOSPITAL__FACILITY_CODE": "79001",
    }
    # Subprocesses only: Playwright's event loop may already run in this process.
    migrated = _python(env, "from his.kernel.migrate import upgrade; import sys; upgrade(sys.argv[1])", database_url)
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    seeded = _python(
        env,
        "import asyncio, sys; from tests.e2e.test_inpatient_flow import seed; print(asyncio.run(seed(*sys.argv[1:])))",
        database_url,
        str(root / "var"),
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    visit_id = int(seeded.stdout.strip().splitlines()[-1])
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
        yield LiveServer(url=url, database_url=database_url, log=log), visit_id
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def sign_in(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def test_admit_order_medications_transfer_and_discharge_in_the_browser(
    browser: Browser, ward_server: tuple[LiveServer, int]
) -> None:
    server, visit_id = ward_server
    errors: list[str] = []

    # The doctor admits the patient from the examination (the exam page's link fills the form in).
    doctor = new_context(browser, server)
    page = doctor.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, "bacsi")
    page.goto(f"/inpatient?source=outpatient&visit_id={visit_id}")
    form = page.get_by_test_id("admit-form")
    expect(form.get_by_label("Số lượt khám hoặc mã số người bệnh")).to_have_value(str(visit_id))
    form.get_by_label("Khoa").select_option("KNOI")
    form.get_by_label("Chẩn đoán vào viện (ICD-10)").fill("J18.9")
    form.get_by_label("Lý do vào viện").fill("Sốt cao, ho đờm")
    form.get_by_test_id("admit").click()
    expect(page.get_by_test_id("bed")).to_contain_text("N1-01")
    stay_url = page.url

    # Medication orders: clarithromycin, then fluconazole, a QĐ 5948 contraindicated pair. The hard stop shows
    # while the order is written, refuses the order without a reason, and is kept with the order over a reason.
    def write_order(drug: str, dose: str, times: str) -> None:
        form = page.get_by_test_id("medication-form")
        form.get_by_test_id("medication-drug").fill(drug)
        form.get_by_test_id("medication-dose").fill(dose)
        form.get_by_test_id("medication-times").fill(times)
        form.get_by_test_id("medication-times").press("Tab")

    write_order("T0101", "1", "2")
    page.get_by_test_id("order-medication").click()
    expect(page.get_by_test_id("medications")).to_contain_text("Clarithromycin 500 mg")
    write_order("T0102", "1", "1")
    expect(page.get_by_test_id("medication-alerts").locator('[data-severity="hard_stop"]')).to_contain_text("5948")
    page.get_by_test_id("order-medication").click()
    expect(page.get_by_test_id("error")).to_contain_text("Hỗ trợ quyết định đã chặn y lệnh này")
    page.get_by_test_id("override-reason").fill("Nấm Candida toàn thân, đã hội chẩn, theo dõi điện tâm đồ")
    page.get_by_test_id("order-medication").click()
    expect(page.get_by_test_id("medications")).to_contain_text("Fluconazol 150 mg")
    expect(page.get_by_test_id("override")).to_contain_text("Nấm Candida toàn thân")
    expect(page.get_by_test_id("sheet-medication").first).to_contain_text("Clarithromycin 500 mg")
    screenshot(page, "inpatient-medication-orders")

    # The nurse, on a tablet, sees the bed board and moves the patient to a surgical bed.
    nurse = new_context(browser, server)
    tablet = nurse.new_page()
    tablet.set_viewport_size({"width": 820, "height": 1180})
    tablet.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(tablet, "dieuduong")
    tablet.goto("/inpatient/board/KNOI")
    expect(tablet.get_by_test_id("bed-N1-01")).to_have_attribute("data-status", "occupied")
    expect(tablet.get_by_test_id("bed-N1-01")).to_contain_text("Nguyễn Văn An")
    tablet.get_by_test_id("bed-N1-01").get_by_role("link").click()
    tablet.get_by_test_id("transfer-form").get_by_role("combobox").select_option("G1-01")
    tablet.get_by_test_id("move").click()
    expect(tablet.get_by_test_id("bed")).to_contain_text("G1-01")
    expect(tablet.get_by_test_id("history")).to_contain_text("N1-01")
    tablet.goto("/inpatient/board/KNOI")
    expect(tablet.get_by_test_id("bed-N1-01")).to_have_attribute("data-status", "cleaning")
    tablet.get_by_test_id("set-N1-01-free").click()
    expect(tablet.get_by_test_id("bed-N1-01")).to_have_attribute("data-status", "free")
    screenshot(tablet, "inpatient-board")

    # The doctor discharges and downloads the discharge paper.
    page.goto(stay_url)
    discharge = page.get_by_test_id("discharge-form")
    discharge.get_by_label("Phương pháp điều trị").fill("Kháng sinh tĩnh mạch, hạ sốt")
    discharge.get_by_label("Kết quả điều trị").select_option("1")
    discharge.get_by_test_id("discharge").click()
    expect(page.get_by_test_id("stay")).to_contain_text("Đã ra viện")
    paper = page.request.get(page.get_by_test_id("discharge-paper").get_attribute("href") or "")
    assert paper.status == 200 and paper.body().startswith(b"%PDF")
    assert paper.headers["content-type"] == "application/pdf"
    assert errors == []
    doctor.close()
    nurse.close()
