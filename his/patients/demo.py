"""The demo hospital's patients: 500 synthetic people with Vietnamese names, registered through the service
(so every record passes the same checks as a receptionist's). Deterministic for a given seed.

No real person's data: names are random combinations of common family, middle and given names; CCCD,
social-insurance and card numbers, phones and ward codes are generated to have the right shape and must
not be taken for anyone's. Birth dates are fixed (ages as of 2026-01-01); the cards' validity follows the
year of the clock, so that most demo cards are valid whenever the demo is built.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from his.kernel.audit.service import AuditActor
from his.kernel.runtime import Kernel
from his.patients import service
from his.patients.schemas import InsuranceCardIn, PatientIn

DEMO_PATIENTS = 500
AGE_REFERENCE = date(2026, 1, 1)
DEMO_FACILITY_CODE = "79999"  # the demo hospital (his.kernel.demo)
_ACTOR = AuditActor(user_id=None, username="demo-seed", role="system", client_ip=None, request_id=None)

# Family names with rough weights (Nguyễn is by far the most common).
_FAMILY: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Hoàng", 4),
    ("Huỳnh", 4),
    ("Phan", 4),
    ("Vũ", 3),
    ("Võ", 4),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 2),
    ("Ngô", 2),
    ("Dương", 1),
    ("Lý", 1),
    ("Trương", 1),
    ("Đinh", 1),
    ("Lâm", 1),
    ("Mai", 1),
)
_MIDDLE_M = ("Văn", "Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Xuân", "Gia", "Hoàng", "Anh")
_MIDDLE_F = ("Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Mỹ", "Phương", "Bảo")
_GIVEN_M = (
    "An", "Bình", "Cường", "Dũng", "Duy", "Hải", "Hiếu", "Hòa", "Hùng", "Huy", "Khang", "Khoa", "Kiên",
    "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Phát", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thành",
    "Thịnh", "Toàn", "Trung", "Tuấn", "Việt", "Vinh",
)  # fmt: skip
_GIVEN_F = (
    "An", "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Loan", "Mai",
    "My", "Ngân", "Nhung", "Oanh", "Phương", "Quyên", "Tâm", "Thảo", "Thủy", "Trang", "Trinh", "Vân", "Vy",
    "Xuân", "Yến",
)  # fmt: skip
_STREETS = (
    "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Trần Hưng Đạo", "Cách Mạng Tháng Tám", "Nguyễn Trãi",
    "Lý Thường Kiệt", "Điện Biên Phủ", "Phan Đình Phùng", "Võ Văn Tần", "Lê Văn Sỹ", "Hoàng Văn Thụ",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Place:
    province_code: str
    province: str
    district_code: str
    district: str


# Province and district codes of the national administrative list (before the 2025 reorganisation);
# ward codes are generated and not checked against that list.
_HOME = (
    _Place("79", "TP. Hồ Chí Minh", "760", "Quận 1"),
    _Place("79", "TP. Hồ Chí Minh", "770", "Quận 3"),
    _Place("79", "TP. Hồ Chí Minh", "774", "Quận 5"),
    _Place("79", "TP. Hồ Chí Minh", "765", "Quận Bình Thạnh"),
    _Place("79", "TP. Hồ Chí Minh", "768", "Quận Phú Nhuận"),
    _Place("79", "TP. Hồ Chí Minh", "766", "Quận Tân Bình"),
    _Place("79", "TP. Hồ Chí Minh", "764", "Quận Gò Vấp"),
)
_ELSEWHERE = (
    _Place("01", "Hà Nội", "001", "Quận Ba Đình"),
    _Place("48", "Đà Nẵng", "492", "Quận Hải Châu"),
    _Place("92", "Cần Thơ", "916", "Quận Ninh Kiều"),
    _Place("74", "Bình Dương", "718", "TP. Thủ Dầu Một"),
    _Place("75", "Đồng Nai", "731", "TP. Biên Hòa"),
    _Place("80", "Long An", "794", "TP. Tân An"),
)
_MOBILE_PREFIXES = (
    "090",
    "091",
    "093",
    "094",
    "096",
    "097",
    "098",
    "032",
    "033",
    "035",
    "038",
    "070",
    "077",
    "083",
    "085",
)
# MA_DKBD of other (invented) facilities in the same and other provinces.
_OTHER_FACILITIES = ("79001", "79024", "79031", "79472", "01012", "48005", "92003", "74010", "75021")
# Object codes and their usual benefit level, by stage of life.
_WORKING = (
    ("DN", 4),
    ("DN", 4),
    ("DN", 4),
    ("HC", 4),
    ("CH", 4),
    ("GD", 4),
    ("GD", 4),
    ("HN", 1),
    ("CN", 2),
    ("QN", 5),
    ("CA", 5),
    ("DT", 2),
)
_ELDERLY = (("HT", 3), ("HT", 3), ("HT", 3), ("CC", 1), ("CB", 2), ("BT", 2), ("GD", 4), ("CT", 2))


@dataclass(slots=True)
class _Numbers:
    """Keeps generated identifiers unique."""

    used: set[str]

    def fresh(self, rng: random.Random, prefix: str, digits: int) -> str:
        while True:
            value = prefix + "".join(rng.choice("0123456789") for _ in range(digits))
            if value not in self.used:
                self.used.add(value)
                return value


def _name(rng: random.Random, sex: str, family: str | None = None) -> str:
    family = family or rng.choices([f for f, _ in _FAMILY], weights=[w for _, w in _FAMILY])[0]
    middle = rng.choice(_MIDDLE_F if sex == "F" else _MIDDLE_M)
    given = rng.choice(_GIVEN_F if sex == "F" else _GIVEN_M)
    return f"{family} {middle} {given}"


def _birth(rng: random.Random) -> date:
    band = rng.random()
    if band < 0.14:
        years = rng.uniform(0.05, 5.9)  # children under 6
    elif band < 0.28:
        years = rng.uniform(6, 18)
    elif band < 0.78:
        years = rng.uniform(18, 60)
    else:
        years = rng.uniform(60, 92)
    return AGE_REFERENCE - timedelta(days=int(years * 365.25))


def _phone(rng: random.Random, numbers: _Numbers) -> str:
    return numbers.fresh(rng, rng.choice(_MOBILE_PREFIXES), 7)


def _cccd(rng: random.Random, numbers: _Numbers, place: _Place, sex: str, born: date) -> str:
    marker = 2 * ((born.year - 1900) // 100) + (1 if sex == "F" else 0)
    return numbers.fresh(rng, f"0{place.province_code}{marker}{born.year % 100:02d}", 6)


def _card(rng: random.Random, numbers: _Numbers, place: _Place, born: date, year: int) -> InsuranceCardIn:
    age = (AGE_REFERENCE - born).days // 365
    if age < 6:
        code, level = "TE", 1
    elif age < 18:
        code, level = "HS", 4
    elif age < 23 and rng.random() < 0.5:
        code, level = "SV", 4
    elif age >= 60:
        code, level = rng.choice(_ELDERLY)
    else:
        code, level = rng.choice(_WORKING)
    insurance = numbers.fresh(rng, place.province_code, 8)
    valid_from, valid_to = date(year, 1, 1), date(year, 12, 31)
    if code == "TE":
        # A child's card runs to the day before the sixth birthday.
        valid_from = max(born, date(year, 1, 1))
        sixth = (
            born.replace(year=born.year + 6) if not (born.month == 2 and born.day == 29) else date(born.year + 6, 3, 1)
        )
        valid_to = sixth - timedelta(days=1)
    elif rng.random() < 0.08:
        valid_from, valid_to = date(year - 1, 1, 1), date(year - 1, 12, 31)  # expired: renewal not recorded
    facility = DEMO_FACILITY_CODE if rng.random() < 0.6 else rng.choice(_OTHER_FACILITIES)
    five_years = None
    if age >= 25 and rng.random() < 0.35:
        five_years = date(year - rng.randint(5, 12), rng.randint(1, 12), 1)
    return InsuranceCardIn(
        card_number=f"{code}{level}{place.province_code}{insurance}",
        valid_from=valid_from,
        valid_to=valid_to,
        initial_facility_code=facility,
        five_years_since=five_years,
    )


def _person(rng: random.Random, numbers: _Numbers, year: int) -> PatientIn:
    sex = rng.choice("MF")
    born = _birth(rng)
    place = rng.choice(_HOME) if rng.random() < 0.8 else rng.choice(_ELSEWHERE)
    family = rng.choices([f for f, _ in _FAMILY], weights=[w for _, w in _FAMILY])[0]
    name = _name(rng, sex, family)
    age = (AGE_REFERENCE - born).days // 365
    year_only = age >= 70 and rng.random() < 0.3  # older people often know only the year
    ward = f"{26734 + int(place.district_code) % 97 * 40 + rng.randint(0, 12) * 3:05d}"
    guardian_name = guardian_relation = guardian_phone = None
    if age < 6:
        father = rng.random() < 0.5
        guardian_name = _name(rng, "M", family) if father else _name(rng, "F")
        guardian_relation = "Bố" if father else "Mẹ"
        guardian_phone = _phone(rng, numbers)
    card = _card(rng, numbers, place, born, year) if rng.random() < 0.85 else None
    return PatientIn(
        sex="F" if sex == "F" else "M",
        full_name=name,
        birth_date=None if year_only else born,
        birth_year=born.year if year_only else None,
        ethnicity_code="01" if rng.random() < 0.88 else rng.choice(("02", "03", "04", "05")),
        nationality_code="VN",
        occupation_code=_occupation(rng, age),
        cccd=_cccd(rng, numbers, place, sex, born) if age >= 14 and rng.random() < 0.9 else None,
        phone=_phone(rng, numbers) if age >= 14 else None,
        address_line=f"{rng.randint(1, 300)} Đường {rng.choice(_STREETS)}, {place.district}, {place.province}",
        province_code=place.province_code,
        district_code=place.district_code,
        ward_code=ward,
        guardian_name=guardian_name,
        guardian_relation=guardian_relation,
        guardian_phone=guardian_phone,
        card=card,
    )


# Five-digit occupation codes in the shape of the Vietnamese occupation list (QĐ 34/2020/QĐ-TTg), chosen for the
# demo and not checked against that list; 00000 means no occupation (XML1 MA_NGHE_NGHIEP, QĐ 130).
_OCCUPATIONS = ("61110", "52230", "23410", "71110", "83220", "41100", "22110", "33130", "91120")
NO_OCCUPATION = "00000"


def _occupation(rng: random.Random, age: int) -> str:
    if age < 18 or age >= 65 or rng.random() < 0.1:
        return NO_OCCUPATION
    return rng.choice(_OCCUPATIONS)


def demo_people(rng: random.Random, year: int, count: int = DEMO_PATIENTS) -> list[PatientIn]:
    """The confirmed demo patients (temporary identities and duplicates are added by `seed_patients`)."""
    numbers = _Numbers(set())
    return [_person(rng, numbers, year) for _ in range(count)]


def _temporary_people(rng: random.Random, year: int, mother_codes: list[str]) -> list[PatientIn]:
    """Unidentified emergency patients, foreigners and newborns: the temporary identities of the demo."""
    unknown: Final = "unidentified_emergency"
    people = [
        PatientIn(
            sex="M",
            temporary_reason=unknown,
            birth_year=year - 40,
            birth_year_estimated=True,
            note="Tai nạn giao thông, được người đi đường đưa vào",
        ),
        PatientIn(
            sex="F",
            temporary_reason=unknown,
            birth_year=year - 70,
            birth_year_estimated=True,
            note="Bất tỉnh tại bến xe",
        ),
        PatientIn(sex="M", temporary_reason=unknown, birth_year=year - 25, birth_year_estimated=True),
        PatientIn(
            sex="M",
            full_name="John Smith",
            birth_date=date(1980, 5, 17),
            nationality_code="GB",
            passport="123456789",
            temporary_reason="foreigner",
        ),
        PatientIn(
            sex="F",
            full_name="Kim Min Ji",
            birth_date=date(1994, 11, 2),
            nationality_code="KR",
            passport="M12345678",
            temporary_reason="foreigner",
        ),
    ]
    for offset, mother_code in enumerate(mother_codes):
        people.append(
            PatientIn(
                sex="F" if rng.random() < 0.5 else "M",
                temporary_reason="newborn",
                birth_date=date(year, 1, 1) - timedelta(days=3 + offset),
                mother_code=mother_code,
            )
        )
    return people


async def seed_patients(kernel: Kernel, rng: random.Random) -> None:
    year = service.today(kernel.clock).year
    people = demo_people(rng, year, DEMO_PATIENTS - 9)
    async with kernel.db.transaction() as session:
        registered = []
        for person in people:
            try:
                patient, _card = await service.register(kernel, session, _ACTOR, person)
            except service.DuplicateSuspected:
                continue  # a random name and birth date met twice: leave the second out
            registered.append(patient)
        mothers = [p for p in registered if p.sex == "F" and p.birth_year and 1986 <= p.birth_year <= 2004][:2]
        extras = _temporary_people(rng, year, [mother.code for mother in mothers])
        for extra in extras:
            await service.register(kernel, session, _ACTOR, extra)
        # Two likely duplicates (same name and birth date, another phone, no card) kept for the merge demo.
        for original in registered[:2]:
            await service.register(
                kernel,
                session,
                _ACTOR,
                PatientIn(
                    sex="F" if original.sex == "F" else "M",
                    full_name=original.full_name,
                    birth_date=original.birth_date,
                    birth_year=None if original.birth_date else original.birth_year,
                    guardian_name=original.guardian_name,
                    guardian_relation=original.guardian_relation,
                    address_line=original.address_line,
                    confirm_not_duplicate=True,
                    not_duplicate_reason="Demo: bản ghi trùng để minh hoạ việc gộp hồ sơ",
                ),
            )
