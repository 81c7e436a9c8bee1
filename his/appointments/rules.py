"""Pure rules of appointments: sessions cut into slots, closures, booking limits, the paper's number, the XML14
record of QĐ 130/QĐ-BYT (as amended by QĐ 4750/QĐ-BYT) and no-show statistics. No I/O.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from his.kernel.clock import vietnam_zone
from his.kernel.i18n import lazy

Status = Literal["booked", "attended", "no_show", "cancelled"]
STATUSES: tuple[Status, ...] = ("booked", "attended", "no_show", "cancelled")
STATUS_LABELS: dict[str, str] = {
    "booked": lazy("Booked"),
    "attended": lazy("Attended"),
    "no_show": lazy("Did not come"),
    "cancelled": lazy("Cancelled"),
}
Source = Literal["phone", "desk", "follow_up"]
SOURCES: tuple[Source, ...] = ("phone", "desk", "follow_up")
SOURCE_LABELS: dict[str, str] = {
    "phone": lazy("Phone booking"),
    "desk": lazy("At the desk"),
    "follow_up": lazy("Follow-up from the examination"),
}
WEEKDAY_LABELS: tuple[str, ...] = (
    lazy("Monday"),
    lazy("Tuesday"),
    lazy("Wednesday"),
    lazy("Thursday"),
    lazy("Friday"),
    lazy("Saturday"),
    lazy("Sunday"),
)

DAY_MINUTES = 24 * 60
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
MAX_CAPACITY = 50
# Slots are generated at most this far ahead in one request: a year of sessions is plenty and bounds the work.
MAX_GENERATE_DAYS = 366
MAX_REMINDER_DAYS = 14
# "Giấy hẹn khám lại chỉ có giá trị sử dụng 01 lần trong thời hạn 10 ngày làm việc" (mẫu số 5, NĐ 75/2023).
PAPER_VALID_WORKING_DAYS = 10

MSG_TIME = lazy("Write the time as HH:MM, for example 07:30")
MSG_WEEKDAY = lazy("Choose a weekday")
MSG_END_BEFORE_START = lazy("The session must end after it starts")
MSG_SLOT_LENGTH = lazy("A slot lasts from {low} to {high} minutes")
MSG_SESSION_TOO_SHORT = lazy("The session is shorter than one slot")
MSG_CAPACITY = lazy("A slot takes from 1 to {high} patients")
MSG_VALIDITY = lazy("The schedule must end after it starts")
MSG_RANGE = lazy("The last day must not come before the first")
MSG_RANGE_TOO_LONG = lazy("Generate at most {days} days at once")
MSG_REASON = lazy("Give the reason")
MSG_PAST_DAY = lazy("An appointment cannot be booked for a day that has passed")
MSG_PHONE = lazy("A phone number has 9 to 12 digits")
MSG_DAYS_AHEAD = lazy("Choose from 1 to {high} days")


@dataclass(frozen=True, slots=True)
class Finding:
    field: str
    message: str  # English msgid
    params: dict[str, str] = dataclasses.field(default_factory=dict)


# ---------------------------------------------------------------- times of day


_TIME = re.compile(r"^\s*(\d{1,2})[:hH.](\d{2})\s*$")


def parse_minute(text: str) -> int | None:
    """'07:30', '7h30' or '7.30' -> 450 minutes after midnight; None when it is not a time of day."""
    match = _TIME.match(text or "")
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def clock_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def local_moment(day: date, minute: int) -> datetime:
    """The slot's start as an aware moment in Viet Nam time."""
    return datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=vietnam_zone())


# ---------------------------------------------------------------- schedules and slots


@dataclass(frozen=True, slots=True)
class Session:
    """A schedule as the pure rules see it."""

    weekday: int
    start_minute: int
    end_minute: int
    slot_minutes: int
    capacity: int
    valid_from: date
    valid_to: date | None


def session_problems(session: Session) -> list[Finding]:
    found: list[Finding] = []
    if not 0 <= session.weekday <= 6:
        found.append(Finding("weekday", MSG_WEEKDAY))
    if not 0 <= session.start_minute < DAY_MINUTES:
        found.append(Finding("start", MSG_TIME))
    if not 0 < session.end_minute <= DAY_MINUTES:
        found.append(Finding("end", MSG_TIME))
    if session.end_minute <= session.start_minute:
        found.append(Finding("end", MSG_END_BEFORE_START))
    if not MIN_SLOT_MINUTES <= session.slot_minutes <= MAX_SLOT_MINUTES:
        params = {"low": str(MIN_SLOT_MINUTES), "high": str(MAX_SLOT_MINUTES)}
        found.append(Finding("slot_minutes", MSG_SLOT_LENGTH, params))
    elif 0 < session.end_minute - session.start_minute < session.slot_minutes:
        found.append(Finding("slot_minutes", MSG_SESSION_TOO_SHORT))
    if not 1 <= session.capacity <= MAX_CAPACITY:
        found.append(Finding("capacity", MSG_CAPACITY, {"high": str(MAX_CAPACITY)}))
    if session.valid_to is not None and session.valid_to < session.valid_from:
        found.append(Finding("valid_to", MSG_VALIDITY))
    return found


def slot_times(session: Session) -> list[tuple[int, int]]:
    """(start, end) of each whole slot of the session; a remainder shorter than a slot is not offered."""
    times = []
    start = session.start_minute
    while start + session.slot_minutes <= session.end_minute:
        times.append((start, start + session.slot_minutes))
        start += session.slot_minutes
    return times


def runs_on(session: Session, day: date) -> bool:
    in_force = session.valid_from <= day and (session.valid_to is None or day <= session.valid_to)
    return in_force and day.weekday() == session.weekday


def range_problems(first: date, last: date) -> list[Finding]:
    if last < first:
        return [Finding("last", MSG_RANGE)]
    if (last - first).days + 1 > MAX_GENERATE_DAYS:
        return [Finding("last", MSG_RANGE_TOO_LONG, {"days": str(MAX_GENERATE_DAYS)})]
    return []


def days_between(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ClosureRule:
    """A closed day: for everybody (both None), for a room, for a doctor, or for a doctor in a room."""

    day: date
    room_code: str | None
    doctor_code: str | None


def is_closed(closures: Iterable[ClosureRule], *, day: date, room_code: str, doctor_code: str) -> bool:
    return any(
        closure.day == day and closure.room_code in (None, room_code) and closure.doctor_code in (None, doctor_code)
        for closure in closures
    )


# ---------------------------------------------------------------- booking


def booking_problems(*, day: date, start_minute: int, now: datetime, phone: str) -> list[Finding]:
    found: list[Finding] = []
    if local_moment(day, start_minute) <= now.astimezone(vietnam_zone()):
        found.append(Finding("slot_id", MSG_PAST_DAY))
    if phone and not normalised_phone(phone):
        found.append(Finding("phone", MSG_PHONE))
    return found


def normalised_phone(text: str) -> str | None:
    """Digits only ('+84 912 345 678' -> '0912345678'); None when it cannot be a Vietnamese phone number."""
    digits = re.sub(r"[\s.\-()]", "", text or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    if not digits.isdigit() or not 9 <= len(digits) <= 12:
        return None
    return digits


def paper_code(appointment_id: int, issued: date) -> str:
    """SO_GIAYHEN_KL (at most 50 characters): the appointment number within the year, as on the paper."""
    return f"{appointment_id:06d}/{issued.year}/GHKL"


def paper_valid_until(day: date) -> date:
    """The last day the paper can be used: ten working days (Monday to Friday) from the appointment day."""
    remaining, current = PAPER_VALID_WORKING_DAYS - 1, day
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def reminder_days(days: int) -> list[Finding]:
    if not 1 <= days <= MAX_REMINDER_DAYS:
        return [Finding("days", MSG_DAYS_AHEAD, {"high": str(MAX_REMINDER_DAYS)})]
    return []


# ---------------------------------------------------------------- no-shows


def becomes_no_show(status: str, day: date, today: date) -> bool:
    """An appointment still booked after its day has passed was missed."""
    return status == "booked" and day < today


@dataclass(frozen=True, slots=True)
class NoShowLine:
    doctor_code: str
    doctor_name: str
    total: int  # appointments that were due (attended + missed)
    attended: int
    no_shows: int

    @property
    def rate_percent(self) -> int:
        return round(100 * self.no_shows / self.total) if self.total else 0


def no_show_lines(rows: Iterable[tuple[str, str, str, int]]) -> list[NoShowLine]:
    """(doctor code, doctor name, status, count) rows -> one line per doctor, most missed first."""
    totals: dict[str, dict[str, int]] = {}
    names: dict[str, str] = {}
    for code, name, status, count in rows:
        names[code] = name
        totals.setdefault(code, {}).setdefault(status, 0)
        totals[code][status] += count
    lines = [
        NoShowLine(
            code,
            names[code],
            counts.get("attended", 0) + counts.get("no_show", 0),
            counts.get("attended", 0),
            counts.get("no_show", 0),
        )
        for code, counts in totals.items()
    ]
    return sorted(lines, key=lambda line: (-line.no_shows, line.doctor_name))


# ---------------------------------------------------------------- XML14 (giấy hẹn khám lại)

XML14_TABLE = "XML14"
XML14_ROOT = "CHI_TIEU_GIAYHEN_KHAMLAI"  # one record, no list element (as XML1 is)
SEX_CODES = {"M": "1", "F": "2"}
# MA_DOITUONG_KCB of each reception route: the same UNVERIFIED codes as his/claims/data/codes.csv (the DMDC
# list is not in the repository data); kept equal to them until claims or bhyt offers the mapping in an api.
ROUTE_CATEGORIES = {"registered": "1.1", "referral": "1.3", "transfer": "1.3", "emergency": "2", "wrong": "3"}


@dataclass(frozen=True, slots=True)
class PaperFacts:
    """What the appointment paper and its XML14 record say, gathered from the modules' api."""

    code: str
    facility_code: str
    patient_name: str
    birth_date: date | None
    birth_year: int
    sex: str
    address: str
    card_number: str | None
    card_valid_to: date | None
    visit_code: str | None  # MA_LK of the examination that asked for the appointment
    visited_at: datetime | None
    finished_at: datetime | None
    appointment_at: datetime
    diagnosis_text: str
    main_code: str
    other_codes: Sequence[str]
    route: str | None
    doctor_certificate: str
    head_insurance_number: str
    issued_on: date


def _local(moment: datetime) -> str:
    return moment.astimezone(vietnam_zone()).strftime("%Y%m%d%H%M")


def birth_text(birth_date: date | None, birth_year: int) -> str:
    """NGAY_SINH as in XML1: yyyymmddHHMM, day and month 0000 when only the year is known."""
    if birth_date is not None:
        return birth_date.strftime("%Y%m%d") + "0000"
    return f"{birth_year:04d}00000000"


def plain_code(icd10: str) -> str:
    """MA_BENH_* without the dagger or asterisk of the catalog ("A39.0†" -> "A39.0")."""
    return icd10.replace("†", "").replace("*", "").strip()


def xml14_record(facts: PaperFacts) -> dict[str, str]:
    """The XML14 record, field by field in the order of QĐ 130 Bảng 14 (empty text where there is no value)."""
    insured = bool(facts.card_number)
    return {
        "MA_LK": facts.visit_code or "",
        "SO_GIAYHEN_KL": facts.code,
        "MA_CSKCB": facts.facility_code,
        "HO_TEN": facts.patient_name,
        "NGAY_SINH": birth_text(facts.birth_date, facts.birth_year),
        "GIOI_TINH": SEX_CODES.get(facts.sex, "3"),
        "DIA_CHI": facts.address,
        "MA_THE_BHYT": facts.card_number or "",
        "GT_THE_DEN": facts.card_valid_to.strftime("%Y%m%d") if insured and facts.card_valid_to else "",
        "NGAY_VAO": _local(facts.visited_at) if facts.visited_at else "",
        "NGAY_VAO_NOI_TRU": "",  # an outpatient examination has no admission
        "NGAY_RA": _local(facts.finished_at) if facts.finished_at else "",
        "NGAY_HEN_KL": _local(facts.appointment_at),
        "CHAN_DOAN_RV": facts.diagnosis_text,
        "MA_BENH_CHINH": plain_code(facts.main_code) if facts.main_code else "",
        "MA_BENH_KT": ";".join(plain_code(code) for code in facts.other_codes),
        "MA_BENH_YHCT": "",
        "MA_DOITUONG_KCB": ROUTE_CATEGORIES.get(facts.route or "", "") if insured else "",
        "MA_BAC_SI": facts.doctor_certificate,
        "MA_TTDV": facts.head_insurance_number,
        "NGAY_CT": facts.issued_on.strftime("%Y%m%d"),
        "DU_PHONG": "",
    }
