"""The printed prescription (A5, reportlab, DejaVu fonts for Vietnamese) with its national code as a QR code.

The captions are Vietnamese whatever the user's language: the prescription is a legal form of Circular
26/2025/TT-BYT that the patient carries to any pharmacy in the country.
"""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.renderPDF import draw as draw_drawing
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from his.kernel.clock import vietnam_zone
from his.kernel.hospital import HospitalInfo
from his.outpatient.schemas import PrescriptionOut

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
REGULAR, BOLD, ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
MARGIN = 12 * mm
QR_SIZE = 26 * mm
TITLES = {"N": 'ĐƠN THUỐC "N"', "H": 'ĐƠN THUỐC "H"', "C": "ĐƠN THUỐC"}


def register_fonts() -> None:
    files = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf", ITALIC: "DejaVuSans-Oblique.ttf"}
    missing = [name for name in files.values() if not (FONT_DIR / name).exists()]
    if missing:
        raise RuntimeError("DejaVu fonts are missing: install the Debian package fonts-dejavu-core")
    registered = set(pdfmetrics.getRegisteredFontNames())
    for font, file_name in files.items():
        if font not in registered:
            pdfmetrics.registerFont(TTFont(font, str(FONT_DIR / file_name)))


def _sex(code: str) -> str:
    return "Nữ" if code == "F" else "Nam"


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _age(prescription: PrescriptionOut) -> str:
    if prescription.age_months is not None:
        return f"{prescription.age_months} tháng"
    if prescription.birth_date is not None:
        return _day(prescription.birth_date)
    return str(prescription.birth_year)


class _Page:
    """A cursor down an A5 page that wraps long text and starts a new page when it runs out."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.width, self.height = A5
        self.y = self.height - MARGIN

    def text(self, value: str, *, font: str = REGULAR, size: float = 9, indent: float = 0, gap: float = 1.5) -> None:
        lines = simpleSplit(value, font, size, self.width - 2 * MARGIN - indent)
        for line in lines or [""]:
            if self.y < MARGIN + size:
                self.canvas.showPage()
                self.y = self.height - MARGIN
            self.canvas.setFont(font, size)
            self.canvas.drawString(MARGIN + indent, self.y - size, line)
            self.y -= size + gap

    def centred(self, value: str, *, font: str = BOLD, size: float = 13) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(self.width / 2, self.y - size, value)
        self.y -= size + 4

    def space(self, amount: float = 3) -> None:
        self.y -= amount


def _qr(canvas: Canvas, value: str, x: float, y: float) -> None:
    widget = QrCodeWidget(value, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0])
    drawing.add(widget)
    draw_drawing(drawing, canvas, x, y)


def prescription_pdf(prescription: PrescriptionOut, hospital: HospitalInfo) -> bytes:
    register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=A5)
    canvas.setTitle(f"Đơn thuốc {prescription.code}")
    canvas.setAuthor(hospital.name)
    page = _Page(canvas)
    issued = prescription.issued_at.astimezone(vietnam_zone())

    _qr(canvas, prescription.code, page.width - MARGIN - QR_SIZE, page.height - MARGIN - QR_SIZE)
    page.text(hospital.name.upper(), font=BOLD, size=9)
    page.text(f"Mã cơ sở: {hospital.facility_code}", size=8)
    if hospital.address:
        page.text(hospital.address, size=8)
    page.text(f"Mã đơn thuốc: {prescription.code}", font=BOLD, size=9)
    page.y = min(page.y, page.height - MARGIN - QR_SIZE) - 4
    page.centred(TITLES.get(prescription.type_letter, "ĐƠN THUỐC"))
    if prescription.status == "cancelled":
        page.centred("ĐÃ HỦY", size=11)
    page.space()

    page.text(f"Họ tên: {prescription.patient_name}", font=BOLD, size=10)
    page.text(
        f"Ngày sinh / tuổi: {_age(prescription)}    Giới tính: {_sex(prescription.patient_sex)}"
        + (f"    Cân nặng: {prescription.weight_kg.normalize():f} kg" if prescription.weight_kg is not None else "")
    )
    if prescription.personal_id:
        page.text(f"Số định danh cá nhân/CCCD: {prescription.personal_id}")
    if prescription.adult_name:
        page.text(f"Họ tên bố, mẹ hoặc người giám hộ: {prescription.adult_name}    CCCD: {prescription.adult_id or ''}")
    if prescription.address:
        page.text(f"Địa chỉ: {prescription.address}")
    if prescription.card_number:
        page.text(f"Số thẻ BHYT: {prescription.card_number}")
    page.text(f"Chẩn đoán: {prescription.diagnosis_text}")
    page.space()

    page.text("Thuốc điều trị:", font=BOLD, size=10)
    for number, line in enumerate(prescription.lines, start=1):
        page.text(f"{number}. {line.drug_name} ({line.substances}) – {line.quantity} {line.unit}", font=BOLD, size=9)
        page.text(line.usage, font=ITALIC, size=9, indent=5 * mm)
    page.space()
    if prescription.advice:
        page.text(f"Lời dặn: {prescription.advice}")
    if prescription.follow_up_date:
        page.text(f"Ngày tái khám: {_day(prescription.follow_up_date)}")
    page.space(6)
    if page.y < MARGIN + 75:  # the date, the signature and the doctor's name stay together
        canvas.showPage()
        page.y = page.height - MARGIN
    right = page.width - MARGIN
    canvas.setFont(ITALIC, 9)
    canvas.drawRightString(right, page.y - 9, f"Ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year}")
    canvas.setFont(BOLD, 9)
    canvas.drawRightString(right, page.y - 21, "Bác sĩ khám bệnh")
    canvas.setFont(ITALIC, 8)
    canvas.drawRightString(right, page.y - 31, "(Ký, ghi rõ họ tên)")
    canvas.setFont(BOLD, 9)
    canvas.drawRightString(right, page.y - 62, prescription.doctor_name)
    canvas.setFont(REGULAR, 7)
    canvas.drawString(MARGIN, MARGIN / 2, "Khám lại xin mang theo đơn này.")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
