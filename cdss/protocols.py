"""Treatment protocols as data (CDSS level 3): for a diagnosis, the orders and drugs the protocol suggests, and
the deviations it flags (a required treatment missing with no recorded reason not to give it).

Pure: no database, no web framework. The caller gives the patient's diagnoses (ICD-10), drugs (active and about to
be prescribed) with their substances (INN) and ATC classes already resolved, allergies, pregnancy and lab values.
The three protocols shipped (`default_protocols`) summarise widely agreed first-line care; a hospital may replace
them with its own (`decode_protocols`), the shape is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec

from cdss.templates import fold

Severity = Literal["hard_stop", "warning", "info"]


class LabLimit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """`lab op value`, e.g. creatinine_clearance_ml_min lt 30."""

    lab: str
    op: Literal["lt", "le", "gt", "ge"]
    value: float

    def met(self, labs: dict[str, float]) -> bool:
        wanted = fold(self.lab)
        for name, number in labs.items():
            if fold(name) == wanted:
                return {
                    "lt": number < self.value,
                    "le": number <= self.value,
                    "gt": number > self.value,
                    "ge": number >= self.value,
                }[self.op]
        return False


class Requirement(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A treatment the protocol expects: one drug of `any_of` (substance names or "ATC:" class prefixes) among
    the patient's drugs, when every `when_diagnoses` prefix group is present; not a deviation when a
    contraindication is recorded (a diagnosis of `unless_diagnoses`, a lab limit of `unless_labs`, pregnancy with
    `unless_pregnant`, or an allergy to every option)."""

    id: str
    message: str
    any_of: list[str]
    severity: Severity = "info"
    when_diagnoses: list[str] = []
    unless_diagnoses: list[str] = []
    unless_labs: list[LabLimit] = []
    unless_pregnant: bool = False


class Suggestion(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: Literal["order", "drug"]
    text: str


class Protocol(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    name: str
    diagnoses: list[str]  # ICD-10 prefixes the protocol applies to
    suggestions: list[Suggestion]
    requirements: list[Requirement]
    source: str


class DrugFact(msgspec.Struct, frozen=True):
    substances: list[str]
    classes: list[str] = []  # ATC codes, any level


class ProtocolFacts(msgspec.Struct, frozen=True):
    diagnoses: list[str] = []
    drugs: list[DrugFact] = []
    allergies: list[str] = []  # substance names or "ATC:" classes
    pregnant: bool | None = None
    labs: dict[str, float] = {}


class Deviation(msgspec.Struct, frozen=True):
    protocol: str
    rule: str  # "protocol:<protocol id>:<requirement id>"
    severity: Severity
    message: str
    source: str


class ProtocolAdvice(msgspec.Struct, frozen=True):
    protocol: str
    name: str
    matched: list[str]  # the patient's diagnoses that brought the protocol in
    suggestions: list[Suggestion]
    deviations: list[Deviation]
    source: str


def _icd(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _has_diagnosis(diagnoses: Sequence[str], prefix: str) -> bool:
    wanted = _icd(prefix)
    return any(_icd(code).startswith(wanted) for code in diagnoses)


def _matches(option: str, drug: DrugFact) -> bool:
    text = option.strip()
    if text.upper().startswith("ATC:"):
        wanted = text[4:].strip().upper()
        return any(code.strip().upper().removeprefix("ATC:").startswith(wanted) for code in drug.classes)
    return fold(text) in {fold(name) for name in drug.substances}


def _allergic_to(option: str, allergies: Sequence[str]) -> bool:
    folded = {fold(a) for a in allergies}
    if fold(option) in folded:
        return True
    if option.upper().startswith("ATC:"):
        wanted = option[4:].strip().upper()
        return any(a.upper().startswith("ATC:") and wanted.startswith(a[4:].strip().upper()) for a in allergies)
    return False


def _contraindicated(requirement: Requirement, facts: ProtocolFacts) -> bool:
    if any(_has_diagnosis(facts.diagnoses, prefix) for prefix in requirement.unless_diagnoses):
        return True
    if any(limit.met(facts.labs) for limit in requirement.unless_labs):
        return True
    if requirement.unless_pregnant and facts.pregnant:
        return True
    return bool(requirement.any_of) and all(_allergic_to(option, facts.allergies) for option in requirement.any_of)


def _deviates(requirement: Requirement, facts: ProtocolFacts) -> bool:
    if not all(_has_diagnosis(facts.diagnoses, prefix) for prefix in requirement.when_diagnoses):
        return False
    satisfied = any(_matches(option, drug) for option in requirement.any_of for drug in facts.drugs)
    return not satisfied and not _contraindicated(requirement, facts)


def advise(protocols: Sequence[Protocol], facts: ProtocolFacts) -> list[ProtocolAdvice]:
    """The protocols that apply to the patient's diagnoses, each with its suggestions and deviations."""
    advice: list[ProtocolAdvice] = []
    for protocol in protocols:
        matched = [code for code in facts.diagnoses if any(_has_diagnosis([code], p) for p in protocol.diagnoses)]
        if not matched:
            continue
        deviations = [
            Deviation(protocol.id, f"protocol:{protocol.id}:{r.id}", r.severity, r.message, protocol.source)
            for r in protocol.requirements
            if _deviates(r, facts)
        ]
        advice.append(
            ProtocolAdvice(protocol.id, protocol.name, matched, protocol.suggestions, deviations, protocol.source)
        )
    return advice


def decode_protocols(data: bytes | str) -> list[Protocol]:
    return msgspec.json.decode(data, type=list[Protocol])


DIABETES = ["E10", "E11", "E12", "E13", "E14"]
ACE_OR_ARB = ["ATC:C09", "captopril", "enalapril", "lisinopril", "perindopril", "ramipril", "losartan",
              "valsartan", "irbesartan", "telmisartan", "candesartan"]  # fmt: skip


def default_protocols() -> list[Protocol]:
    """Community-acquired pneumonia (J13-J18), hypertension (I10-I15), type 2 diabetes (E11)."""
    return [
        Protocol(
            id="cap",
            name="Community-acquired pneumonia (adult)",
            diagnoses=["J13", "J14", "J15", "J16", "J18"],
            suggestions=[
                Suggestion("order", "Chest X-ray"),
                Suggestion("order", "Complete blood count, CRP"),
                Suggestion("order", "SpO2; severity score (CURB-65)"),
                Suggestion("order", "Sputum Gram stain and culture when treated in hospital"),
                Suggestion("drug", "Amoxicillin 1 g three times a day, 5 days (no comorbidity)"),
                Suggestion(
                    "drug", "Amoxicillin-clavulanate or a 2nd/3rd-generation cephalosporin + a macrolide (comorbidity)"
                ),
            ],
            requirements=[
                Requirement(
                    id="antibiotic",
                    message="Pneumonia without an antibiotic among the patient's drugs",
                    any_of=["ATC:J01"],
                    severity="warning",
                )
            ],
            source="BTS/IDSA-ATS community-acquired pneumonia guidance; Bộ Y tế hướng dẫn VPMPCĐ người lớn",
        ),
        Protocol(
            id="hypertension",
            name="Hypertension",
            diagnoses=["I10", "I11", "I12", "I13", "I15"],
            suggestions=[
                Suggestion("order", "Serum creatinine and eGFR, potassium, sodium"),
                Suggestion("order", "Fasting glucose or HbA1c, lipid panel"),
                Suggestion("order", "Urine albumin/creatinine ratio, ECG"),
                Suggestion("drug", "ACE inhibitor or ARB, calcium-channel blocker, or thiazide-like diuretic"),
            ],
            requirements=[
                Requirement(
                    id="diabetes_ace_arb",
                    message="Hypertension with diabetes without an ACE inhibitor or ARB",
                    any_of=ACE_OR_ARB,
                    severity="info",
                    when_diagnoses=["E1"],
                    # Hyperkalaemia, a history of angioedema, renovascular hypertension, pregnancy.
                    unless_diagnoses=["E87.5", "T78.3", "I15.0", "O"],
                    unless_pregnant=True,
                )
            ],
            source="ESH 2023 / ADA Standards of Care: ACE inhibitor or ARB first in diabetes",
        ),
        Protocol(
            id="t2dm",
            name="Type 2 diabetes",
            diagnoses=["E11"],
            suggestions=[
                Suggestion("order", "HbA1c every 3 months until at target"),
                Suggestion("order", "Serum creatinine and eGFR, urine albumin/creatinine ratio, lipid panel"),
                Suggestion("order", "Foot examination, retinal examination yearly"),
                Suggestion("drug", "Metformin first line unless contraindicated"),
            ],
            requirements=[
                Requirement(
                    id="metformin",
                    message="Type 2 diabetes without metformin and no contraindication recorded",
                    any_of=["metformin"],
                    severity="info",
                    # Severe renal failure, hepatic failure, metabolic acidosis, shock, pregnancy (insulin).
                    unless_diagnoses=["N18.4", "N18.5", "N17", "K72", "E87.2", "R57", "O"],
                    unless_labs=[
                        LabLimit("creatinine_clearance_ml_min", "lt", 30.0),
                        LabLimit("egfr", "lt", 30.0),
                    ],
                    unless_pregnant=True,
                )
            ],
            source="ADA Standards of Care 2024 §9; Bộ Y tế hướng dẫn ĐTĐ típ 2",
        ),
    ]
