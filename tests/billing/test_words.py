"""Amounts in Vietnamese words, as printed on receipts."""

from __future__ import annotations

import pytest

from his.billing.words import amount_in_vietnamese_words, number_in_vietnamese_words

pytestmark = pytest.mark.criterion(35)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (5, "Năm đồng"),
        (10, "Mười đồng"),
        (11, "Mười một đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (25, "Hai mươi lăm đồng"),
        (105, "Một trăm linh năm đồng"),
        (110, "Một trăm mười đồng"),
        (1_005, "Một nghìn không trăm linh năm đồng"),
        (20_000, "Hai mươi nghìn đồng"),
        (351_000, "Ba trăm năm mươi mốt nghìn đồng"),
        (1_000_000, "Một triệu đồng"),
        (1_050_000, "Một triệu không trăm năm mươi nghìn đồng"),
        (1_250_000, "Một triệu hai trăm năm mươi nghìn đồng"),
        (2_340_000, "Hai triệu ba trăm bốn mươi nghìn đồng"),
        (100_100_100, "Một trăm triệu một trăm nghìn một trăm đồng"),
        (1_000_000_000, "Một tỷ đồng"),
        (2_000_500_000, "Hai tỷ năm trăm nghìn đồng"),
        (1_000_001_000, "Một tỷ không trăm linh một nghìn đồng"),
        (12_345_678_901, "Mười hai tỷ ba trăm bốn mươi lăm triệu sáu trăm bảy mươi tám nghìn chín trăm linh một đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_amount_in_words(amount: int, words: str) -> None:
    assert amount_in_vietnamese_words(amount) == words


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError):
        number_in_vietnamese_words(-1)
