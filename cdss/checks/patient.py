"""Drug–diagnosis contraindications (ICD-10 prefixes) and pregnancy and lactation, for the new drugs."""

from __future__ import annotations

from cdss.checks.common import Resolved, severity_of
from cdss.knowledge import Knowledge
from cdss.types import Alert, CheckRequest, Patient

__all__ = ["diagnosis_alerts", "icd10_key", "is_lactating", "is_pregnant", "pregnancy_alerts"]

# ICD-10 codes that say the patient is pregnant (chapter XV "O", pregnant state Z33, supervision of pregnancy
# Z34–Z35, antenatal screening Z36) or breastfeeding (Z39.1 care of the lactating mother).
_PREGNANCY_PREFIXES = ("O", "Z33", "Z34", "Z35", "Z36")
_LACTATION_PREFIXES = ("Z391",)


def icd10_key(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


def is_pregnant(patient: Patient) -> bool:
    if patient.sex == "M":
        return False
    if patient.pregnant is not None:
        return patient.pregnant
    return any(icd10_key(code).startswith(_PREGNANCY_PREFIXES) for code in patient.diagnoses)


def is_lactating(patient: Patient) -> bool:
    if patient.sex == "M":
        return False
    if patient.lactating is not None:
        return patient.lactating
    return any(icd10_key(code).startswith(_LACTATION_PREFIXES) for code in patient.diagnoses)


def diagnosis_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    codes = [icd10_key(code) for code in request.patient.diagnoses]
    if not codes:
        return []
    alerts: dict[tuple[str, int], Alert] = {}
    for index, ids in enumerate(resolved.drugs[: resolved.new_count]):
        for substance in ids:
            for rule in knowledge.diagnosis.get(substance, ()):
                matched = [code for code in codes if code.startswith(rule.icd10_prefixes)]
                if matched and (rule.id, index) not in alerts:
                    alerts[(rule.id, index)] = Alert(
                        severity=severity_of(rule.tier),
                        kind="diagnosis",
                        substances=[knowledge.substances[substance].inn],
                        message=rule.message,
                        source=rule.source,
                        rule=rule.id,
                        drugs=[index],
                        params={"diagnosis": matched[0]},
                    )
    return list(alerts.values())


def pregnancy_alerts(knowledge: Knowledge, request: CheckRequest, resolved: Resolved) -> list[Alert]:
    pregnant, lactating = is_pregnant(request.patient), is_lactating(request.patient)
    if not (pregnant or lactating):
        return []
    alerts: dict[tuple[str, int], Alert] = {}
    for index, ids in enumerate(resolved.drugs[: resolved.new_count]):
        for substance in ids:
            for rule in knowledge.pregnancy.get(substance, ()):
                for state, tier in (
                    ("pregnancy", rule.pregnancy if pregnant else None),
                    ("lactation", rule.lactation if lactating else None),
                ):
                    if tier is None:
                        continue
                    rule_id = rule.id if state == "pregnancy" else rule.id.replace("pregnancy:", "lactation:", 1)
                    alerts.setdefault(
                        (rule_id, index),
                        Alert(
                            severity=severity_of(tier),
                            kind="pregnancy",
                            substances=[knowledge.substances[substance].inn],
                            message=rule.message,
                            source=rule.source,
                            rule=rule_id,
                            drugs=[index],
                        ),
                    )
    return list(alerts.values())
