"""Validity rules for one ICD-10 diagnosis on one patient (QĐ 4469/QĐ-BYT appendices A2-A4).

Pure functions: no I/O, no database. The caller translates ``message_key`` with gettext
and formats it with ``params`` (``_(problem.message_key).format(**problem.params)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from his.catalogs.icd10 import Icd10Record

__all__ = [
    "MSG_AGE_MAX",
    "MSG_AGE_MIN",
    "MSG_AGE_RANGE",
    "MSG_ASTERISK_MAIN",
    "MSG_NEVER_MAIN",
    "MSG_SEX_FEMALE",
    "MSG_SEX_MALE",
    "DiagnosisProblem",
    "check_diagnosis",
]

# gettext msgids; placeholders are keys of DiagnosisProblem.params.
MSG_SEX_FEMALE = "Code {code} is valid for female patients only"
MSG_SEX_MALE = "Code {code} is valid for male patients only"
MSG_AGE_RANGE = "Code {code} is valid for patients aged {min_age_days} to {max_age_days} days only"
MSG_AGE_MIN = "Code {code} is valid for patients aged {min_age_days} days or more only"
MSG_AGE_MAX = "Code {code} is valid for patients aged {max_age_days} days or less only"
MSG_NEVER_MAIN = "Code {code} cannot be used as the main diagnosis"
MSG_ASTERISK_MAIN = (
    "Code {code} is an asterisk (manifestation) code and cannot be the main diagnosis; "
    "code the underlying disease as main"
)

_SEXES = ("F", "M")


@dataclass(frozen=True, slots=True)
class DiagnosisProblem:
    """One reason a diagnosis code does not fit the patient or its role."""

    rule: str  # "sex", "age", "never_main" or "asterisk_main"
    message_key: str  # English gettext msgid
    params: dict[str, str] = field(default_factory=dict, hash=False)


def check_diagnosis(
    record: Icd10Record, *, sex: str | None, age_days: int | None, is_main: bool
) -> list[DiagnosisProblem]:
    """Problems of ``record`` as a diagnosis of a patient; an empty list means none.

    ``sex`` is "F", "M" or None when unknown; ``age_days`` is the age on the day of the
    encounter, or None when unknown. An unknown attribute is never reported as a
    problem: the rule cannot be judged, not failed.
    """
    if sex is not None and sex not in _SEXES:
        raise ValueError(f"sex must be 'F', 'M' or None, not {sex!r}")
    if age_days is not None and age_days < 0:
        raise ValueError(f"age_days must not be negative, got {age_days}")
    problems: list[DiagnosisProblem] = []
    code = record.code

    if record.sex is not None and sex is not None and sex != record.sex:
        message = MSG_SEX_FEMALE if record.sex == "F" else MSG_SEX_MALE
        problems.append(DiagnosisProblem("sex", message, {"code": code, "sex": record.sex, "patient_sex": sex}))

    if age_days is not None:
        low, high = record.min_age_days, record.max_age_days
        too_young = low is not None and age_days < low
        too_old = high is not None and age_days > high
        if too_young or too_old:
            params = {"code": code, "age_days": str(age_days)}
            if low is not None:
                params["min_age_days"] = str(low)
            if high is not None:
                params["max_age_days"] = str(high)
            if low is not None and high is not None:
                message = MSG_AGE_RANGE
            else:
                message = MSG_AGE_MIN if low is not None else MSG_AGE_MAX
            problems.append(DiagnosisProblem("age", message, params))

    if is_main:
        # An asterisk code is never main; report that reason alone, since the A2 list
        # (never main) also names most asterisk codes and one message is enough.
        if record.is_asterisk:
            problems.append(DiagnosisProblem("asterisk_main", MSG_ASTERISK_MAIN, {"code": code}))
        elif record.never_main:
            problems.append(DiagnosisProblem("never_main", MSG_NEVER_MAIN, {"code": code}))

    return problems
