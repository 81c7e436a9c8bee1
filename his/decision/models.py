"""Tables of the decision module (prefix decision_). Private to the module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class Allergy(Base):
    """A patient's allergy or intolerance to a substance or a class, as the clinician recorded it."""

    __tablename__ = "decision_allergy"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    substance: Mapped[str] = mapped_column(String(200))  # substance (INN or Vietnamese) or class ("ATC:J01C")
    reaction: Mapped[str] = mapped_column(String(300), default="")
    severity: Mapped[str] = mapped_column(String(16))  # mild | moderate | severe | unknown
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    removed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)


class NoAllergyRecord(Base):
    """The patient was asked and has no known allergy (an empty list that means "none", not "not asked")."""

    __tablename__ = "decision_no_allergy"

    patient_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LocalRule(Base):
    """A hospital-local interaction rule, edited by the pharmacy; the engine's knowledge is rebuilt with it."""

    __tablename__ = "decision_local_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(String(200))
    second: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(16))  # contraindicated | avoid | precaution | note
    message: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KnowledgeVersion(Base):
    """Each knowledge base the hospital used: the engine's content hash after a local-rule change."""

    __tablename__ = "decision_knowledge_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(128))
    local_rules: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertEvent(Base):
    """An alert shown to a clinician and what became of it (shown, overridden, dismissed)."""

    __tablename__ = "decision_alert_event"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(200), index=True)
    alert_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))  # shown | overridden | dismissed
    patient_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    encounter: Mapped[str | None] = mapped_column(String(64), nullable=True)  # visit code
    prescription_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(300))
    username: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(500), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Keeps one row per (outcome, encounter or prescription, alert): showing the same alert again while the doctor
    # edits the draft does not inflate the statistics.
    dedupe_key: Mapped[str] = mapped_column(String(400))


class Review(Base):
    """A signed prescription, or an inpatient medication order, written over hard stops or after warnings: the
    pharmacist reviews it. `prescription_code` is the national prescription code, or "<stay code>/<order id>"."""

    __tablename__ = "decision_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_code: Mapped[str] = mapped_column(String(64), unique=True)
    prescription_id: Mapped[int] = mapped_column(Integer)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    patient_name: Mapped[str] = mapped_column(String(200))
    doctor: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text)  # the overridden alerts and their reasons
    status: Mapped[str] = mapped_column(String(16))  # pending | reviewed
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(String(1000), default="")
    # Where the pharmacist reads what was written (the stay page of an inpatient order; empty: the prescription).
    source_url: Mapped[str] = mapped_column(String(300), default="", server_default="")


class AlertTemplate(Base):
    """An alert the hospital wrote without code (cdss.templates), with the test cases it must pass."""

    __tablename__ = "decision_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    definition: Mapped[str] = mapped_column(Text)  # JSON of cdss.templates.AlertTemplate
    cases: Mapped[str] = mapped_column(Text)  # JSON list of cdss.templates.TemplateCase
    status: Mapped[str] = mapped_column(String(16))  # draft | active | inactive
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ScreeningRun(Base):
    """One whole-hospital screening of the active medication lists."""

    __tablename__ = "decision_screening_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    knowledge_version: Mapped[str] = mapped_column(String(128))
    trigger: Mapped[str] = mapped_column(String(32))  # manual | command | knowledge_changed
    started_by: Mapped[str] = mapped_column(String(64))
    patients: Mapped[int] = mapped_column(Integer)
    drugs: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)
    hard_stops: Mapped[int] = mapped_column(Integer)


class ScreeningFinding(Base):
    __tablename__ = "decision_screening_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("decision_screening_run.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(String(200))
    substances: Mapped[str] = mapped_column(String(500))
    drugs: Mapped[str] = mapped_column(String(1000))  # the drugs and the prescriptions they come from
    message: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(300))


class SyncCursor(Base):
    """How far the module has read another module's records (the last prescription id taken in)."""

    __tablename__ = "decision_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
