"""Appointments over HTTP: the follow-up booking page, the paper and its XML14, reminders, no-shows, permissions
and refusals in Vietnamese."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import timedelta

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from lxml import etree  # type: ignore[import-untyped]

from his.app import installed_modules
from his.bhyt.rules import check_records
from his.bhyt.spec import load_rulebook
from his.kernel.clock import FixedClock
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.appointments.conftest import DOCTOR_CODE, TODAY, Clinic, add_schedules, build_clinic
from tests.conftest import login

pytestmark = pytest.mark.criterion(50)

# XML14 fields whose rows in his/bhyt/data/fields.csv are not reviewed yet and say "required" although Bảng 14
# takes them from XML1, where they are conditional (see docs/appointments.md): empty for an outpatient exam.
PENDING_REVIEW = {"NGAY_VAO_NOI_TRU", "MA_BENH_YHCT"}


@pytest.fixture
def clinic(client: TestClient[Litestar], settings: Settings, clock: FixedClock) -> Clinic:
    async def build() -> Clinic:
        kernel = build_kernel(settings, installed_modules(), clock)
        try:
            built = await build_clinic(kernel)
            await add_schedules(kernel, days=10)
            return built
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def _slot_id(page: str, start: str) -> int:
    match = re.search(rf'name="slot_id" value="(\d+)"[^>]*>\s*{start}', page)
    assert match, page
    return int(match.group(1))


def _book_follow_up(client: TestClient[Litestar], clinic: Clinic, csrf: str, start: str = "09:00") -> int:
    page = client.get("/appointments/book", params={"visit": clinic.follow_up_visit})
    assert page.status_code == 200, page.text
    booked = client.post(
        "/appointments/book",
        data={
            "_csrf": csrf,
            "patient_id": str(clinic.insured),
            "visit": str(clinic.follow_up_visit),
            "slot_id": str(_slot_id(page.text, start)),
            "day": clinic.follow_up_day.isoformat(),
            "doctor": DOCTOR_CODE,
            "phone": "",
            "note": "Nhịn ăn sáng để xét nghiệm",
        },
        follow_redirects=False,
    )
    assert booked.status_code == 303, booked.text
    return int(booked.headers["location"].split("/")[2].split("?")[0])


def test_the_follow_up_page_is_filled_from_the_examination(client: TestClient[Litestar], clinic: Clinic) -> None:
    login(client, "letan")
    page = client.get("/appointments/book", params={"visit": clinic.follow_up_visit})
    assert page.status_code == 200
    html = page.text
    assert "Nguyễn Văn An" in html
    assert clinic.follow_up_day.isoformat() in html  # the day chosen is the follow-up date
    assert f'value="{DOCTOR_CODE}" selected' in html  # the examining doctor
    assert "Tái khám của lượt khám" in html
    assert "BS Lê Văn An" in html and "0912345678" in html


def test_book_print_and_xml14(client: TestClient[Litestar], clinic: Clinic) -> None:
    csrf = login(client, "letan")
    appointment_id = _book_follow_up(client, clinic, csrf)
    item = client.get(f"/api/v1/appointments/appointments/{appointment_id}").json()
    assert (
        item["source"] == "follow_up" and item["start"] == "09:00" and item["day"] == clinic.follow_up_day.isoformat()
    )
    assert item["phone"] == "0912345678" and item["note"] == "Nhịn ăn sáng để xét nghiệm"

    pdf = client.get(f"/appointments/{appointment_id}/paper.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-") and pdf.content.rstrip().endswith(b"%%EOF")
    assert b"/Type /Page" in pdf.content
    assert "Nguyễn Văn An" in pdf_title(pdf.content)

    xml = client.get(f"/appointments/{appointment_id}/xml14.xml")
    assert xml.status_code == 200, xml.text
    root = etree.fromstring(xml.content)
    assert root.tag == "CHI_TIEU_GIAYHEN_KHAMLAI"
    record = {child.tag: child.text or "" for child in root}
    book = load_rulebook()
    assert list(record) == [rule.field for rule in book.fields["XML14"]]
    assert record["SO_GIAYHEN_KL"] == item["code"]
    assert record["NGAY_HEN_KL"] == clinic.follow_up_day.strftime("%Y%m%d") + "0900"
    assert record["MA_BENH_CHINH"] == "I10" and record["MA_BENH_KT"] == "E11"
    assert record["MA_THE_BHYT"] == "DN4797912345678" and record["GT_THE_DEN"] == "20261231"
    assert record["NGAY_SINH"] == "198005170000" and record["GIOI_TINH"] == "1"
    assert record["MA_BAC_SI"] == "001237/BYT-CCHN" and record["NGAY_CT"] == TODAY.strftime("%Y%m%d")
    problems = [v for v in check_records(book, "XML14", [record]) if v.field not in PENDING_REVIEW | {"MA_TTDV"}]
    assert problems == []  # MA_TTDV: the head's insurance number is hospital configuration, empty here


def pdf_title(content: bytes) -> str:
    """The document title from the PDF's Info dictionary (reportlab writes UTF-16 with a byte-order mark)."""
    match = re.search(rb"/Title \((.*?)(?<!\\)\)", content, re.S)
    assert match, "no /Title"
    raw = re.sub(rb"\\([()\\])", rb"\1", match.group(1))
    raw = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m.group(1), 8)]), raw)
    return raw[2:].decode("utf-16-be") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


def test_reminders_csv_and_mark_reminded(client: TestClient[Litestar], clinic: Clinic, clock: FixedClock) -> None:
    csrf = login(client, "letan")
    appointment_id = _book_follow_up(client, clinic, csrf)
    clock.advance(timedelta(days=6))  # the day before the follow-up (the idle session has expired meanwhile)
    client.cookies.clear()
    csrf = login(client, "letan")
    rows = client.get("/api/v1/appointments/reminders", params={"days": 1}).json()
    assert [r["id"] for r in rows] == [appointment_id]
    exported = client.get("/appointments/reminders.csv", params={"days": 1})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert lines[0][:5] == ["ngay", "gio", "ma_benh_nhan", "ho_ten", "dien_thoai"]
    assert lines[1][3:5] == ["Nguyễn Văn An", "0912345678"] and lines[1][8] == ""
    marked = client.post(f"/appointments/{appointment_id}/remind", data={"_csrf": csrf}, follow_redirects=False)
    assert marked.status_code == 303
    page = client.get("/appointments/reminders", params={"days": 1})
    assert "✓" in page.text and "Nguyễn Văn An" in page.text


def test_past_days_close_as_no_shows_and_count_per_doctor(
    client: TestClient[Litestar], clinic: Clinic, clock: FixedClock
) -> None:
    csrf = login(client, "letan")
    _book_follow_up(client, clinic, csrf)
    clock.advance(timedelta(days=8))  # the follow-up day has passed, nobody came
    client.cookies.clear()
    login(client, "letan")
    day = client.get("/api/v1/appointments/appointments", params={"day": clinic.follow_up_day.isoformat()}).json()
    assert [a["status"] for a in day] == ["no_show"]
    client.cookies.clear()
    login(client, "bacsi")
    first, last = TODAY.isoformat(), (TODAY + timedelta(days=8)).isoformat()
    stats = client.get("/api/v1/appointments/no-shows", params={"first": first, "last": last}).json()
    assert stats == [
        {
            "doctor_code": DOCTOR_CODE,
            "doctor_name": "BS Lê Văn An",
            "due": 1,
            "attended": 0,
            "no_shows": 1,
            "rate_percent": 100,
        }
    ]
    assert "BS Lê Văn An" in client.get("/appointments/no-shows", params={"first": first, "last": last}).text


def test_refusals_are_4xx_in_vietnamese(client: TestClient[Litestar], clinic: Clinic) -> None:
    csrf = login(client, "letan")
    headers = {"x-csrf-token": csrf}
    missing = client.post(
        "/api/v1/appointments/appointments", json={"slot_id": 999999, "patient_id": clinic.insured}, headers=headers
    )
    assert missing.status_code == 404 and missing.json()["detail"] == "Không có khung giờ 999999"
    slots = client.get("/api/v1/appointments/slots", params={"day": TODAY.isoformat(), "doctor": DOCTOR_CODE}).json()
    past = client.post(
        "/api/v1/appointments/appointments",
        json={"slot_id": slots[0]["id"], "patient_id": clinic.insured},
        headers=headers,
    )
    assert past.status_code == 422 and past.json()["detail"] == "Không thể đặt hẹn vào thời điểm đã qua"
    bad_phone = client.post(
        "/api/v1/appointments/appointments",
        json={"slot_id": slots[-1]["id"], "patient_id": clinic.insured, "phone": "12ab"},
        headers=headers,
    )
    assert bad_phone.status_code == 422 and bad_phone.json()["errors"][0]["field"] == "phone"
    page = client.post("/appointments/book", data={"_csrf": csrf, "patient_id": str(clinic.insured)})
    assert page.status_code == 422 and "Chọn một khung giờ còn trống" in page.text
    too_far = client.get("/api/v1/appointments/reminders", params={"days": 30})
    assert too_far.status_code == 422 and too_far.json()["detail"] == "Chọn từ 1 đến 14 ngày"
    not_a_day = client.get("/api/v1/appointments/slots", params={"day": "31/11/2026"})
    assert not_a_day.status_code == 400 and not_a_day.json()["detail"].startswith("Yêu cầu không hợp lệ")
    cancel = client.post("/api/v1/appointments/appointments/999999/cancel", json={"reason": "x"}, headers=headers)
    assert cancel.status_code == 404 and cancel.json()["detail"] == "Không có lịch hẹn 999999"
    client.cookies.clear()
    csrf = login(client, "admin")
    refused = client.post(
        "/api/v1/appointments/schedules",
        json={"doctor_code": DOCTOR_CODE, "room_code": "PK-NOI1", "weekday": 0, "start": "7 giờ", "end": "11:00"},
        headers={"x-csrf-token": csrf},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "Ghi giờ theo dạng GG:PP, ví dụ 07:30"
    form = client.post(
        "/appointments/slots/generate", data={"_csrf": csrf, "first": "2026-12-10", "last": "2026-12-01"}
    )
    assert form.status_code == 422 and "Ngày kết thúc không được trước ngày bắt đầu" in form.text


def test_who_may_do_what(client: TestClient[Litestar], clinic: Clinic) -> None:
    login(client, "thungan")
    assert client.get("/appointments").status_code == 403
    client.cookies.clear()
    csrf = login(client, "letan")
    assert client.get("/appointments/schedules").status_code == 403
    assert client.get("/appointments").status_code == 200
    assert client.get("/appointments/book").status_code == 200
    refused = client.post(
        "/api/v1/appointments/slots/generate",
        json={"first": "2026-12-01", "last": "2026-12-02"},
        headers={"x-csrf-token": csrf},
    )
    assert refused.status_code == 403
    client.cookies.clear()
    csrf = login(client, "admin")
    page = client.get("/appointments/schedules")
    assert page.status_code == 200 and "BS Lê Văn An" in page.text
    done = client.post(
        "/appointments/slots/generate", data={"_csrf": csrf, "first": "2026-12-07", "last": "2026-12-08"}
    )
    assert done.status_code == 200 and "Đã tạo 32 khung giờ" in done.text


def test_reads_are_audited_with_the_patient(client: TestClient[Litestar], clinic: Clinic) -> None:
    csrf = login(client, "letan")
    appointment_id = _book_follow_up(client, clinic, csrf)
    client.get(f"/appointments/{appointment_id}")
    client.get(f"/appointments/{appointment_id}/paper.pdf")
    client.cookies.clear()
    login(client, "kiemtoan")
    rows = client.get("/api/v1/audit", params={"patient_id": str(clinic.insured)}).json()["items"]
    assert {"follow_up.read", "appointment.book", "appointment.read", "appointment.print"} <= {
        r["action"] for r in rows
    }
