"""The receipt as a PDF (reportlab), in the Vietnamese layout of a hospital fee receipt.

Vietnamese needs a font with its glyphs: DejaVu Sans from the Debian package fonts-dejavu-core (installed by
`make system-deps`). Without it the receipt is refused with a message naming the package, rather than
printed with missing letters.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone
from pathlib import Path

from reportlab.lib.pagesizes import A5  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.lib.utils import simpleSplit  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from his.billing.schemas import ReceiptOut
from his.kernel.errors import Conflict
from his.kernel.hospital import HospitalInfo
from his.kernel.i18n import lazy as _

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
REGULAR, BOLD = "HisDejaVuSans", "HisDejaVuSans-Bold"
VIETNAM = timezone(timedelta(hours=7), "ICT")
METHODS = {"cash": "Tiền mặt", "card": "Thẻ ngân hàng", "transfer": "Chuyển khoản"}
PAGE_WIDTH, PAGE_HEIGHT = A5
MARGIN = 10 * mm
BOTTOM = 18 * mm


def money(value: int) -> str:
    """1250000 -> "1.250.000" (Vietnamese thousands separator)."""
    return f"{value:,}".replace(",", ".")


def find_font(name: str, dirs: Sequence[Path] = FONT_DIRS) -> Path | None:
    for folder in dirs:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def register_fonts(dirs: Sequence[Path] = FONT_DIRS) -> None:
    """Registers DejaVu Sans (regular, bold) once per process; Conflict naming the package when absent."""
    registered = pdfmetrics.getRegisteredFontNames()
    if REGULAR in registered and BOLD in registered:
        return
    regular, bold = find_font("DejaVuSans.ttf", dirs), find_font("DejaVuSans-Bold.ttf", dirs)
    if regular is None or bold is None:
        raise Conflict(_("Receipts need the DejaVu Sans font (Debian package fonts-dejavu-core); ask IT to install it"))
    pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


@dataclass(slots=True)
class _Pen:
    """A canvas with a cursor that moves down and turns the page when it reaches the bottom."""

    canvas: Canvas
    y: float = PAGE_HEIGHT - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.canvas.showPage()
            self.y = PAGE_HEIGHT - MARGIN

    def text(self, x: float, text: str, *, size: float = 9, bold: bool = False, align: str = "left") -> None:
        self.canvas.setFont(BOLD if bold else REGULAR, size)
        if align == "center":
            self.canvas.drawCentredString(x, self.y, text)
        elif align == "right":
            self.canvas.drawRightString(x, self.y, text)
        else:
            self.canvas.drawString(x, self.y, text)

    def line(self, gap: float = 4.5 * mm) -> None:
        self.y -= gap


def _header(pen: _Pen, receipt: ReceiptOut, hospital: HospitalInfo) -> None:
    left, right = MARGIN, PAGE_WIDTH - MARGIN
    pen.text(left, hospital.name.upper(), size=9, bold=True)
    pen.text(right, f"Quyển số: {receipt.book}", size=8, align="right")
    pen.line()
    pen.text(left, f"Mã CSKCB: {hospital.facility_code}", size=8)
    pen.text(right, f"Số: {receipt.number_text}", size=8, bold=True, align="right")
    pen.line()
    if hospital.address:
        pen.text(left, hospital.address[:80], size=7)
    if receipt.symbol:
        pen.text(right, f"Ký hiệu: {receipt.symbol}", size=8, align="right")
    pen.line(9 * mm)
    pen.text(PAGE_WIDTH / 2, "BIÊN LAI THU TIỀN", size=14, bold=True, align="center")
    pen.line(5 * mm)
    issued = receipt.issued_at.astimezone(VIETNAM)
    pen.text(
        PAGE_WIDTH / 2,
        f"Ngày {issued.day:02d} tháng {issued.month:02d} năm {issued.year} — {issued:%H:%M}",
        size=8,
        align="center",
    )
    pen.line(8 * mm)
    for label, value in (
        ("Họ tên người bệnh", receipt.patient_name or "—"),
        ("Mã người bệnh", receipt.patient_code or str(receipt.patient_id)),
        ("Mã đợt điều trị (MA_LK)", receipt.encounter_ref),
        ("Số thẻ BHYT", receipt.card_number or "Không có thẻ"),
    ):
        pen.text(left, f"{label}: {value}", size=9)
        pen.line()


# Column right edges (x) of the lines table, from the left margin.
_COLUMNS = (
    ("STT", 8 * mm, "right"),
    ("Nội dung", 12 * mm, "left"),
    ("SL", 66 * mm, "right"),
    ("Thành tiền", 88 * mm, "right"),
    ("BHYT trả", 108 * mm, "right"),
    ("Người bệnh", 128 * mm, "right"),
)
_NAME_WIDTH = 44 * mm


def _lines(pen: _Pen, receipt: ReceiptOut) -> None:
    pen.line(2 * mm)
    pen.need(10 * mm)
    for title, x, align in _COLUMNS:
        pen.text(MARGIN + x, title, size=7.5, bold=True, align=align)
    pen.canvas.line(MARGIN, pen.y - 1.5 * mm, PAGE_WIDTH - MARGIN, pen.y - 1.5 * mm)
    pen.line()
    for index, line in enumerate(receipt.lines, start=1):
        names = simpleSplit(line.name, REGULAR, 7.5, _NAME_WIDTH) or [""]
        pen.need(4 * mm * len(names))
        values = (str(index), "", str(line.quantity), money(line.amount_hospital), money(line.fund_pays))
        for (_title, x, align), value in zip(_COLUMNS, values, strict=False):
            if value:
                pen.text(MARGIN + x, value, size=7.5, align=align)
        pen.text(MARGIN + _COLUMNS[5][1], money(line.patient_pays), size=7.5, align="right")
        for part in names:
            pen.text(MARGIN + _COLUMNS[1][1], part, size=7.5)
            pen.line(3.8 * mm)
    pen.canvas.line(MARGIN, pen.y + 2 * mm, PAGE_WIDTH - MARGIN, pen.y + 2 * mm)


def _totals(pen: _Pen, receipt: ReceiptOut) -> None:
    right = PAGE_WIDTH - MARGIN
    pen.line(2 * mm)
    for label, value, bold in (
        ("Tổng chi phí", receipt.total_amount, False),
        ("Quỹ BHYT thanh toán", receipt.fund_amount, False),
        ("Người bệnh nộp", receipt.amount, True),
    ):
        pen.need(5 * mm)
        pen.text(MARGIN + 60 * mm, f"{label}:", size=9, bold=bold)
        pen.text(right, f"{money(value)} đ", size=9, bold=bold, align="right")
        pen.line()
    words = simpleSplit(f"Số tiền bằng chữ: {receipt.amount_in_words}", REGULAR, 9, PAGE_WIDTH - 2 * MARGIN)
    for part in words:
        pen.need(5 * mm)
        pen.text(MARGIN, part, size=9)
        pen.line()
    pen.text(MARGIN, f"Hình thức thanh toán: {METHODS.get(receipt.payment_method, receipt.payment_method)}", size=9)
    pen.line(10 * mm)
    pen.need(25 * mm)
    pen.text(MARGIN + 25 * mm, "Người nộp tiền", size=9, bold=True, align="center")
    pen.text(PAGE_WIDTH - MARGIN - 25 * mm, "Người thu tiền", size=9, bold=True, align="center")
    pen.line()
    pen.text(MARGIN + 25 * mm, "(Ký, ghi rõ họ tên)", size=7, align="center")
    pen.text(PAGE_WIDTH - MARGIN - 25 * mm, "(Ký, ghi rõ họ tên)", size=7, align="center")
    pen.line(16 * mm)
    pen.text(PAGE_WIDTH - MARGIN - 25 * mm, receipt.cashier_name or receipt.cashier_username, size=9, align="center")


def _cancelled_mark(canvas: Canvas, receipt: ReceiptOut) -> None:
    canvas.saveState()
    canvas.setFillColorRGB(0.8, 0.1, 0.1)
    canvas.setFont(BOLD, 40)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(30)
    canvas.drawCentredString(0, 0, "ĐÃ HUỶ")
    canvas.setFont(REGULAR, 9)
    canvas.drawCentredString(0, -8 * mm, f"Lý do: {(receipt.cancel_reason or '')[:70]}")
    canvas.restoreState()


def receipt_pdf(receipt: ReceiptOut, hospital: HospitalInfo, *, font_dirs: Sequence[Path] = FONT_DIRS) -> bytes:
    """One receipt, A5 portrait; a cancelled receipt is printed with its number and marked as cancelled."""
    register_fonts(font_dirs)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, invariant=True, pageCompression=0)
    title = f"Biên lai {receipt.book}/{receipt.number_text}"
    canvas.setTitle(title)
    canvas.setAuthor(hospital.name)
    canvas.setSubject(f"{receipt.book} {receipt.number_text} {receipt.encounter_ref}")
    pen = _Pen(canvas)
    _header(pen, receipt, hospital)
    _lines(pen, receipt)
    _totals(pen, receipt)
    if receipt.cancelled_at is not None:
        _cancelled_mark(canvas, receipt)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
