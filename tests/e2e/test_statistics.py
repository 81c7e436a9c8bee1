"""Statistics in a real browser: the admin opens the statistics page, changes the period and the department,
sees the chart and the figures, and downloads the XLSX holding the same figures.

Seeds only what it needs, in a subprocess (Playwright's event loop already runs in this process): its own
department and clinic room (…TK…) with two registrations today, so the shared server's other tests are untouched.
"""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(42)]

DEPARTMENT = "Khoa Thống kê (e2e)"
CATALOGS = {
    "departments": f"code,name,bhyt_code\nKTK,{DEPARTMENT},K99\n",
    "clinic-rooms": "code,name,department_code\nPK-TK1,Phòng khám thống kê 1,KTK\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DVTK01,Khám (thống kê),Khám bệnh,Lần,45000,,\n",
}


async def _seed(database_url: str) -> None:
    from his.app import installed_modules
    from his.catalogs import service as catalogs
    from his.kernel.audit.service import AuditActor
    from his.kernel.runtime import build_kernel
    from his.patients import service as patients
    from his.patients.schemas import PatientIn
    from his.reception import service as reception
    from his.reception.schemas import VisitIn
    from his.settings import Settings

    kernel = build_kernel(Settings(database_url=database_url), installed_modules())
    actor = AuditActor(user_id=None, username="e2e-seed", role="system", client_ip=None, request_id=None)
    try:
        async with kernel.db.transaction() as session:
            for kind, text in CATALOGS.items():
                await catalogs.import_catalog(
                    kernel, session, actor, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
                )
        for name in ("Lý Thị Thống", "Mạc Văn Kê"):
            async with kernel.db.transaction() as session:
                patient, _card = await patients.register(
                    kernel, session, actor, PatientIn(sex="F", full_name=name, birth_date=date(1970, 1, 2))
                )
                await reception.register_visit(
                    session,
                    kernel.clock,
                    kernel.settings.hospital,
                    actor,
                    VisitIn(patient_id=patient.id, room_code="PK-TK1", service_code="DVTK01"),
                )
    finally:
        await kernel.db.dispose()


def seed(database_url: str) -> None:
    asyncio.run(_seed(database_url))


def test_admin_changes_the_period_sees_the_chart_and_downloads_the_xlsx(
    page: Page, live_server: LiveServer, page_errors: list[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.e2e.test_statistics import seed; seed({live_server.database_url!r})"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("navigation").get_by_role("link", name="Thống kê", exact=True).click()
    expect(page.get_by_role("heading", name="Thống kê bệnh viện")).to_be_visible()
    expect(page.get_by_test_id("chart-flow")).to_be_visible()

    # The server's today (the page's default end): the last day of the default period.
    today = date.fromisoformat(page.get_by_test_id("date-to").input_value())
    start = today - timedelta(days=6)
    page.get_by_test_id("date-from").fill(start.isoformat())
    page.get_by_test_id("department").select_option(label=DEPARTMENT)
    page.get_by_test_id("apply").click()

    expect(page.get_by_test_id("period-shown")).to_contain_text(
        f"từ {start.strftime('%d/%m/%Y')} đến {today.strftime('%d/%m/%Y')}"
    )
    chart = page.get_by_test_id("chart-flow")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(2)
    expect(chart.locator("circle")).to_have_count(2 * 7)  # one dot a day for each series
    page.locator("summary", has_text="Lượt khám theo ngày và khoa").click()  # the detail table, folded
    flow = page.get_by_test_id("table-flow")
    row = flow.get_by_role("row").filter(has_text=DEPARTMENT)
    expect(row).to_contain_text(today.strftime("%d/%m/%Y"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("2")
    screenshot(page, "statistics")

    with page.expect_download() as download_info:
        page.get_by_test_id("export-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == f"thong-ke-{start.isoformat()}-{today.isoformat()}-KTK.xlsx"
    path = download.path()
    assert path is not None
    workbook = load_workbook(io.BytesIO(path.read_bytes()))
    rows = [
        list(values)
        for sheet in workbook.worksheets
        for values in sheet.iter_rows(values_only=True)
        if values and values[1] == DEPARTMENT
    ]
    assert [today.strftime("%d/%m/%Y"), DEPARTMENT, 2, 0] in rows
    assert page_errors == []
