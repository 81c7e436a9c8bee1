"""Pure rules of the patient registry: BHYT card numbers, CCCD, passports, phones, names, duplicates, age.

No I/O. Every check answers with English msgids (translated at the edge) rather than raising, so that a form
can show every problem at once.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from his.kernel.i18n import lazy as _

__all__ = [
    "BENEFIT_LEVELS",
    "BHYT_OBJECT_CODES",
    "Age",
    "CardParts",
    "DuplicateMatch",
    "PatientFacts",
    "Problem",
    "age_of",
    "check_cccd",
    "check_facility_code",
    "check_passport",
    "duplicate_match",
    "fold",
    "is_placeholder_identity",
    "normalize_card_number",
    "normalize_name",
    "normalize_phone",
    "parse_card_number",
    "query_terms",
]

# ---------------------------------------------------------------- problems


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a value is refused: which field, an English msgid, its parameters."""

    field: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------- accent folding

# Why our own folding rather than his.catalogs.text.fold: that module is not part of the catalogs' public
# api (modules meet only through api/events), and a patient registry should not break when the catalogs
# change their search. Same rules: NFD, drop combining marks, đ→d (đ is a letter of its own, not d + mark).
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})
_SPACES = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """Lower case, no Vietnamese diacritics, đ→d, single spaces: "Nguyễn  Văn Ân" → "nguyen van an"."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS))
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", stripped.lower()).strip()


def query_terms(query: str | None) -> list[str]:
    """The folded words of a search query; each must be found in the name."""
    folded = fold(query)
    return folded.split(" ") if folded else []


# ---------------------------------------------------------------- names


def normalize_name(name: str) -> str:
    """NFC, trimmed, single spaces. A name typed all in lower or all in upper case is put in Title Case
    ("nguyễn văn AN" stays as typed, "NGUYỄN VĂN AN" → "Nguyễn Văn An"); mixed case is kept as typed,
    because foreign names ("McDonald", "van der Berg") have their own capitals."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
    if text and (text == text.lower() or text == text.upper()):
        text = " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))
    return text


# ---------------------------------------------------------------- BHYT card numbers

# Object codes (mã đối tượng, the first two letters of the 15-character card number), with the benefit
# level usually printed with them.
# Source: the appendix of Quyết định 1351/QĐ-BHXH (16/11/2015) of Viet Nam Social Security on the card
# number, as reproduced in secondary sources (guides and open-source HIS validators); NOT checked against
# the signed text, and later changes (QĐ 1666/QĐ-BHXH 2020 on the card form, the 2024 amendment of the
# Health Insurance Law) are not reflected. A hospital that meets a card with another code must extend this
# list (and tell us the source).
BHYT_OBJECT_CODES: dict[str, str] = {
    # group 1: employees and employers pay
    "DN": "Người lao động trong doanh nghiệp",
    "HX": "Người lao động trong hợp tác xã",
    "CH": "Người lao động trong cơ quan nhà nước, đơn vị sự nghiệp",
    "NN": "Người lao động trong cơ quan, tổ chức nước ngoài, tổ chức quốc tế",
    "TK": "Người lao động trong tổ chức khác",
    "HC": "Cán bộ, công chức, viên chức",
    "XK": "Người hoạt động không chuyên trách ở xã, phường, thị trấn",
    # group 2: the social-insurance fund pays
    "HT": "Người hưởng lương hưu, trợ cấp mất sức lao động",
    "TB": "Người hưởng trợ cấp tai nạn lao động, bệnh nghề nghiệp",
    "NO": "Người lao động nghỉ việc hưởng trợ cấp ốm đau dài ngày",
    "CT": "Người từ đủ 80 tuổi trở lên hưởng trợ cấp tuất hằng tháng",
    "XB": "Cán bộ xã, phường, thị trấn nghỉ việc hưởng trợ cấp BHXH hằng tháng",
    "TN": "Người hưởng trợ cấp thất nghiệp",
    "CS": "Công nhân cao su nghỉ việc hưởng trợ cấp hằng tháng",
    # group 3: the state budget pays
    "QN": "Sĩ quan, quân nhân chuyên nghiệp, hạ sĩ quan, binh sĩ quân đội",
    "CA": "Sĩ quan, hạ sĩ quan, chiến sĩ công an nhân dân",
    "CY": "Người làm công tác cơ yếu",
    "XN": "Cán bộ xã, phường, thị trấn nghỉ việc hưởng trợ cấp từ ngân sách nhà nước",
    "MS": "Người đã thôi hưởng trợ cấp mất sức lao động",
    "CC": "Người có công với cách mạng",
    "CK": "Người có công với cách mạng (khác)",
    "CB": "Cựu chiến binh",
    "KC": "Người tham gia kháng chiến",
    "HD": "Đại biểu Quốc hội, Hội đồng nhân dân đương nhiệm",
    "TE": "Trẻ em dưới 6 tuổi",
    "BT": "Người hưởng trợ cấp bảo trợ xã hội hằng tháng",
    "HN": "Người thuộc hộ gia đình nghèo",
    "DT": "Người dân tộc thiểu số vùng khó khăn",
    "DK": "Người sinh sống ở vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn",
    "XD": "Người sinh sống ở xã đảo, huyện đảo",
    "TS": "Thân nhân của người có công với cách mạng",
    "TC": "Thân nhân liệt sĩ",
    "TQ": "Thân nhân của quân nhân",
    "TA": "Thân nhân của công an nhân dân",
    "TY": "Thân nhân của người làm công tác cơ yếu",
    "HG": "Người hiến bộ phận cơ thể",
    "LS": "Người nước ngoài học tập tại Việt Nam được cấp học bổng từ ngân sách nhà nước",
    "PV": "Người phục vụ người có công với cách mạng",
    # group 4: the state budget supports the contribution
    "CN": "Người thuộc hộ gia đình cận nghèo",
    "HS": "Học sinh",
    "SV": "Sinh viên",
    "GB": "Người thuộc hộ gia đình làm nông, lâm, ngư, diêm nghiệp có mức sống trung bình",
    # group 5: households
    "GD": "Người tham gia theo hộ gia đình",
}

# Benefit level (mức hưởng), the third character; the share of costs the fund pays, in short.
BENEFIT_LEVELS: dict[int, str] = {
    1: "100% chi phí, không giới hạn tỷ lệ thanh toán một số thuốc, dịch vụ kỹ thuật",
    2: "100% chi phí, có giới hạn tỷ lệ thanh toán một số thuốc, dịch vụ kỹ thuật",
    3: "95% chi phí",
    4: "80% chi phí",
    5: "100% chi phí, kể cả ngoài phạm vi được hưởng",
}

CARD_LENGTH = 15
_CARD_SEPARATORS = re.compile(r"[\s\-.]")


@dataclass(frozen=True, slots=True)
class CardParts:
    card_number: str  # the 15 characters, upper case, no separators
    object_code: str  # "DN"
    benefit_level: int  # 1..5
    province_code: str  # "79": the province that issued the card
    social_insurance_number: str  # the 10-digit mã số BHXH, the person's lifelong number


def normalize_card_number(text: str) -> str:
    """Upper case without the spaces, dashes or dots people type between the card's boxes."""
    return _CARD_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def parse_card_number(text: str, *, field_name: str = "card_number") -> CardParts | list[Problem]:
    """The card's four boxes, or every problem found. Layout (QĐ 1351/QĐ-BHXH): 2 letters object code,
    1 digit benefit level 1–5, 2 digits province code 01–99, 10 digits social-insurance number."""
    number = normalize_card_number(text)
    if len(number) != CARD_LENGTH:
        return [
            Problem(
                field_name,
                _("A health-insurance card number has {expected} characters; this one has {found}"),
                {"expected": CARD_LENGTH, "found": len(number)},
            )
        ]
    problems: list[Problem] = []
    object_code, level, province, insurance = number[:2], number[2], number[3:5], number[5:]
    if object_code not in BHYT_OBJECT_CODES:
        problems.append(
            Problem(
                field_name, _("{code} is not a known object code of a health-insurance card"), {"code": object_code}
            )
        )
    if level not in "12345" or not level.isdigit():
        problems.append(
            Problem(
                field_name,
                _("The benefit level (3rd character) must be a digit from 1 to 5, not {value}"),
                {"value": level},
            )
        )
    if not (province.isascii() and province.isdigit()) or province == "00":
        problems.append(
            Problem(
                field_name,
                _("The province code (characters 4–5) must be two digits from 01 to 99, not {value}"),
                {"value": province},
            )
        )
    if not (insurance.isascii() and insurance.isdigit()):
        problems.append(
            Problem(field_name, _("The social-insurance number (the last 10 characters) must be digits only"))
        )
    if problems:
        return problems
    return CardParts(number, object_code, int(level), province, insurance)


def check_facility_code(code: str, *, field_name: str = "initial_facility_code") -> list[Problem]:
    """MA_DKBD, the facility of initial registration: 5 digits (2 province + 3 facility)."""
    if len(code) == 5 and code.isascii() and code.isdigit():
        return []
    return [Problem(field_name, _("The facility code must be 5 digits, e.g. 79999"))]


# ---------------------------------------------------------------- CCCD and passport

Sex = Literal["M", "F"]
_CCCD_CENTURY_BASE = 1900  # 4th digit: 0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s, ...


def check_cccd(
    number: str, *, sex: str | None = None, birth_year: int | None = None, field_name: str = "cccd"
) -> list[Problem]:
    """A citizen identity card number (CCCD, also the personal identification number): 12 digits; digits
    1–3 the province of birth registration (001–096); digit 4 century and sex (even male, odd female;
    0/1 for 1900–1999, 2/3 for 2000–2099, ...); digits 5–6 the last two digits of the year of birth
    (Thông tư 59/2021/TT-BCA, earlier 07/2016/TT-BCA). Checks agreement with the stated sex and year."""
    if len(number) != 12 or not (number.isascii() and number.isdigit()):
        return [Problem(field_name, _("A CCCD number has exactly 12 digits"))]
    problems: list[Problem] = []
    province = int(number[:3])
    if not 1 <= province <= 96:
        problems.append(
            Problem(field_name, _("The first 3 digits of a CCCD number are a province code from 001 to 096"))
        )
    marker = int(number[3])
    encoded_sex: Sex = "M" if marker % 2 == 0 else "F"
    century = _CCCD_CENTURY_BASE + 100 * (marker // 2)
    encoded_year = century + int(number[4:6])
    if sex in ("M", "F") and sex != encoded_sex:
        problems.append(Problem(field_name, _("The CCCD number is that of a person of the other sex")))
    if birth_year is not None and birth_year != encoded_year:
        problems.append(
            Problem(
                field_name,
                _("The CCCD number encodes the year of birth {encoded}, not {stated}"),
                {"encoded": encoded_year, "stated": birth_year},
            )
        )
    return problems


_PASSPORT = re.compile(r"^[A-Z0-9]{8,9}$")


def check_passport(number: str, *, field_name: str = "passport") -> list[Problem]:
    """8–9 letters or digits (a Vietnamese passport is one letter and 7 digits)."""
    if _PASSPORT.match(number):
        return []
    return [Problem(field_name, _("A passport number has 8 or 9 letters or digits"))]


# ---------------------------------------------------------------- phones

_PHONE_NOISE = re.compile(r"[\s\-.()]")
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")


def normalize_phone(text: str, *, field_name: str = "phone") -> str | Problem:
    """The national form "0xxxxxxxxx": +84/84/0084 become 0; spaces, dots, dashes, brackets go.
    A mobile number is 10 digits (03, 05, 07, 08, 09), a landline 11 digits (02 + area code + number),
    the numbering plan since the 2018 renumbering."""
    digits = _PHONE_NOISE.sub("", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if digits.isascii() and (_MOBILE.match(digits) or _LANDLINE.match(digits)):
        return digits
    return Problem(field_name, _("Write a Vietnamese phone number: 10 digits for a mobile, 11 for a landline"))


# ---------------------------------------------------------------- age


@dataclass(frozen=True, slots=True)
class Age:
    value: int
    unit: Literal["year", "month", "day"]


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if end.day < start.day else months


def age_of(*, birth_date: date | None, birth_year: int | None, on: date) -> Age | None:
    """Days for a newborn (under one month), months under 72 months (how paediatric doses and the BHYT
    claim data count them), years after. With the year only, whole years (on.year - birth_year)."""
    if birth_date is not None:
        if birth_date > on:
            return None
        months = _months_between(birth_date, on)
        if months < 1:
            return Age((on - birth_date).days, "day")
        if months < 72:
            return Age(months, "month")
        return Age(months // 12, "year")
    if birth_year is not None and birth_year <= on.year:
        return Age(on.year - birth_year, "year")
    return None


def is_under_six(*, birth_date: date | None, birth_year: int, on: date) -> bool:
    age = age_of(birth_date=birth_date, birth_year=birth_year, on=on)
    if age is None:
        return True  # born after `on`: not possible, but treat as a child
    return age.unit != "year" or age.value < 6


# ---------------------------------------------------------------- duplicates

Certainty = Literal["certain", "likely"]
PLACEHOLDER_REASONS = frozenset({"newborn", "unidentified_emergency"})


@dataclass(frozen=True, slots=True)
class PatientFacts:
    """What duplicate detection compares; built from a registration form or a stored record."""

    search_name: str  # folded full name
    birth_date: date | None
    birth_year: int
    cccd: str | None = None
    phone: str | None = None
    social_insurance_numbers: frozenset[str] = frozenset()
    temporary_reason: str | None = None


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    certainty: Certainty
    reasons: tuple[str, ...]  # "cccd", "social_insurance_number", "name_birth_date", "name_birth_year_phone"


def is_placeholder_identity(temporary_reason: str | None) -> bool:
    """Newborns ("Con bà ...") and unidentified patients ("Không rõ tên") carry stand-in names: comparing
    those names would call every unknown 40-year-old man a duplicate of every other."""
    return temporary_reason in PLACEHOLDER_REASONS


def duplicate_match(new: PatientFacts, old: PatientFacts) -> DuplicateMatch | None:
    """Whether `old` may be the same person as `new`:
    same CCCD or same social-insurance number → certain;
    same folded full name and birth date → likely;
    same folded full name, birth year and phone → likely."""
    certain: list[str] = []
    likely: list[str] = []
    if new.cccd and new.cccd == old.cccd:
        certain.append("cccd")
    if new.social_insurance_numbers & old.social_insurance_numbers:
        certain.append("social_insurance_number")
    names_comparable = not (
        is_placeholder_identity(new.temporary_reason) or is_placeholder_identity(old.temporary_reason)
    )
    if names_comparable and new.search_name and new.search_name == old.search_name:
        if new.birth_date is not None and new.birth_date == old.birth_date:
            likely.append("name_birth_date")
        if new.birth_year == old.birth_year and new.phone and new.phone == old.phone:
            likely.append("name_birth_year_phone")
    if certain:
        return DuplicateMatch("certain", (*certain, *likely))
    if likely:
        return DuplicateMatch("likely", tuple(likely))
    return None


def strongest(matches: Iterable[DuplicateMatch]) -> Certainty | None:
    levels = {match.certainty for match in matches}
    if "certain" in levels:
        return "certain"
    return "likely" if levels else None
