"""The printed discharge paper (giấy ra viện, the layout of Circular 56/2017/TT-BYT, appendix 3) and the
treatment sheet (tờ điều trị), A4/A5 with reportlab and DejaVu fonts. Captions are Vietnamese whatever the
user's language: these are national forms the patient carries out of the hospital."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from io import BytesIO
from pathlib import Path

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from his.inpatient.schemas import SheetDayOut, StayOut
from his.kernel.clock import vietnam_zone
from his.kernel.hospital import HospitalInfo
from his.patients.schemas import PatientOut

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
MARGIN = 14 * mm


def register_fonts() -> None:
    files = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
    missing = [name for name in files.values() if not (FONT_DIR / name).exists()]
    if missing:
        raise RuntimeError("DejaVu fonts are missing: install the Debian package fonts-dejavu-core")
    registered = set(pdfmetrics.getRegisteredFontNames())
    for font, file_name in files.items():
        if font not in registered:
            pdfmetrics.registerFont(TTFont(font, str(FONT_DIR / file_name)))


def _local(value: datetime) -> datetime:
    return value.astimezone(vietnam_zone())


def _when(value: datetime) -> str:
    local = _local(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


class _Page:
    def __init__(self, canvas: Canvas, size: tuple[float, float]) -> None:
        self.canvas = canvas
        self.width, self.height = size
        self.y = self.height - MARGIN

    def text(self, value: str, *, font: str = REGULAR, size: float = 10, indent: float = 0, gap: float = 2) -> None:
        for line in simpleSplit(value, font, size, self.width - 2 * MARGIN - indent) or [""]:
            if self.y < MARGIN + size:
                self.canvas.showPage()
                self.y = self.height - MARGIN
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN + indent, self.y - size, line)
            self.y -= size + gap

    def centred(self, value: str, *, font: str = BOLD, size: float = 12, x: float | None = None) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(self.width / 2 if x is None else x, self.y - size, value)
        self.y -= size + 3


def _header(page: _Page, hospital: HospitalInfo, department: str, code: str) -> None:
    top = page.y
    page.canvas.setFont(REGULAR, 8)
    page.canvas.drawString(MARGIN, top - 8, "Sở Y tế: ........................")
    page.canvas.drawString(MARGIN, top - 18, f"BV: {hospital.name}")
    page.canvas.drawString(MARGIN, top - 28, f"Khoa: {department}")
    page.canvas.setFont(BOLD, 8)
    page.canvas.drawRightString(page.width - MARGIN, top - 8, "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    page.canvas.setFont(REGULAR, 8)
    page.canvas.drawRightString(page.width - MARGIN - 18, top - 18, "Độc lập - Tự do - Hạnh phúc")
    page.canvas.drawRightString(page.width - MARGIN, top - 28, f"Mã số: {code}")
    page.y = top - 40


def discharge_paper_pdf(stay: StayOut, patient: PatientOut, hospital: HospitalInfo, department_name: str) -> bytes:
    """Giấy ra viện (Circular 56/2017/TT-BYT, appendix 3): A5, one page."""
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A5)
    canvas.setTitle(f"Giấy ra viện {stay.code}")
    page = _Page(canvas, A5)
    _header(page, hospital, department_name, stay.code)
    page.centred("GIẤY RA VIỆN", size=14)
    page.y -= 4
    sex = "Nữ" if patient.sex == "F" else "Nam"
    units = {"year": "", "month": " tháng", "day": " ngày"}
    age = f"{patient.age.value}{units[patient.age.unit]}" if patient.age is not None else "..."
    page.text(f"- Họ tên người bệnh: {patient.full_name.upper()}    Tuổi: {age}    Giới tính: {sex}", font=BOLD)
    page.text(f"- Mã người bệnh: {patient.code}    Mã lưu trữ: {stay.code}")
    page.text(f"- Dân tộc: {patient.ethnicity_code or '...'}    Nghề nghiệp: {patient.occupation_code or '...'}")
    page.text(f"- Mã số BHXH/Thẻ BHYT số: {stay.card_number or 'Không'}")
    page.text(f"- Địa chỉ: {patient.address_line or '...'}")
    page.text(f"- Vào viện lúc: {_when(stay.admitted_at)}")
    if stay.discharged_at is not None:
        page.text(f"- Ra viện lúc: {_when(stay.discharged_at)}")
    page.text(f"- Chẩn đoán: {stay.discharge_icd10 or ''} - {stay.discharge_diagnosis or ''}")
    page.text(f"- Phương pháp điều trị: {stay.treatment_method or ''}")
    page.text(f"- Ghi chú: {stay.discharge_note or ''}")
    page.y -= 10
    left, right = page.width / 4, page.width * 3 / 4
    day = _local(stay.discharged_at) if stay.discharged_at else None
    dated = f"Ngày {day:%d} tháng {day:%m} năm {day:%Y}" if day else "Ngày ... tháng ... năm ..."
    canvas.setFont(ITALIC, 8)
    canvas.drawCentredString(right, page.y - 8, dated)
    page.y -= 14
    canvas.setFont(BOLD, 9)
    canvas.drawCentredString(left, page.y - 9, "Thủ trưởng đơn vị")
    canvas.drawCentredString(right, page.y - 9, "Trưởng khoa")
    canvas.setFont(ITALIC, 7)
    canvas.drawCentredString(left, page.y - 19, "(Ký tên, đóng dấu)")
    canvas.drawCentredString(right, page.y - 19, "(Ký, ghi rõ họ tên)")
    canvas.setFont(REGULAR, 9)
    canvas.drawCentredString(right, page.y - 70, stay.discharged_by_name or "")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def treatment_sheet_pdf(
    stay: StayOut, patient: PatientOut, hospital: HospitalInfo, department_name: str, days: Sequence[SheetDayOut]
) -> bytes:
    """Tờ điều trị: per day, the progress (diễn biến bệnh) and the orders (y lệnh), A4."""
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=0)  # text readable by tests
    canvas.setTitle(f"Tờ điều trị {stay.code}")
    page = _Page(canvas, A4)
    _header(page, hospital, department_name, stay.code)
    page.centred("TỜ ĐIỀU TRỊ", size=14)
    page.text(f"Họ tên người bệnh: {patient.full_name.upper()}    Mã: {patient.code}    Giường: {stay.bed_code or '-'}")
    page.text(f"Chẩn đoán: {stay.admission_icd10} - {stay.admission_diagnosis}")
    for day in days:
        page.y -= 6
        page.text(f"Ngày {day.day:%d/%m/%Y}", font=BOLD, size=11)
        for entry in day.entries:
            vitals = [
                f"M {entry.pulse} l/ph" if entry.pulse else "",
                f"T° {entry.temperature} °C" if entry.temperature else "",
                f"HA {entry.systolic}/{entry.diastolic} mmHg" if entry.systolic and entry.diastolic else "",
                f"NT {entry.respiratory_rate} l/ph" if entry.respiratory_rate else "",
                f"SpO2 {entry.spo2}%" if entry.spo2 else "",
            ]
            page.text(f"{_local(entry.written_at):%H:%M} - {entry.author_name}", font=ITALIC, size=9)
            if any(vitals):
                page.text("Dấu hiệu sinh tồn: " + ", ".join(v for v in vitals if v), indent=8)
            if entry.progress:
                page.text(f"Diễn biến bệnh: {entry.progress}", indent=8)
            if entry.care_orders:
                page.text(f"Y lệnh: {entry.care_orders}", indent=8)
        for order in day.orders:
            page.text(f"Chỉ định: {order.name} ({order.code})", indent=8)
        for drug in day.medications:
            how = f" - {drug.instructions}" if drug.instructions else ""
            page.text(
                f"Thuốc: {drug.drug_name} ({' + '.join(drug.substances)}), {drug.dose_per_time} {drug.unit} "
                f"x {drug.times_per_day} lần/ngày, {drug.route}{how}",
                indent=8,
            )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
