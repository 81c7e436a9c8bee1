"""Pure rules of the inpatient stay: bed statuses and their changes, the bed-day count, discharge checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from his.kernel.i18n import lazy as _

BED_STATUSES = ("free", "occupied", "cleaning", "reserved", "out_of_service")
# Statuses a person at the board may set by hand; "occupied" only comes from an admission or a transfer.
MANUAL_STATUSES = ("free", "cleaning", "reserved", "out_of_service")
# A bed a patient can be put into.
ASSIGNABLE = ("free", "reserved")
SOURCES = ("outpatient", "emergency", "direct")
OUTCOMES = ("1", "2", "3", "4", "5", "6", "7")  # KET_QUA_DTRI (QĐ 130)
DISCHARGE_KINDS = ("1", "2", "3", "4", "5")  # MA_LOAI_RV (QĐ 130)
SHORT_STAY = timedelta(hours=4)
ONE_DAY = timedelta(hours=24)

MSG_BED_TAKEN = _("Bed {bed} is not free (status: {status})")
MSG_STAY_CLOSED = _("Stay {code} is already discharged")


def manual_change_problem(current: str, new: str) -> str | None:
    """Why a status set by hand at the board is refused, or None. An occupied bed is released only by a
    transfer or a discharge (so the history stays true); anything else may be set by the nurse."""
    if new not in MANUAL_STATUSES:
        return _("Unknown bed status {status}")
    if current == "occupied":
        return _("An occupied bed is released by a transfer or a discharge")
    return None


def bed_days(
    admitted_at: datetime, discharged_at: datetime, *, admitted_on: date, discharged_on: date, outcome: str, kind: str
) -> int:
    """Bed days charged to the fund for one stay (Circular 39/2018/TT-BYT, art. 6(4), as amended by Circular
    13/2019/TT-BYT, as we read it):
    - a stay under 4 hours is not charged a bed day;
    - from 4 hours to under 24 hours: one day;
    - otherwise the discharge date minus the admission date (admission and discharge day count as one day),
      plus one when the patient died, left in a severe condition (prognosis poor, asked to go home) or was
      transferred to another facility: those stays have no "free" discharge day.
    `admitted_on`/`discharged_on` are local dates (the hospital's day), the datetimes are for the duration."""
    duration = discharged_at - admitted_at
    if duration < SHORT_STAY:
        return 0
    if duration < ONE_DAY:
        return 1
    days = (discharged_on - admitted_on).days
    if outcome in ("5", "6") or kind in ("2", "5"):
        days += 1
    return max(days, 1)


def treatment_days(admitted_on: date, discharged_on: date) -> int:
    """SO_NGAY_DTRI of XML1 for MA_LOAI_KCB 03: discharge date minus admission date plus one (QĐ 130)."""
    return (discharged_on - admitted_on).days + 1


@dataclass(frozen=True, slots=True)
class DayBed:
    """A bed the stay lay in on some day, with its bed-day price (hospital price)."""

    day: date
    service_code: str
    price: int


def charged_beds(days: int, discharged_on: date, beds_by_day: Sequence[DayBed]) -> list[DayBed]:
    """Which bed-day service each charged day is billed as. When the patient lay in several beds on one day
    (a transfer), the day is charged once, at the dearest bed of that day (Circular 39/2018 art. 6). The charged
    days are the last `days` calendar days ending with the discharge day, so the "free" day is the first one."""
    dearest: dict[date, DayBed] = {}
    for bed in beds_by_day:
        best = dearest.get(bed.day)
        if best is None or bed.price > best.price:
            dearest[bed.day] = bed
    if not dearest or days <= 0:
        return []
    ordered = sorted(dearest)
    charged: list[DayBed] = []
    for offset in range(days):
        day = discharged_on - timedelta(days=offset)
        # A day with no bed (the stay waited without one) is billed at the nearest earlier bed.
        earlier = [d for d in ordered if d <= day]
        source = dearest[earlier[-1]] if earlier else dearest[ordered[0]]
        charged.append(DayBed(day=day, service_code=source.service_code, price=source.price))
    return sorted(charged, key=lambda b: b.day)


def discharge_problems(
    *, admitted_at: datetime, discharged_at: datetime, outcome: str, kind: str, icd10: str, method: str
) -> list[tuple[str, str]]:
    """(field, message) pairs: what blocks a discharge."""
    problems: list[tuple[str, str]] = []
    if discharged_at < admitted_at:
        problems.append(("discharged_at", _("The discharge time is before the admission time")))
    if outcome not in OUTCOMES:
        problems.append(("outcome", _("Choose the treatment outcome")))
    if kind not in DISCHARGE_KINDS:
        problems.append(("kind", _("Choose the kind of discharge")))
    if not icd10.strip():
        problems.append(("icd10", _("Enter the discharge diagnosis (ICD-10)")))
    if not method.strip():
        problems.append(("treatment_method", _("Enter the treatment method")))
    return problems


def stay_code(facility_code: str, day: date, stay_id: int) -> str:
    """MA_LK of the inpatient claim: distinct from outpatient visit codes by the "NT" marker."""
    return f"{facility_code}NT{day:%Y%m%d}{stay_id:07d}"


# ---------------------------------------------------------------- medication orders

MAX_MEDICATION_DAYS = 30  # an order runs at most this long before the doctor renews it
MAX_TIMES_PER_DAY = 24
MAX_DOSE_PER_TIME = Decimal(10_000)  # in the drug's unit: beyond any real dose, a typing error


@dataclass(frozen=True, slots=True)
class MedicationProblem:
    field: str
    message: str
    params: dict[str, str]


def medication_problems(dose_per_time: Decimal, times_per_day: int, days: int) -> list[MedicationProblem]:
    """What makes an order's numbers unusable (the clinical limits are decision support's)."""
    problems = []
    if not Decimal(0) < dose_per_time <= MAX_DOSE_PER_TIME:
        problems.append(
            MedicationProblem(
                "dose_per_time",
                _("The dose per time must be above 0 and at most {most}"),
                {"most": str(MAX_DOSE_PER_TIME)},
            )
        )
    if not 1 <= times_per_day <= MAX_TIMES_PER_DAY:
        problems.append(
            MedicationProblem(
                "times_per_day",
                _("Times per day must be between 1 and {most}"),
                {"most": str(MAX_TIMES_PER_DAY)},
            )
        )
    if not 1 <= days <= MAX_MEDICATION_DAYS:
        problems.append(
            MedicationProblem("days", _("Days must be between 1 and {most}"), {"most": str(MAX_MEDICATION_DAYS)})
        )
    return problems


def medication_last_day(start_day: date, days: int, stopped_on: date | None) -> date:
    """The last day an order is given: its planned last day, or the day it was stopped (given until then)."""
    planned = start_day + timedelta(days=days - 1)
    return min(planned, stopped_on) if stopped_on is not None else planned


def medication_days(start_day: date, last_day: date, until: date) -> list[date]:
    """The days an order appears on the treatment sheet: from its start to its last day, not after `until`
    (today or the discharge day)."""
    end = min(last_day, until)
    return [start_day + timedelta(days=n) for n in range((end - start_day).days + 1)]
