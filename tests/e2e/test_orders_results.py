"""Orders and results in a real Chromium: the doctor orders electrolytes from the examination, the laboratory
technician enters a high potassium, and the doctor's open results page shows the flagged result without a reload
(Server-Sent Events) and acknowledges it.

Screenshots go to /tmp/e2e-orders-*.png.
"""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from his.app import installed_modules
from his.kernel.demo import DEMO_PASSWORD
from his.kernel.runtime import build_kernel
from tests.conftest import make_settings
from tests.e2e.conftest import LiveServer, new_context, screenshot
from tests.orders.conftest import Clinic, build_clinic

pytestmark = [pytest.mark.browser, pytest.mark.criterion(37), pytest.mark.criterion(38)]


def _in_a_thread(live_server: LiveServer, tmp: Path) -> Clinic:
    """The clinic is seeded into the live server's database; in a thread of its own, because Playwright may
    already run an event loop in this one."""
    found: list[Clinic] = []
    failed: list[BaseException] = []

    async def seed() -> None:
        kernel = build_kernel(make_settings(live_server.database_url, tmp / "var"), installed_modules())
        try:
            found.append(await build_clinic(kernel))
        finally:
            await kernel.db.dispose()

    def run() -> None:
        try:
            asyncio.run(seed())
        except BaseException as error:  # handed to the test below
            failed.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if failed:
        raise failed[0]
    return found[0]


@pytest.fixture
def clinic(live_server: LiveServer, tmp_path: Path) -> Clinic:
    return _in_a_thread(live_server, tmp_path)


def signed_in(browser: Browser, live_server: LiveServer, username: str, errors: list[str]) -> Page:
    page = new_context(browser, live_server).new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    return page


def test_a_high_potassium_reaches_the_doctor_live(browser: Browser, live_server: LiveServer, clinic: Clinic) -> None:
    errors: list[str] = []
    # 1. The doctor orders electrolytes from the examination.
    doctor = signed_in(browser, live_server, "bacsi", errors)
    doctor.goto(f"/outpatient/visits/{clinic.visit}")
    doctor.get_by_test_id("orders-link").click()
    expect(doctor).to_have_url(re.compile(rf"/orders/new\?visit={clinic.visit}$"))
    doctor.get_by_label("Tìm xét nghiệm, chẩn đoán hình ảnh hoặc thủ thuật").fill("dien giai")
    doctor.locator('[data-add-service="DV04023"]').click()
    expect(doctor.get_by_test_id("chosen")).to_contain_text("DV04023")
    doctor.get_by_role("button", name="Gửi chỉ định").click()
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("Điện giải đồ")
    expect(doctor.get_by_test_id("visit-orders")).to_contain_text("Đã chỉ định")
    screenshot(doctor, "orders-entry")

    # 2. The doctor keeps the results page open; it listens.
    doctor.goto("/orders/results")
    expect(doctor.get_by_test_id("live-status")).to_have_attribute("data-live", "1")

    # 3. The laboratory accepts the order from its worklist and enters a high potassium.
    lab = signed_in(browser, live_server, "ktvxn", errors)
    lab.goto("/orders/worklist?department=lab")
    row = lab.get_by_test_id("worklist").locator("tr", has_text="Nguyễn Văn An")
    row.get_by_role("button", name="Nhận").click()
    expect(lab).to_have_url(re.compile(r"/orders/\d+$"))
    lab.get_by_test_id("value-NA").fill("139")
    lab.get_by_test_id("value-K").fill("5,9")
    lab.get_by_role("button", name="Lưu kết quả").click()
    expect(lab.locator("#results table.results")).to_contain_text("5.9")
    screenshot(lab, "orders-result-entry")

    # 4. Without a reload, the doctor's page shows the flagged result; the doctor acknowledges it.
    flagged = doctor.locator("#result-rows tr", has_text="Điện giải đồ")
    expect(flagged.locator('[data-flag="H"]').first).to_be_visible(timeout=5_000)
    expect(flagged).to_contain_text("5.9")
    expect(flagged).to_contain_text("sơ bộ")
    screenshot(doctor, "orders-live-result")
    flagged.get_by_role("button", name="Đã xem").click()
    expect(doctor).to_have_url(re.compile(r"/orders/results$"))
    expect(doctor.locator("#result-rows tr", has_text="Điện giải đồ")).to_have_count(0)
    doctor.goto("/orders/results?all=true")
    expect(doctor.get_by_test_id("acknowledged").first).to_be_visible()
    assert errors == []
