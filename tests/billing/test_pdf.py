"""The receipt PDF: renders with a Vietnamese font, carries its number in the text layer, marks cancellations."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from his.billing.pdf import FONT_DIRS, find_font, receipt_pdf
from his.billing.schemas import ReceiptLineOut, ReceiptOut
from his.billing.words import amount_in_vietnamese_words
from his.kernel.errors import Conflict
from his.kernel.hospital import HospitalInfo

pytestmark = [
    pytest.mark.criterion(35),
    pytest.mark.skipif(find_font("DejaVuSans.ttf") is None, reason="fonts-dejavu-core is not installed"),
]

HOSPITAL = HospitalInfo("Bệnh viện Đa khoa Tỉnh Demo", "79999", "01 Hùng Vương", "", False)


def pdf_text(content: bytes) -> str:
    """The text layer of a receipt, decoded through each font's ToUnicode map (the receipt is not compressed).

    A reader for this project's own output, not for PDFs in general: one `(...) Tj` per text object.
    """
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj\n(.*?)endobj", content, re.S)}
    cmaps: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, number in re.findall(rb"/(F\d+\+\d+) (\d+) 0 R", body):
            font = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(number)])
            if font is None:
                continue
            cmap = objects[int(font.group(1))]
            cmaps[name] = {
                int(code, 16): bytes.fromhex(uni.decode()).decode("utf-16-be")
                for code, uni in re.findall(rb"<([0-9A-F]{2})> <([0-9A-F]{4,})>", cmap)
            }
    shown = []
    for name, raw in re.findall(rb"/(\S+) [\d.]+ Tf [^()/]*?\(((?:\\.|[^\\)])*)\) Tj", content):
        codes = re.sub(rb"\\(\d{3})", lambda m: bytes([int(m.group(1), 8)]), raw)
        codes = re.sub(rb"\\([()\\])", rb"\1", codes)
        cmap = cmaps.get(name, {})
        shown.append("".join(cmap.get(byte) or chr(byte) for byte in codes))
    return "\n".join(shown)


def receipt(*, cancelled: bool = False, lines: int = 2) -> ReceiptOut:
    return ReceiptOut(
        id=1,
        book="BL01",
        symbol="BL/25",
        number=12,
        number_text="0000012",
        encounter_ref="LK-0001",
        patient_id=1,
        patient_code="BN000001",
        patient_name="Nguyễn Văn Ấn",
        card_number="DN4797912345678",
        amount=1_250_000,
        amount_in_words=amount_in_vietnamese_words(1_250_000),
        fund_amount=400_000,
        total_amount=1_650_000,
        payment_method="cash",
        cashier_username="thungan",
        cashier_name="Bùi Thị Giang",
        issued_at=datetime(2025, 3, 2, 2, 0, tzinfo=UTC),
        cancelled_at=datetime(2025, 3, 2, 3, 0, tzinfo=UTC) if cancelled else None,
        cancelled_by="thungan" if cancelled else None,
        cancel_reason="Thu nhầm" if cancelled else None,
        lines=[
            ReceiptLineOut(
                charge_id=i,
                name=f"Chụp cộng hưởng từ sọ não có tiêm thuốc cản quang số {i}",
                quantity=Decimal(1),
                unit_price=825_000,
                amount_hospital=825_000,
                fund_pays=200_000,
                patient_pays=625_000,
            )
            for i in range(lines)
        ],
    )


def test_receipt_renders_with_number_vietnamese_text_and_words() -> None:
    content = receipt_pdf(receipt(), HOSPITAL)
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    text = pdf_text(content)
    assert "Số: 0000012" in text and "Quyển số: BL01" in text
    assert "BIÊN LAI THU TIỀN" in text and "Nguyễn Văn Ấn" in text
    assert "Một triệu hai trăm năm mươi nghìn đồng" in text
    assert "1.250.000 đ" in text and "ĐÃ HUỶ" not in text


def test_cancelled_receipt_is_marked_with_its_reason() -> None:
    text = pdf_text(receipt_pdf(receipt(cancelled=True), HOSPITAL))
    assert "ĐÃ HUỶ" in text and "Lý do: Thu nhầm" in text and "0000012" in text


def test_long_receipts_continue_on_more_pages() -> None:
    content = receipt_pdf(receipt(lines=40), HOSPITAL)
    assert len(re.findall(rb"/Type /Page\b", content)) >= 2


def test_missing_font_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]

    # The font registry is per process: pretend nothing is registered so the lookup happens.
    monkeypatch.setattr(pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(Conflict) as missing:
        receipt_pdf(receipt(), HOSPITAL, font_dirs=[tmp_path])
    assert "fonts-dejavu-core" in missing.value.message
    assert FONT_DIRS
