"""Pure rules of the decision module: no I/O. Paediatric dose calculation, reading a catalog strength, the
stable key of an alert, override rates."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from his.kernel.i18n import lazy as _

ALLERGY_SEVERITIES = ("mild", "moderate", "severe", "unknown")
TIERS = ("contraindicated", "avoid", "precaution", "note")
SEVERITY_LABELS = {"hard_stop": _("Stop"), "warning": _("Warning"), "info": _("Information")}
# An engine alert's values that are English names with a msgid of their own (the drug class of a duplicate or
# allergy alert): translated with the message.
TRANSLATED_PARAMS = frozenset({"group"})
MSG_REASON_REQUIRED = _("Give the reason")
# Units of a catalog strength, in milligrams.
_MG_PER_UNIT = {"mg": 1.0, "g": 1000.0, "mcg": 0.001, "µg": 0.001, "μg": 0.001, "ug": 0.001}
_STRENGTH = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mg|g|mcg|µg|μg|ug)\s*$", re.IGNORECASE)
# "Amoxicilin 500 mg" -> "Amoxicilin": the strength outpatient appends to the substance in a prescription line.
_TRAILING_STRENGTH = re.compile(r"\s+\d+(?:[.,]\d+)?\s*(?:mg|g|mcg|µg|μg|ug|ml|iu|ui|%)\b.*$", re.IGNORECASE)
# A dose per time given in these units counts whole forms (one tablet holds the catalog strength).
COUNTABLE_UNITS = frozenset({"viên", "vien", "gói", "goi", "ống", "ong", "lọ", "lo", "tablet", "capsule", "sachet"})


def substance_name(text: str) -> str:
    """The substance of a prescription line's "substance strength" text."""
    return _TRAILING_STRENGTH.sub("", text).strip()


def strength_mg(strength: str) -> float | None:
    """Milligrams in one unit of a solid strength ("500 mg", "1 g"); None for concentrations ("10 mg/ml")."""
    match = _STRENGTH.match(strength or "")
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")) * _MG_PER_UNIT[match.group(2).lower()]


def dose_mg(dose_per_time: Decimal, unit: str, strengths: list[str]) -> float | None:
    """The dose per administration in mg when the catalog tells it: one substance, a solid strength, a dose counted
    in whole forms (tablets, sachets, ampoules)."""
    if len(strengths) != 1 or unit.strip().lower() not in COUNTABLE_UNITS:
        return None
    per_unit = strength_mg(strengths[0])
    return None if per_unit is None else round(float(dose_per_time) * per_unit, 4)


def alert_key(rule: str, drugs: list[int]) -> str:
    """The stable identity of an alert: its rule and the drugs (indexes into new + active) it is about."""
    return f"{rule}@{','.join(str(i) for i in sorted(drugs))}" if drugs else rule


def rule_of_key(key: str) -> str:
    return key.split("@", 1)[0]


def mosteller_bsa(height_cm: float, weight_kg: float) -> float:
    """Body surface area in m² (Mosteller): sqrt(height cm × weight kg / 3600)."""
    return math.sqrt(height_cm * weight_kg / 3600.0)


@dataclass(frozen=True, slots=True)
class DoseResult:
    basis: str  # "weight" | "bsa"
    per_dose_mg: float
    per_day_mg: float
    bsa_m2: float | None
    capped: bool  # the adult maximum was reached


def paediatric_dose(
    *,
    weight_kg: float,
    times_per_day: int,
    mg_per_kg: float | None = None,
    mg_per_m2: float | None = None,
    height_cm: float | None = None,
    per_day: bool = False,
    max_per_dose_mg: float | None = None,
) -> DoseResult:
    """A child's dose from a dose per kg of body weight or per m² of body surface (Mosteller).
    `per_day`: the given dose is per day, divided into `times_per_day` doses. Capped at `max_per_dose_mg`."""
    if weight_kg <= 0 or weight_kg > 200:
        raise ValueError("weight out of range")
    if times_per_day < 1 or times_per_day > 24:
        raise ValueError("times per day out of range")
    bsa: float | None = None
    if mg_per_kg is not None:
        amount, basis = mg_per_kg * weight_kg, "weight"
    elif mg_per_m2 is not None:
        if height_cm is None or height_cm <= 0 or height_cm > 250:
            raise ValueError("height out of range")
        bsa = mosteller_bsa(height_cm, weight_kg)
        amount, basis = mg_per_m2 * bsa, "bsa"
    else:
        raise ValueError("give mg/kg or mg/m²")
    per_dose = amount / times_per_day if per_day else amount
    capped = max_per_dose_mg is not None and per_dose > max_per_dose_mg
    if capped and max_per_dose_mg is not None:
        per_dose = max_per_dose_mg
    return DoseResult(basis, round(per_dose, 2), round(per_dose * times_per_day, 2), bsa and round(bsa, 3), capped)


def override_rate(fired: int, overridden: int) -> float:
    return overridden / fired if fired else 0.0


# The shipped protocols' texts (cdss.protocols.default_protocols), which the pages show through the translator.
# They live in the pure engine, out of the extractor's reach, so their translations live in this module's catalog;
# tests/decision/test_rules.py keeps this list equal to the protocols' texts.
PROTOCOL_TEXTS = (
    _("Community-acquired pneumonia (adult)"),
    _("Chest X-ray"),
    _("Complete blood count, CRP"),
    _("SpO2; severity score (CURB-65)"),
    _("Sputum Gram stain and culture when treated in hospital"),
    _("Amoxicillin 1 g three times a day, 5 days (no comorbidity)"),
    _("Amoxicillin-clavulanate or a 2nd/3rd-generation cephalosporin + a macrolide (comorbidity)"),
    _("Pneumonia without an antibiotic among the patient's drugs"),
    _("Hypertension"),
    _("Serum creatinine and eGFR, potassium, sodium"),
    _("Fasting glucose or HbA1c, lipid panel"),
    _("Urine albumin/creatinine ratio, ECG"),
    _("ACE inhibitor or ARB, calcium-channel blocker, or thiazide-like diuretic"),
    _("Hypertension with diabetes without an ACE inhibitor or ARB"),
    _("Type 2 diabetes"),
    _("HbA1c every 3 months until at target"),
    _("Serum creatinine and eGFR, urine albumin/creatinine ratio, lipid panel"),
    _("Foot examination, retinal examination yearly"),
    _("Metformin first line unless contraindicated"),
    _("Type 2 diabetes without metformin and no contraindication recorded"),
)
# Words shown through the translator from data: allergy severities, template states.
DATA_WORDS = (
    _("mild"),
    _("moderate"),
    _("severe"),
    _("unknown"),
    _("draft"),
    _("active"),
    _("inactive"),
)


def translated_params(params: Mapping[str, str], gettext: Callable[[str], str]) -> dict[str, str]:
    """An alert's values for its translated message: the names in TRANSLATED_PARAMS translated, the rest as is."""
    return {name: gettext(value) if name in TRANSLATED_PARAMS else value for name, value in params.items()}


# ---------------------------------------------------------------- renal function from a creatinine result

# Analyte codes of serum creatinine in the orders module's definitions (his/orders/data/definitions.json).
CREATININE_CODES = ("CRE",)
# A creatinine result older than this is not used for dose adjustment (renal function changes; the doctor orders it
# again). Three months, as for a stable patient; an acute illness needs a fresh result anyway.
CREATININE_VALID_DAYS = 90
_MICROMOL = frozenset({"µmol/l", "μmol/l", "umol/l", "micromol/l"})
_MG_PER_DL = frozenset({"mg/dl"})
MICROMOL_PER_MG_DL = 88.4


def creatinine_clearance(
    creatinine: float, unit: str, *, age_years: float | None, weight_kg: float | None, sex: str
) -> float | None:
    """Creatinine clearance in ml/min by Cockcroft–Gault (SI form: (140 − age) × weight × 1.23 for men, 1.04 for
    women, ÷ serum creatinine in µmol/L); without a weight, the CKD-EPI 2021 eGFR. None when it cannot be estimated:
    adults' formulas (no age, a child), an unknown unit or an impossible value."""
    unit_key = unit.strip().lower().replace(" ", "")
    if unit_key in _MICROMOL:
        micromol = creatinine
    elif unit_key in _MG_PER_DL:
        micromol = creatinine * MICROMOL_PER_MG_DL
    else:
        return None
    if micromol <= 0 or age_years is None or age_years < 18:
        return None
    if weight_kg is None or weight_kg <= 0:
        return egfr_ckd_epi_2021(micromol / MICROMOL_PER_MG_DL, age_years=age_years, sex=sex)
    factor = 1.23 if sex == "M" else 1.04
    return round(max(0.0, 140 - age_years) * weight_kg * factor / micromol, 1)


def egfr_ckd_epi_2021(creatinine_mg_dl: float, *, age_years: float, sex: str) -> float:
    """eGFR in ml/min/1.73 m² by the race-free CKD-EPI 2021 creatinine equation: the estimate used for dosing when no
    weight is recorded (Cockcroft–Gault needs one)."""
    kappa, alpha, female = (0.7, -0.241, 1.012) if sex == "F" else (0.9, -0.302, 1.0)
    ratio = creatinine_mg_dl / kappa
    value: float = 142 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age_years * female
    return round(value, 1)
