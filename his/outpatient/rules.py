"""Pure rules of the outpatient examination and the prescription. No I/O: easy to test, easy to read aloud.

Sources (see docs/outpatient.md): Circular 26/2025/TT-BYT on prescribing chemical drugs and biologicals in
outpatient care (successor of Circulars 52/2017/TT-BYT and 04/2022/TT-BYT); Decision 808/QĐ-BYT (2022) on the
connection to the national prescription system (the 14-character prescription code); Circular 20/2017/TT-BYT,
appendices I-III (narcotic and psychotropic substances, precursors used as drugs).
"""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, Protocol

from his.kernel.i18n import lazy


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics (đ -> d), for matching substance and route names."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower().strip()


# ---------------------------------------------------------------- vital signs


@dataclass(frozen=True, slots=True)
class VitalRange:
    """`low`..`high`: what a living patient can show (outside: a typing error, refused);
    `normal_low`..`normal_high`: the usual adult range (outside: a warning, never a refusal)."""

    field: str
    unit: str
    low: Decimal
    high: Decimal
    normal_low: Decimal | None
    normal_high: Decimal | None


def _d(value: str) -> Decimal:
    return Decimal(value)


# Plausibility limits are deliberately wide (records from neonates to adults); normal ranges are the usual
# adult references (WHO; Bộ Y tế nursing guidance). Abnormal values are for the doctor's attention only.
VITAL_RANGES: tuple[VitalRange, ...] = (
    VitalRange("pulse", "/min", _d("20"), _d("300"), _d("60"), _d("100")),
    VitalRange("temperature", "°C", _d("30"), _d("45"), _d("36.0"), _d("37.5")),
    VitalRange("systolic", "mmHg", _d("40"), _d("300"), _d("90"), _d("139")),
    VitalRange("diastolic", "mmHg", _d("20"), _d("200"), _d("60"), _d("89")),
    VitalRange("respiratory_rate", "/min", _d("4"), _d("100"), _d("12"), _d("20")),
    VitalRange("spo2", "%", _d("50"), _d("100"), _d("95"), None),
    VitalRange("height_cm", "cm", _d("20"), _d("250"), None, None),
    VitalRange("weight_kg", "kg", _d("0.3"), _d("350"), None, None),
)
RANGE_BY_FIELD = {r.field: r for r in VITAL_RANGES}
# Adult normal ranges do not fit children: below this age only impossible values and low SpO2 / fever count.
ADULT_AGE_YEARS = 16
CHILD_CHECKED_FIELDS = frozenset({"spo2", "temperature"})

# Asian cut-offs (WHO Western Pacific Region, 2000), used by Vietnamese clinical guidance.
BMI_UNDERWEIGHT = Decimal("18.5")
BMI_OVERWEIGHT = Decimal("23")


@dataclass(frozen=True, slots=True)
class Vitals:
    pulse: int | None = None
    temperature: Decimal | None = None
    systolic: int | None = None
    diastolic: int | None = None
    respiratory_rate: int | None = None
    spo2: int | None = None
    height_cm: Decimal | None = None
    weight_kg: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A refusal (`problem`) or a warning about one field; `message` is an English msgid."""

    field: str
    message: str
    params: dict[str, str] = dataclasses.field(default_factory=dict, hash=False)


# The field a finding names tells which vital sign it is about: the messages carry no label.
MSG_VITAL_IMPOSSIBLE = lazy("{value} {unit} is not possible here; the value must be between {low} and {high}")
MSG_VITAL_LOW = lazy("{value} {unit} is below the usual range")
MSG_VITAL_HIGH = lazy("{value} {unit} is above the usual range")
MSG_DIASTOLIC_ABOVE = lazy("The diastolic pressure must be lower than the systolic pressure")
MSG_BMI_LOW = lazy("BMI {bmi}: underweight")
MSG_BMI_HIGH = lazy("BMI {bmi}: overweight")


def _number(value: int | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def vital_problems(vitals: Vitals) -> list[Finding]:
    """Values no patient can have (a typing error): the record is refused with these field messages."""
    problems: list[Finding] = []
    for spec in VITAL_RANGES:
        value = getattr(vitals, spec.field)
        if value is None:
            continue
        if not spec.low <= Decimal(value) <= spec.high:
            params = {
                "value": _number(value),
                "unit": spec.unit,
                "low": _number(spec.low),
                "high": _number(spec.high),
            }
            problems.append(Finding(spec.field, MSG_VITAL_IMPOSSIBLE, params))
    if vitals.systolic is not None and vitals.diastolic is not None and vitals.diastolic >= vitals.systolic:
        problems.append(Finding("diastolic", MSG_DIASTOLIC_ABOVE))
    return problems


def vital_warnings(vitals: Vitals, *, age_years: int | None) -> list[Finding]:
    """Plausible but abnormal values, for the doctor's attention. Adult ranges apply from ADULT_AGE_YEARS on."""
    adult = age_years is None or age_years >= ADULT_AGE_YEARS
    warnings: list[Finding] = []
    for spec in VITAL_RANGES:
        value = getattr(vitals, spec.field)
        if value is None or not (adult or spec.field in CHILD_CHECKED_FIELDS):
            continue
        params = {"value": _number(value), "unit": spec.unit}
        if spec.normal_low is not None and Decimal(value) < spec.normal_low:
            warnings.append(Finding(spec.field, MSG_VITAL_LOW, params))
        elif spec.normal_high is not None and Decimal(value) > spec.normal_high:
            warnings.append(Finding(spec.field, MSG_VITAL_HIGH, params))
    bmi = body_mass_index(vitals.height_cm, vitals.weight_kg)
    if adult and bmi is not None:
        if bmi < BMI_UNDERWEIGHT:
            warnings.append(Finding("weight_kg", MSG_BMI_LOW, {"bmi": _number(bmi)}))
        elif bmi >= BMI_OVERWEIGHT:
            warnings.append(Finding("weight_kg", MSG_BMI_HIGH, {"bmi": _number(bmi)}))
    return warnings


def body_mass_index(height_cm: Decimal | None, weight_kg: Decimal | None) -> Decimal | None:
    """kg / m², one decimal place; None unless both are known."""
    if height_cm is None or weight_kg is None or height_cm <= 0:
        return None
    metres = height_cm / Decimal(100)
    return (weight_kg / (metres * metres)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------- diagnoses


@dataclass(frozen=True, slots=True)
class DiagnosisLine:
    code: str  # ICD-10 as entered
    is_main: bool


MSG_ONE_MAIN = lazy("Choose exactly one main diagnosis")
MSG_DUPLICATE_DIAGNOSIS = lazy("Diagnosis {code} is listed twice")
MSG_NO_DIAGNOSIS = lazy("Record at least the main diagnosis")


def normalise_icd10(code: str) -> str:
    """ "a17.0†" -> "A170": the comparable form (no dot, no dagger or asterisk mark, upper case)."""
    return re.sub(r"[^0-9A-Z]", "", code.upper())


def diagnosis_set_problems(lines: Sequence[DiagnosisLine]) -> list[Finding]:
    """The set as a whole: exactly one main diagnosis, no code twice. Code-level validity (sex, age, asterisk
    or never-main code as main) is the catalogs' check_diagnosis, applied per code by the service."""
    if not lines:
        return [Finding("diagnoses", MSG_NO_DIAGNOSIS)]
    problems: list[Finding] = []
    if sum(1 for line in lines if line.is_main) != 1:
        problems.append(Finding("diagnoses", MSG_ONE_MAIN))
    seen: set[str] = set()
    for index, line in enumerate(lines):
        key = normalise_icd10(line.code)
        if key in seen:
            problems.append(Finding(f"diagnoses[{index}].code", MSG_DUPLICATE_DIAGNOSIS, {"code": line.code}))
        seen.add(key)
    return problems


# ---------------------------------------------------------------- disposition

Disposition = Literal["home", "admit", "transfer", "follow_up"]
DISPOSITIONS: tuple[Disposition, ...] = ("home", "admit", "transfer", "follow_up")
DISPOSITION_LABELS: dict[str, str] = {
    "home": lazy("Treated, goes home"),
    "admit": lazy("Admitted to hospital"),
    "transfer": lazy("Transferred to another facility"),
    "follow_up": lazy("Follow-up appointment"),
}
MSG_DISPOSITION = lazy("Unknown disposition: {value}")
MSG_FOLLOW_UP_DATE = lazy("Give the date of the follow-up appointment, after today")
MSG_TRANSFER_TO = lazy("Name the facility the patient is transferred to")


def disposition_problems(disposition: str, *, follow_up: date | None, note: str, today: date) -> list[Finding]:
    if disposition not in DISPOSITIONS:
        return [Finding("disposition", MSG_DISPOSITION, {"value": disposition[:20]})]
    if disposition == "follow_up" and (follow_up is None or follow_up <= today):
        return [Finding("follow_up_date", MSG_FOLLOW_UP_DATE)]
    if disposition == "transfer" and not note.strip():
        return [Finding("disposition_note", MSG_TRANSFER_TO)]
    return []


# ---------------------------------------------------------------- prescription code

PrescriptionType = Literal["N", "H", "C"]
CODE_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
CODE_RANDOM_LENGTH = 7
CODE_LENGTH = 14
# The facility code is the 5-digit MACSKCB (the kernel refuses any other in the hospital configuration).
PRESCRIPTION_CODE = re.compile(r"^(?P<facility>[0-9]{5})(?P<random>[0-9a-z]{7})-(?P<type>[NHC])$")
TYPE_LABELS: dict[str, str] = {
    "N": lazy("Narcotic drug prescription"),
    "H": lazy("Psychotropic or precursor drug prescription"),
    "C": lazy("Prescription"),
}


class RandomSource(Protocol):
    def choice(self, seq: str, /) -> str: ...


def national_prescription_code(facility_code: str, type_letter: str, rng: RandomSource | None = None) -> str:
    """5-character facility code + 7 random characters [0-9a-z] + "-" + type letter (N, H or C): 14 characters,
    the structure the national prescription system takes (Decision 808/QĐ-BYT). The random part comes from the
    operating system's CSPRNG unless a source is given (tests): a guessable code would let anyone read a
    prescription from the national system."""
    if not re.fullmatch(r"[0-9]{5}", facility_code):
        raise ValueError(f"the facility code must be 5 digits, not {facility_code!r}")
    if type_letter not in TYPE_LABELS:
        raise ValueError(f"the prescription type must be N, H or C, not {type_letter!r}")
    pick = rng.choice if rng is not None else secrets.choice
    random_part = "".join(pick(CODE_ALPHABET) for _ in range(CODE_RANDOM_LENGTH))
    code = f"{facility_code}{random_part}-{type_letter}"
    assert len(code) == CODE_LENGTH
    return code


def is_prescription_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and PRESCRIPTION_CODE.match(code) is not None


# ---------------------------------------------------------------- drug classes

# A small seed list, matched against the drug's active substances (accent- and case-insensitively, as the
# start of a word, so that "Morphin hydroclorid" and "morphine sulfate" both match "morphin"). The legal lists
# are Circular 20/2017/TT-BYT appendix I (narcotic substances), appendix II (psychotropic substances) and
# appendix III (precursors used as drugs). Combinations with a low content of such a substance (appendix IV
# forms) are not recognised here. The authoritative class belongs in the drug catalog; until it carries one,
# this list decides the prescription type, and a drug not on it is prescribed as "C".
NARCOTIC_SUBSTANCES: tuple[str, ...] = (
    "morphin",
    "fentanyl",
    "pethidin",
    "methadon",
    "oxycodon",
    "hydromorphon",
    "sufentanil",
    "alfentanil",
    "remifentanil",
)
PSYCHOTROPIC_SUBSTANCES: tuple[str, ...] = (
    "diazepam",
    "phenobarbital",
    "alprazolam",
    "lorazepam",
    "midazolam",
    "clonazepam",
    "bromazepam",
    "zolpidem",
)
PRECURSOR_SUBSTANCES: tuple[str, ...] = ("ephedrin", "pseudoephedrin", "ergometrin", "ergotamin")


def _mentions(folded: str, stems: Iterable[str]) -> bool:
    return any(re.search(rf"\b{re.escape(stem)}", folded) for stem in stems)


def drug_class(substances: Iterable[str]) -> PrescriptionType:
    """N (narcotic), H (psychotropic or precursor) or C (other) from a drug's active substances."""
    folded = [fold(name) for name in substances]
    if any(_mentions(name, NARCOTIC_SUBSTANCES) for name in folded):
        return "N"
    if any(_mentions(name, PSYCHOTROPIC_SUBSTANCES + PRECURSOR_SUBSTANCES) for name in folded):
        return "H"
    return "C"


MSG_MIXED_CLASSES = lazy(
    "Narcotic, psychotropic and precursor drugs go on a prescription of their own; {drug} does not belong on this one"
)


def prescription_type(line_classes: Sequence[PrescriptionType]) -> PrescriptionType:
    """The type of a prescription whose lines all have one class (see `mixed_class_problems`)."""
    if not line_classes:
        raise ValueError("a prescription has at least one line")
    return line_classes[0]


def mixed_class_problems(drugs: Sequence[tuple[str, PrescriptionType]]) -> list[Finding]:
    """Each class has its own form and type letter (Circular 26/2025 forms; the N, H and C codes of the
    national system): a prescription mixing classes is refused, naming the first line that differs."""
    if not drugs:
        return []
    first = drugs[0][1]
    for index, (name, klass) in enumerate(drugs):
        if klass != first:
            return [Finding(f"lines[{index}].drug_code", MSG_MIXED_CLASSES, {"drug": name})]
    return []


# ---------------------------------------------------------------- the patient on the prescription

CHILD_MONTHS = 72
MSG_CHILD_WEIGHT = lazy("A child under 72 months: record the weight")
MSG_CHILD_ADULT = lazy("A child under 72 months: name the father, mother or guardian accompanying the child")
MSG_CHILD_ADULT_ID = lazy("A child under 72 months: record the ID number of the accompanying adult")
MSG_CHILD_BIRTH_DATE = lazy("A child under 72 months: the birth date is needed to write the age in months")
MSG_PERSONAL_ID = lazy("Record the patient's personal ID number (CCCD) or passport number")


def months_between(born: date, on: date) -> int:
    """Whole months of age on `on` (a month is complete on the same day of the month)."""
    months = (on.year - born.year) * 12 + (on.month - born.month)
    if on.day < born.day:
        months -= 1
    return max(months, 0)


def is_young_child(*, birth_date: date | None, birth_year: int, on: date) -> bool:
    """Under 72 months; with the birth year only, anyone who may still be under 72 months counts."""
    if birth_date is not None:
        return months_between(birth_date, on) < CHILD_MONTHS
    return on.year - birth_year <= CHILD_MONTHS // 12


@dataclass(frozen=True, slots=True)
class PrescriptionPatient:
    birth_date: date | None
    birth_year: int
    weight_kg: Decimal | None
    personal_id: str | None
    adult_name: str | None
    adult_id: str | None


def prescription_patient_problems(patient: PrescriptionPatient, *, on: date) -> list[Finding]:
    """Circular 26/2025: the personal ID number of the patient; for a child under 72 months the age in months,
    the weight and the name and ID number of the accompanying father, mother or guardian."""
    if is_young_child(birth_date=patient.birth_date, birth_year=patient.birth_year, on=on):
        problems: list[Finding] = []
        if patient.birth_date is None:
            problems.append(Finding("birth_date", MSG_CHILD_BIRTH_DATE))
        if patient.weight_kg is None:
            problems.append(Finding("weight_kg", MSG_CHILD_WEIGHT))
        if not (patient.adult_name or "").strip():
            problems.append(Finding("adult_name", MSG_CHILD_ADULT))
        if not (patient.adult_id or "").strip():
            problems.append(Finding("adult_id", MSG_CHILD_ADULT_ID))
        return problems
    if not (patient.personal_id or "").strip():
        return [Finding("personal_id", MSG_PERSONAL_ID)]
    return []


# ---------------------------------------------------------------- lines

MAX_DAYS = 90  # the longest any outpatient prescription may run (chronic diseases, Circular 26/2025)
MAX_TIMES_PER_DAY = 12
MSG_DOSE = lazy("The dose per time must be more than 0")
MSG_TIMES = lazy("Times per day must be between 1 and {max}")
MSG_DAYS = lazy("The number of days must be between 1 and {max}")
MSG_QUANTITY = lazy("The quantity must be a whole number more than 0")
MSG_NO_LINES = lazy("Add at least one drug")


@dataclass(frozen=True, slots=True)
class LineDose:
    dose_per_time: Decimal
    times_per_day: int
    days: int
    quantity: int | None = None  # given by the doctor; else computed


def line_problems(index: int, line: LineDose) -> list[Finding]:
    prefix = f"lines[{index}]."
    problems: list[Finding] = []
    if line.dose_per_time <= 0:
        problems.append(Finding(prefix + "dose_per_time", MSG_DOSE))
    if not 1 <= line.times_per_day <= MAX_TIMES_PER_DAY:
        problems.append(Finding(prefix + "times_per_day", MSG_TIMES, {"max": str(MAX_TIMES_PER_DAY)}))
    if not 1 <= line.days <= MAX_DAYS:
        problems.append(Finding(prefix + "days", MSG_DAYS, {"max": str(MAX_DAYS)}))
    if line.quantity is not None and line.quantity <= 0:
        problems.append(Finding(prefix + "quantity", MSG_QUANTITY))
    return problems


def line_quantity(line: LineDose) -> int:
    """The doctor's quantity, else dose × times per day × days rounded up to whole dispensing units
    (half a tablet twice a day for 3 days is 3 tablets; 1.5 a day for 3 days, 5 tablets)."""
    if line.quantity is not None:
        return line.quantity
    return math.ceil(line.dose_per_time * line.times_per_day * line.days)


def plain_decimal(value: Decimal) -> str:
    """0.500 -> "0.5", 2.000 -> "2": how a dose is written (with a comma as the Vietnamese decimal mark)."""
    return format(value.normalize(), "f").replace(".", ",")


def usage_text(*, route: str, times_per_day: int, dose_per_time: Decimal, unit: str, instructions: str) -> str:
    """ "Ngày uống 2 lần, mỗi lần 1 viên, sau ăn": the printed usage line (Vietnamese, as the form is)."""
    verb = "uống" if fold(route).startswith("uong") else "dùng"
    text = f"Ngày {verb} {times_per_day} lần, mỗi lần {plain_decimal(dose_per_time)} {unit.lower()}"
    return f"{text}, {instructions.strip()}" if instructions.strip() else text
