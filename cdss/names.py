"""How substance names are matched: case-, accent- and spacing-insensitive, in English INN and Vietnamese spelling.

Two keys are computed for every name the knowledge holds and for every name it is asked about:

- the *exact* key: lower case, accents and punctuation dropped, no spaces ("Calci gluconat" = "Calcigluconat");
- the *loose* key, which also folds the spelling differences between English INN, Vietnamese and French names:
  ph -> f, th -> t, y -> i, ch -> c, doubled letters, a final "e" of each word ("amiodarone" = "Amiodaron"),
  the order of the words ("Acid mefenamic" = "mefenamic acid") and the Vietnamese words for the common salts and
  elements ("natri" = "sodium", "kali" = "potassium", ...).

A lookup tries the exact key, then the loose key, then the name without its salt ("Metformin hydroclorid"), without
strengths ("Paracetamol 500 mg", "Kali clorid 10%"), without a parenthesis and without a bare number at its end
("Hapacol 500"); the loose keys are only used when they are unambiguous.
"""

from __future__ import annotations

import functools
import re
import unicodedata

__all__ = ["exact_key", "loose_key", "name_variants", "plain", "split_components"]

# Vietnamese words for elements and salts -> the English word, applied to whole words before the loose folding.
_WORDS = {
    "natri": "sodium",
    "kali": "potassium",
    "calci": "calcium",
    "canxi": "calcium",
    "magnesi": "magnesium",
    "nhom": "aluminium",
    "aluminum": "aluminium",
    "kem": "zinc",
    "sat": "iron",
    "acide": "acid",
}

# Salt, ester and form words dropped when a name is not found as written ("Amlodipin besylat" -> "Amlodipin").
_SALT_WORDS = frozenset(
    """
    hydrochloride hydroclorid hydrochlorid hcl hydrobromide hydrobromid sodium natri potassium kali sulfate sulfat
    sulphate phosphate phosphat maleate maleat fumarate fumarat besilate besylate besylat besilat mesilate mesylate
    mesylat tartrate tartrat succinate succinat acetate acetat monohydrate monohydrat dihydrate dihydrat trihydrate
    trihydrat anhydrous khan nguoi human propionate propionat dipropionate dipropionat furoate furoat valerate valerat
    disodium dinatri arginine arginin erbumine tert butylamine medoxomil cilexetil axetil proxetil pivoxil trometamol
    etexilate hyclate hyclat base micronized bromide bromid citrate citrat lactate lactat gluconate gluconat
    calcium calci magnesium magnesi hemihydrate sesquihydrate pentahydrate
    """.split()  # noqa: SIM905 - a word list reads better as text
)

_STRENGTH = re.compile(
    # (?!\w), not \b: "%" is no word character, and "Kali clorid 10%" must lose its strength too.
    r"\b\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|iu|ui|ml|%|mmol|meq|dv|đv)(?!\w)(?:\s*/\s*\d*(?:[.,]\d+)?\s*(?:ml|g|l|liều|lieu))?",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:\+|/|;| and | và )\s*", re.IGNORECASE)
# Tried last: hyphens and commas also join combinations ("trimethoprim-sulfamethoxazole", "piperacillin-tazobactam").
_SPLIT_WIDE = re.compile(r"\s*(?:\+|/|;|,|-| and | và )\s*", re.IGNORECASE)


@functools.lru_cache(maxsize=65536)
def plain(text: str) -> str:
    """Lower case, no accents (đ -> d), punctuation as spaces, single spaces."""
    text = text.replace("đ", "d").replace("Đ", "D").replace("œ", "oe").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text.lower())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", stripped).split())


@functools.lru_cache(maxsize=65536)
def exact_key(text: str) -> str:
    return plain(text).replace(" ", "")


def _fold_word(word: str) -> str:
    word = _WORDS.get(word, word)
    word = word.replace("ph", "f").replace("th", "t").replace("ch", "c").replace("y", "i").replace("ae", "e")
    word = word.replace("oe", "e").replace("k", "c").replace("qu", "c")
    word = re.sub(r"(.)\1+", r"\1", word)
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


@functools.lru_cache(maxsize=65536)
def loose_key(text: str) -> str:
    words = [_fold_word(word) for word in plain(text).split()]
    return "".join(sorted(word for word in words if word))


def name_variants(text: str) -> list[str]:
    """The forms of a name worth looking up, best first: as written, without strengths, parentheses and salts."""
    variants = [text]
    without_strength = _STRENGTH.sub(" ", text)
    variants.append(without_strength)
    without_brackets = re.sub(r"\([^)]*\)?|\)", " ", without_strength)
    variants.append(without_brackets)
    inside = re.findall(r"\(([^)]*)\)?", without_strength)
    words = plain(without_brackets).split()
    kept = [word for word in words if word not in _SALT_WORDS]
    if kept and kept != words:
        variants.append(" ".join(kept))
    variants.extend(inside)
    # Last: a bare number left at the end of a brand name ("Hapacol 500", "Klacid 250"), tried only after the name
    # as written found nothing.
    variants.append(re.sub(r"(?:\s+\d+(?:[.,]\d+)?)+\s*$", "", without_brackets))
    seen: set[str] = set()
    unique = []
    for variant in variants:
        key = plain(variant)
        if key and key not in seen:
            seen.add(key)
            unique.append(variant)
    return unique


def split_components(text: str, *, wide: bool = False) -> list[str]:
    """The parts of a combination name: "Amoxicilin + Acid clavulanic", "Atazanavir/ritonavir"; with `wide` also
    split at hyphens and commas."""
    parts = [part.strip() for part in (_SPLIT_WIDE if wide else _SPLIT).split(text)]
    return [part for part in parts if part]
