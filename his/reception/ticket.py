"""The queue ticket as a PDF for an 80 mm receipt printer (reportlab; DejaVu for Vietnamese glyphs)."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from his.kernel.clock import vietnam_zone
from his.reception.schemas import VisitOut

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
WIDTH = 80 * mm
HEIGHT = 110 * mm


def _register_fonts() -> tuple[str, str]:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():
        raise RuntimeError("DejaVu fonts are missing: install the Debian package fonts-dejavu-core")
    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
    return "DejaVuSans", "DejaVuSans-Bold"


def ticket_pdf(visit: VisitOut, *, hospital_name: str, labels: dict[str, str]) -> bytes:
    """labels: the translated captions ("room", "number", "insurance", "self_pay", "please_wait")."""
    regular, bold = _register_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(WIDTH, HEIGHT))
    canvas.setTitle(f"{labels['number']} {visit.ticket_number} – {visit.room_name}")
    center = WIDTH / 2
    y = HEIGHT - 10 * mm
    canvas.setFont(bold, 9)
    canvas.drawCentredString(center, y, hospital_name.upper())
    y -= 8 * mm
    canvas.setFont(regular, 10)
    canvas.drawCentredString(center, y, f"{labels['room']}: {visit.room_name}")
    y -= 6 * mm
    canvas.setFont(regular, 9)
    canvas.drawCentredString(center, y, labels["number"])
    y -= 22 * mm
    canvas.setFont(bold, 54)
    canvas.drawCentredString(center, y, str(visit.ticket_number))
    y -= 10 * mm
    canvas.setFont(bold, 11)
    canvas.drawCentredString(center, y, visit.patient_name)
    y -= 5 * mm
    canvas.setFont(regular, 9)
    canvas.drawCentredString(center, y, visit.patient_code)
    y -= 6 * mm
    payer = f"{labels['insurance']}: {visit.card_number}" if visit.card_number else labels["self_pay"]
    canvas.drawCentredString(center, y, payer)
    y -= 6 * mm
    when = visit.registered_at.astimezone(vietnam_zone()).strftime("%H:%M %d/%m/%Y")
    canvas.drawCentredString(center, y, when)
    y -= 7 * mm
    canvas.setFont(regular, 8)
    canvas.drawCentredString(center, y, labels["please_wait"])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
