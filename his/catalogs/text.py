"""Accent folding for search: "Đái tháo đường" and "dai thao duong" fold to the same text. Pure."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["fold", "fold_join", "query_terms"]

# đ/Đ are letters of their own, not d with a combining mark, so NFD leaves them alone.
# Ð (U+00D0, Icelandic eth) is what old TCVN3/VNI conversions often left in place of Đ.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower-case, without Vietnamese diacritics, đ→d, with runs of white space collapsed to one space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped).lower()).strip()


def fold_join(parts: Iterable[str | None]) -> str:
    """The folded search text of several fields, space-separated, empty fields left out."""
    return " ".join(folded for folded in (fold(part) for part in parts) if folded)


def query_terms(query: str | None) -> list[str]:
    """The folded words of a search query; every one of them must match."""
    folded = fold(query)
    return folded.split(" ") if folded else []
