"""The shapes the decision module shows the world (JSON API, other modules). Never ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

Severity = Literal["hard_stop", "warning", "info"]


class AllergyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    substance: str
    reaction: str = ""
    severity: Literal["mild", "moderate", "severe", "unknown"] = "unknown"


class AllergyOut(msgspec.Struct, frozen=True):
    id: int
    patient_id: int
    substance: str
    reaction: str
    severity: str
    recorded_by: str
    recorded_at: datetime


class AllergyList(msgspec.Struct, frozen=True):
    patient_id: int
    known: bool  # False: nobody has asked yet (no record, no "no known allergy")
    allergies: list[AllergyOut]


class RemoveIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: str


class LocalRuleIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    first: str
    second: str
    tier: Literal["contraindicated", "avoid", "precaution", "note"]
    message: str
    source: str = ""


class LocalRuleOut(msgspec.Struct, frozen=True):
    id: int
    rule: str  # the engine's rule id ("local:R<id>")
    first: str
    second: str
    tier: str
    message: str
    source: str
    active: bool
    updated_by: str
    updated_at: datetime


class KnowledgeOut(msgspec.Struct, frozen=True):
    version: str
    local_rules: int
    recorded_at: datetime | None
    unmapped: list[str]  # catalog substances the engine cannot map


class RuleStat(msgspec.Struct, frozen=True):
    rule: str
    severity: str
    kind: str
    message: str
    fired: int
    overridden: int
    dismissed: int
    override_rate: float


class ReviewOut(msgspec.Struct, frozen=True):
    id: int
    prescription_code: str
    prescription_id: int
    patient_id: int
    patient_name: str
    doctor: str
    signed_at: datetime
    summary: str
    status: str
    reviewed_by: str | None
    reviewed_at: datetime | None
    note: str
    source_url: str = ""  # an inpatient medication order: its stay page ("" for a prescription)


class ReviewIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    note: str = ""


class DismissIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    key: str
    rule: str
    severity: Severity
    kind: str
    message: str
    source: str
    reason: str = ""


class TemplateIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    definition: dict[str, Any]  # cdss.templates.AlertTemplate
    cases: list[dict[str, Any]]  # cdss.templates.TemplateCase


class TemplateOut(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    status: str
    definition: dict[str, Any]
    cases: list[dict[str, Any]]
    problems: list[str]  # why it cannot be activated (empty: it can)
    updated_by: str
    updated_at: datetime


class ScreeningFindingOut(msgspec.Struct, frozen=True):
    patient_id: int
    severity: str
    kind: str
    rule: str
    substances: str
    drugs: str
    message: str
    source: str


class ScreeningRunOut(msgspec.Struct, frozen=True):
    id: int
    started_at: datetime
    duration_ms: int
    knowledge_version: str
    trigger: str
    started_by: str
    patients: int
    drugs: int
    findings: int
    hard_stops: int


class ScreeningOut(msgspec.Struct, frozen=True):
    run: ScreeningRunOut | None
    findings: list[ScreeningFindingOut]


class CheckLineIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    drug_code: str
    dose_per_time: str = ""
    times_per_day: str = ""


class AlertOut(msgspec.Struct, frozen=True):
    key: str
    rule: str
    severity: Severity
    kind: str
    message: str
    source: str


# ---------------------------------------------------------------- CDS Hooks (https://cds-hooks.org, 2.0 shapes)


class CdsService(msgspec.Struct, frozen=True):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str] = {}


class CdsDiscovery(msgspec.Struct, frozen=True):
    services: list[CdsService]


class CdsRequest(msgspec.Struct, frozen=True):
    hook: str
    hookInstance: str  # the CDS Hooks field name
    context: dict[str, Any]
    prefetch: dict[str, Any] = {}


class CdsSource(msgspec.Struct, frozen=True):
    label: str


class CdsCard(msgspec.Struct, frozen=True):
    uuid: str
    summary: str
    detail: str
    indicator: Literal["info", "warning", "critical"]
    source: CdsSource


class CdsResponse(msgspec.Struct, frozen=True):
    cards: list[CdsCard]
