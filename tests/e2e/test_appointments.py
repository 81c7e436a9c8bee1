"""Appointments in a real browser: the receptionist books the follow-up an examination asked for (the booking page
reached from the exam with ?visit=), prints the appointment paper (a PDF), and finds the patient in tomorrow's
reminder list with a phone number to call.

Seeds only what it needs, in a subprocess (Playwright's event loop may already run in this process): a room, a
doctor in the staff catalog, a patient, a visit whose examination asks for a follow-up tomorrow, and the doctor's
session tomorrow with its slots. Codes are the test's own (…HEN…), so the shared server's other tests are untouched.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from his.kernel.demo import DEMO_PASSWORD
from tests.e2e.conftest import LiveServer, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.criterion(50)]

PATIENT = "Đinh Thị Hẹn"
PHONE = "0905123456"
CATALOGS = {
    "departments": "code,name,bhyt_code\nKHEN,Khoa Khám bệnh (hẹn),K01\n",
    "clinic-rooms": "code,name,department_code\nPK-HEN1,Phòng khám hẹn 1,KHEN\n",
    "staff": "code,name,title,department_code,practising_certificate_no,role\n"
    "NVHEN01,Vũ Minh Hẹn,BSCKI,KHEN,009901/BYT-CCHN,doctor\n",
    "services": "code,name,group,unit,hospital_price,bhyt_price,bhyt_code\n"
    "DVHEN01,Khám Nội (hẹn),Khám bệnh,Lần,45000,,\n",
}


async def _seed(database_url: str) -> dict[str, int | str]:
    from his.app import installed_modules
    from his.appointments import service as appointments
    from his.appointments.schemas import ScheduleIn
    from his.catalogs import service as catalogs
    from his.kernel.audit.service import AuditActor
    from his.kernel.clock import local_date
    from his.kernel.runtime import build_kernel
    from his.outpatient import service as outpatient
    from his.outpatient.schemas import DispositionIn
    from his.patients import service as patients
    from his.patients.schemas import PatientIn
    from his.reception import service as reception
    from his.reception.schemas import VisitIn
    from his.settings import Settings

    kernel = build_kernel(Settings(database_url=database_url), installed_modules())
    actor = AuditActor(user_id=None, username="e2e-seed", role="system", client_ip=None, request_id=None)
    today = local_date(kernel.clock.now())
    tomorrow = today + timedelta(days=1)
    try:
        async with kernel.db.transaction() as session:
            for kind, text in CATALOGS.items():
                await catalogs.import_catalog(
                    kernel, session, actor, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
                )
        async with kernel.db.transaction() as session:
            patient, _card = await patients.register(
                kernel,
                session,
                actor,
                PatientIn(sex="F", full_name=PATIENT, birth_date=date(1975, 4, 30), phone=PHONE),
            )
            visit = await reception.register_visit(
                session,
                kernel.clock,
                kernel.settings.hospital,
                actor,
                VisitIn(patient_id=patient.id, room_code="PK-HEN1", service_code="DVHEN01"),
            )
        async with kernel.db.transaction() as session:
            doctor = outpatient.Doctor("bacsi", "BS. Lê Văn An")
            await outpatient.open_encounter(session, kernel.clock, actor, doctor, visit.id)
            await outpatient.set_disposition(
                session, kernel.clock, actor, visit.id, DispositionIn(disposition="follow_up", follow_up_date=tomorrow)
            )
            await appointments.create_schedule(
                session,
                kernel.clock,
                actor,
                ScheduleIn("NVHEN01", "PK-HEN1", tomorrow.weekday(), "07:30", "11:30", slot_minutes=30, capacity=1),
            )
            await appointments.generate_slots(session, kernel.clock, actor, first=tomorrow, last=tomorrow)
        return {"visit_id": visit.id, "tomorrow": tomorrow.isoformat()}
    finally:
        await kernel.db.dispose()


def seed(database_url: str) -> None:
    print(json.dumps(asyncio.run(_seed(database_url))))


def test_book_a_follow_up_print_it_and_remind(page: Page, live_server: LiveServer, page_errors: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"from tests.e2e.test_appointments import seed; seed({live_server.database_url!r})"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seeded = json.loads(done.stdout.strip().splitlines()[-1])

    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("letan")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("link", name="Lịch hẹn khám", exact=True)).to_be_visible()

    # The link the examination page offers for a follow-up disposition.
    page.goto(f"/appointments/book?visit={seeded['visit_id']}")
    expect(page.get_by_test_id("follow-up")).to_contain_text("Tái khám")
    expect(page.get_by_test_id("patient-name")).to_have_text(PATIENT)
    expect(page.get_by_label("Ngày", exact=True)).to_have_value(seeded["tomorrow"])
    expect(page.get_by_label("Điện thoại", exact=True)).to_have_value(PHONE)
    page.get_by_label("08:00–08:30").check()
    screenshot(page, "appointments-book")
    page.get_by_test_id("book").click()

    expect(page.get_by_test_id("status")).to_have_text("Đã đặt")
    expect(page.get_by_test_id("appointment-time")).to_contain_text("08:00")
    screenshot(page, "appointments-booked")
    link = page.get_by_test_id("print-paper")
    href = link.get_attribute("href")
    assert href is not None and href.endswith("/paper.pdf")
    paper = page.request.get(href)
    assert paper.status == 200 and paper.headers["content-type"] == "application/pdf"
    assert paper.body().startswith(b"%PDF-")

    # The slot took one patient: it is now shown full to the next booking.
    page.goto(f"/appointments/book?visit={seeded['visit_id']}")
    expect(page.get_by_label("08:00–08:30")).to_be_disabled()

    page.goto("/appointments/reminders")
    row = page.get_by_test_id("reminders").get_by_role("row").filter(has_text=PATIENT)
    expect(row).to_contain_text(PHONE)
    expect(row).to_contain_text("08:00")
    row.get_by_role("button", name="Đánh dấu đã nhắc").click()
    expect(page.get_by_test_id("reminders").get_by_role("row").filter(has_text=PATIENT)).to_contain_text("✓")
    exported = page.request.get("/appointments/reminders.csv?days=1")
    assert exported.status == 200 and PHONE in exported.text()
    screenshot(page, "appointments-reminders")
    assert page_errors == []
