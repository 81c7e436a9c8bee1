"""The appointment paper (giấy hẹn khám lại): the printed form and its XML14 record of QĐ 130/QĐ-BYT.

The printed layout follows mẫu số 5 of the appendix of Decree 75/2023/NĐ-CP (the form XML14's SO_GIAYHEN_KL
points to): the facility and the national motto side by side, the paper's number, the patient, the card, the
visit, the diagnosis, the day and time to come back, and the one-use, ten-working-day validity note. Captions are
Vietnamese whatever the user's language: the patient shows the paper at the desk and to BHYT.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from lxml import etree  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.ext.asyncio import AsyncSession

from his.appointments import rules
from his.appointments.schemas import AppointmentOut
from his.bhyt import api as bhyt
from his.catalogs import api as catalogs
from his.kernel.clock import local_date, vietnam_zone
from his.kernel.errors import Conflict
from his.kernel.hospital import HospitalInfo, get_hospital
from his.kernel.i18n import lazy
from his.kernel.runtime import Kernel
from his.outpatient import api as outpatient
from his.patients import api as patients
from his.reception import api as reception

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
MARGIN = 12 * mm
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MSG_NO_VISIT = lazy("The XML14 record belongs to the claim of an examination; this appointment was booked without one")


def register_fonts() -> None:
    files = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
    missing = [name for name in files.values() if not (FONT_DIR / name).exists()]
    if missing:
        raise RuntimeError("DejaVu fonts are missing: install the Debian package fonts-dejavu-core")
    registered = set(pdfmetrics.getRegisteredFontNames())
    for font, file_name in files.items():
        if font not in registered:
            pdfmetrics.registerFont(TTFont(font, str(FONT_DIR / file_name)))


async def paper_facts(session: AsyncSession, kernel: Kernel, appointment: AppointmentOut) -> rules.PaperFacts:
    """Everything the paper says, read through the modules' api (the examination's, when there is one)."""
    patient = await patients.get_patient(session, patient_id=appointment.patient_id)
    hospital = await get_hospital(session, kernel.settings.hospital)
    visit = encounter = None
    if appointment.from_visit_id is not None:
        visit = await reception.get_visit(session, visit_id=appointment.from_visit_id)
        encounter = await outpatient.find_encounter(session, visit_id=visit.id)
    on = visit.ticket_day if visit else appointment.day
    card = await patients.active_card(session, patient_id=patient.id, on=on)
    card_number = visit.card_number if visit else (card.card_number if card else None)
    diagnoses = sorted(encounter.diagnoses if encounter else [], key=lambda d: (not d.is_main, d.position))
    main = next((d for d in diagnoses if d.is_main), None)
    staff = await catalogs.get_staff(session, code=appointment.doctor_code, as_of=appointment.day)
    return rules.PaperFacts(
        code=appointment.code,
        facility_code=hospital.facility_code,
        patient_name=patient.full_name,
        birth_date=patient.birth_date,
        birth_year=patient.birth_year,
        sex=patient.sex,
        address=patient.address_line or "",
        card_number=card_number,
        card_valid_to=card.valid_to if card and card_number == card.card_number else None,
        visit_code=visit.code if visit else None,
        visited_at=visit.registered_at if visit else None,
        finished_at=encounter.finished_at if encounter else None,
        appointment_at=rules.local_moment(appointment.day, rules.parse_minute(appointment.start) or 0),
        diagnosis_text="; ".join(f"{d.text} ({d.code})" for d in diagnoses),
        main_code=main.code if main else "",
        other_codes=[d.code for d in diagnoses if not d.is_main],
        route=visit.route if visit else None,
        doctor_certificate=(staff.practising_certificate_no or "") if staff else "",
        head_insurance_number=hospital.head_insurance_number or kernel.settings.claims.head_insurance_number,
        issued_on=local_date(appointment.booked_at),
    )


# ---------------------------------------------------------------- XML14


def xml14_bytes(record: dict[str, str]) -> bytes:
    """The XML14 file (UTF-8, with declaration): CHI_TIEU_GIAYHEN_KHAMLAI holding the one record, fields in the
    order of his.bhyt's rule book (QĐ 130 Bảng 14)."""
    book = bhyt.load_rulebook()
    order = [rule.field for rule in book.fields.get(rules.XML14_TABLE, ())] or list(record)
    root = etree.Element(rules.XML14_ROOT)
    for name in order:
        etree.SubElement(root, name).text = record.get(name, "")
    body: bytes = etree.tostring(root, encoding="UTF-8")
    return DECLARATION + body


def require_visit(facts: rules.PaperFacts) -> None:
    if not facts.visit_code:
        raise Conflict(MSG_NO_VISIT)


# ---------------------------------------------------------------- the printed paper


def _day(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else ""


class _Page:
    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.width, self.height = A5
        self.y = self.height - MARGIN

    def text(self, value: str, *, font: str = REGULAR, size: float = 9.5, gap: float = 2.5) -> None:
        for line in simpleSplit(value, font, size, self.width - 2 * MARGIN) or [""]:
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN, self.y - size, line)
            self.y -= size + gap

    def centred(self, value: str, *, font: str = BOLD, size: float = 14) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(self.width / 2, self.y - size, value)
        self.y -= size + 5


def paper_pdf(appointment: AppointmentOut, facts: rules.PaperFacts, hospital: HospitalInfo, room_name: str) -> bytes:
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A5)
    canvas.setTitle(f"Giấy hẹn khám lại {appointment.code} – {facts.patient_name}")
    canvas.setAuthor(hospital.name)
    canvas.setSubject(appointment.code)
    page = _Page(canvas)
    left, right = MARGIN + 28 * mm, page.width - MARGIN - 36 * mm
    top = page.y
    canvas.setFont(BOLD, 8)
    for index, line in enumerate(simpleSplit(hospital.name.upper(), BOLD, 8, 56 * mm)[:2]):
        canvas.drawCentredString(left, top - 8 - index * 10, line)
    canvas.setFont(REGULAR, 7.5)
    canvas.drawCentredString(left, top - 30, f"Mã cơ sở KBCB: {facts.facility_code}")
    canvas.setFont(BOLD, 7.5)
    canvas.drawCentredString(right, top - 8, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    canvas.setFont(BOLD, 8)
    canvas.drawCentredString(right, top - 18, "Độc lập - Tự do - Hạnh phúc")
    canvas.line(right - 24 * mm, top - 21, right + 24 * mm, top - 21)
    canvas.setFont(REGULAR, 8)
    canvas.drawCentredString(left, top - 42, f"Số: {appointment.code}")
    page.y = top - 54
    page.centred("GIẤY HẸN KHÁM LẠI")
    if appointment.status == "cancelled":
        page.centred("ĐÃ HỦY", size=11)
    page.y -= 4
    born = _day(facts.birth_date) if facts.birth_date else str(facts.birth_year)
    page.text(f"Họ và tên: {facts.patient_name}", font=BOLD, size=10.5)
    page.text(f"Ngày sinh: {born}    Giới tính: {'Nữ' if facts.sex == 'F' else 'Nam'}")
    page.text(f"Địa chỉ: {facts.address}")
    if facts.card_number:
        until = f"    Giá trị sử dụng đến: {_day(facts.card_valid_to)}" if facts.card_valid_to else ""
        page.text(f"Số thẻ bảo hiểm y tế: {facts.card_number}{until}")
    if facts.visited_at:
        page.text(f"Đến khám ngày: {_day(facts.visited_at.astimezone(vietnam_zone()))}")
    if facts.diagnosis_text:
        page.text(f"Chẩn đoán: {facts.diagnosis_text}")
    page.y -= 4
    day = appointment.day
    page.text(
        f"Hẹn khám lại vào lúc {appointment.start} ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
        font=BOLD,
        size=10.5,
    )
    page.text(f"Tại: {room_name} – Bác sĩ {appointment.doctor_name}")
    page.text("hoặc đến bất kỳ thời gian nào trước ngày hẹn khám lại nếu có diễn biến bất thường.", font=ITALIC, size=9)
    if appointment.note:
        page.text(f"Ghi chú: {appointment.note}")
    issued = facts.issued_on
    page.y -= 8
    canvas.setFont(ITALIC, 9)
    canvas.drawRightString(
        page.width - MARGIN, page.y - 9, f"Ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}"
    )
    y = page.y - 24
    canvas.setFont(BOLD, 9)
    canvas.drawCentredString(MARGIN + 28 * mm, y, "Bác sĩ/Y sĩ khám bệnh")
    canvas.drawCentredString(page.width - MARGIN - 30 * mm, y, "Thủ trưởng đơn vị")
    canvas.setFont(ITALIC, 8)
    canvas.drawCentredString(MARGIN + 28 * mm, y - 11, "(Ký, ghi rõ họ tên)")
    canvas.drawCentredString(page.width - MARGIN - 30 * mm, y - 11, "(Ký, ghi rõ họ tên, đóng dấu)")
    canvas.setFont(BOLD, 9)
    canvas.drawCentredString(MARGIN + 28 * mm, y - 52, appointment.doctor_name)
    canvas.setFont(ITALIC, 7.5)
    note = (
        "Ghi chú: Giấy hẹn khám lại chỉ có giá trị sử dụng 01 (một) lần trong thời hạn 10 ngày làm việc, "
        f"kể từ ngày được hẹn khám lại (đến hết ngày {_day(rules.paper_valid_until(day))})."
    )
    for index, line in enumerate(simpleSplit(note, ITALIC, 7.5, page.width - 2 * MARGIN)):
        canvas.drawString(MARGIN, MARGIN + 10 - index * 9, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
