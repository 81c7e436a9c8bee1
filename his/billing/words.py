"""Amounts in Vietnamese words, as a receipt writes them ("Bằng chữ: Một triệu hai trăm năm mươi nghìn đồng").

Conventions (those of Vietnamese accounting forms): "linh" for a zero tens digit (105: một trăm linh năm),
"mười" for 10-19, "mươi" from 20, "mốt" for a final 1 after "mươi" (21: hai mươi mốt), "tư" for a final 4
after "mươi" (24: hai mươi tư), "lăm" for a final 5 after "mười"/"mươi" (15: mười lăm), "không trăm" for a
group inside a number whose hundreds are zero (1.050.000: một triệu không trăm năm mươi nghìn), and
"nghìn tỷ" above 999 tỷ.
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUP_UNITS = ("", "nghìn", "triệu")
BILLION = 1_000_000_000


def _below_thousand(n: int, *, full: bool) -> list[str]:
    """Words of 0 < n < 1000; `full` when digits come before it (so "không trăm", "linh" are spoken)."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if ones:
            if words:
                words.append("linh")
            words.append(DIGITS[ones])
        return words
    if tens == 1:
        words.append("mười")
    else:
        words += [DIGITS[tens], "mươi"]
    if ones == 1:
        words.append("mốt" if tens > 1 else "một")
    elif ones == 4:
        words.append("tư" if tens > 1 else "bốn")
    elif ones == 5:
        words.append("lăm")
    elif ones:
        words.append(DIGITS[ones])
    return words


def _below_billion(n: int, *, full: bool) -> list[str]:
    groups = [n // 1_000_000, n // 1000 % 1000, n % 1000]
    words: list[str] = []
    for index, group in enumerate(groups):
        if group == 0:
            continue
        words += _below_thousand(group, full=full or bool(words))
        unit = GROUP_UNITS[2 - index]
        if unit:
            words.append(unit)
    return words


def _words(n: int, *, full: bool = False) -> list[str]:
    if n >= BILLION:
        high, low = divmod(n, BILLION)
        words = [*_words(high, full=full), "tỷ"]
        return words + (_below_billion(low, full=True) if low else [])
    return _below_billion(n, full=full)


def number_in_vietnamese_words(n: int) -> str:
    """0 -> "không"; 1250000 -> "một triệu hai trăm năm mươi nghìn"."""
    if n < 0:
        raise ValueError("a negative amount has no words here")
    return "không" if n == 0 else " ".join(_words(n))


def amount_in_vietnamese_words(n: int) -> str:
    """Whole dong, capitalised, ending in "đồng": 1250000 -> "Một triệu hai trăm năm mươi nghìn đồng"."""
    text = number_in_vietnamese_words(n)
    return f"{text[0].upper()}{text[1:]} đồng"
