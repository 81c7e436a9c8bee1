"""Synthetic newcomers for the reception desk: Vietnamese names, birth dates, phones, CCCD and BHYT card numbers
of the right shape, random enough that two runs almost never register the same person twice.

No real person's data. Ages run from 16 to 85: a child under six brings a guardian, which this scenario leaves
to the tests of the patients module.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô")
_FAMILY_WEIGHTS = (38, 11, 9, 7, 4, 4, 4, 3, 4, 2, 2, 2, 2, 2)
_MIDDLE = {"M": ("Văn", "Hữu", "Minh", "Quốc", "Đức", "Thanh", "Công", "Xuân"), "F": ("Thị", "Ngọc", "Thu", "Kim")}
_GIVEN = {
    "M": ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Huy", "Khoa", "Long", "Nam", "Phúc", "Sơn", "Tuấn"),
    "F": ("Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Thảo", "Trang", "Yến"),
}
_STREETS = ("Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Trần Hưng Đạo", "Nguyễn Trãi", "Lý Thường Kiệt")
_MOBILE_PREFIXES = ("090", "091", "093", "094", "096", "097", "098", "032", "035", "038", "070", "077", "085")
# BHYT object codes with their usual benefit level: workers, civil servants, pensioners, the poor, students.
_CARDS = (("DN", 4), ("DN", 4), ("HC", 4), ("GD", 4), ("HT", 3), ("HN", 1), ("CN", 2), ("SV", 4))
_PROVINCE = "79"  # TP. Hồ Chí Minh, where the demo hospital is


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def newcomer(rng: random.Random, *, today: date, facility_code: str) -> dict[str, Any]:
    """A registration body for POST /api/v1/patients (patients.schemas.PatientIn); 85% bring a BHYT card
    registered at `facility_code` (the hospital's own, from its configuration) or a neighbour's."""
    sex = rng.choice("MF")
    family = rng.choices(_FAMILY, weights=_FAMILY_WEIGHTS)[0]
    name = f"{family} {rng.choice(_MIDDLE[sex])} {rng.choice(_GIVEN[sex])}"
    born = today - timedelta(days=rng.randint(16 * 365 + 5, 85 * 365))
    century_marker = 2 * ((born.year - 1900) // 100) + (1 if sex == "F" else 0)
    person: dict[str, Any] = {
        "sex": sex,
        "full_name": name,
        "birth_date": born.isoformat(),
        "phone": rng.choice(_MOBILE_PREFIXES) + _digits(rng, 7),
        "cccd": f"0{_PROVINCE}{century_marker}{born.year % 100:02d}{_digits(rng, 6)}",
        "address_line": f"{rng.randint(1, 300)} Đường {rng.choice(_STREETS)}, TP. Hồ Chí Minh",
    }
    if rng.random() < 0.85:
        code, level = rng.choice(_CARDS)
        person["card"] = {
            "card_number": f"{code}{level}{_PROVINCE}{_digits(rng, 10)}",
            "valid_from": date(today.year, 1, 1).isoformat(),
            "valid_to": date(today.year, 12, 31).isoformat(),
            "initial_facility_code": facility_code if rng.random() < 0.7 else f"{_PROVINCE}0{_digits(rng, 2)}",
        }
    return person


def vital_signs(rng: random.Random) -> dict[str, Any]:
    """An adult's ordinary vital signs, as a nurse or the doctor records them (PATCH .../encounter)."""
    height = rng.randint(150, 178)
    return {
        "pulse": rng.randint(62, 96),
        "temperature": f"{rng.choice((36.5, 36.8, 37.0, 37.2, 37.8, 38.4)):.1f}",
        "systolic": rng.randint(105, 150),
        "diastolic": rng.randint(65, 92),
        "respiratory_rate": rng.randint(14, 20),
        "spo2": rng.randint(95, 99),
        "height_cm": str(height),
        "weight_kg": str(round((height / 100) ** 2 * rng.uniform(19, 27))),
    }
