"""Tables of the patient registry. Private to the module: other modules use his.patients.api."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class PatientCounter(Base):
    """Counters that hand out patient codes. One row per counter name ("patient_code"); incremented with
    UPDATE ... RETURNING, whose row lock (PostgreSQL) or write lock (SQLite) makes concurrent registrations
    take distinct numbers, and whose rollback leaves no gap."""

    __tablename__ = "patients_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class Patient(Base):
    __tablename__ = "patients_patient"
    __table_args__ = (
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
        CheckConstraint("identity_status IN ('confirmed', 'temporary')", name="identity_status"),
        CheckConstraint(
            "temporary_reason IS NULL OR temporary_reason IN ('newborn', 'foreigner', 'unidentified_emergency')",
            name="temporary_reason",
        ),
        # One living record per CCCD; merged records hand their CCCD to the record they were merged into.
        Index("uq_patients_patient_cccd", "cccd", unique=True),
        Index("ix_patients_patient_search_name", "search_name"),
        Index("ix_patients_patient_phone", "phone"),
        Index("ix_patients_patient_name_birth", "search_name", "birth_year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200))  # folded: lower case, no accents
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    birth_year_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    sex: Mapped[str] = mapped_column(String(1))
    ethnicity_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    nationality_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    occupation_code: Mapped[str | None] = mapped_column(String(10), nullable=True)
    cccd: Mapped[str | None] = mapped_column(String(12), nullable=True)
    passport: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(15), nullable=True)
    address_line: Mapped[str | None] = mapped_column(String(300), nullable=True)
    province_code: Mapped[str | None] = mapped_column(String(2), nullable=True)
    district_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    ward_code: Mapped[str | None] = mapped_column(String(5), nullable=True)
    guardian_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    guardian_relation: Mapped[str | None] = mapped_column(String(50), nullable=True)
    guardian_phone: Mapped[str | None] = mapped_column(String(15), nullable=True)
    guardian_cccd: Mapped[str | None] = mapped_column(String(12), nullable=True)
    identity_status: Mapped[str] = mapped_column(String(12))
    temporary_reason: Mapped[str | None] = mapped_column(String(30), nullable=True)
    # A newborn's mother, when she is a patient here too.
    mother_id: Mapped[int | None] = mapped_column(ForeignKey("patients_patient.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients_patient.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InsuranceCard(Base):
    """One BHYT card of a patient. A new card supersedes the open one (superseded_at set); history stays."""

    __tablename__ = "patients_insurance_card"
    __table_args__ = (
        Index("ix_patients_insurance_card_patient", "patient_id", "superseded_at"),
        Index("ix_patients_insurance_card_number", "card_number"),
        Index("ix_patients_insurance_card_social_insurance_number", "social_insurance_number"),
        CheckConstraint("benefit_level BETWEEN 1 AND 5", name="benefit_level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients_patient.id"))
    card_number: Mapped[str] = mapped_column(String(15))
    object_code: Mapped[str] = mapped_column(String(2))
    benefit_level: Mapped[int] = mapped_column(Integer)
    province_code: Mapped[str] = mapped_column(String(2))
    social_insurance_number: Mapped[str] = mapped_column(String(10))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    initial_facility_code: Mapped[str] = mapped_column(String(5))  # MA_DKBD
    five_years_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PatientMerge(Base):
    """Audit of a merge of duplicates: `source` now points to `target`."""

    __tablename__ = "patients_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("patients_patient.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("patients_patient.id"), index=True)
    source_code: Mapped[str] = mapped_column(String(12))
    target_code: Mapped[str] = mapped_column(String(12))
    cards_moved: Mapped[int] = mapped_column(Integer)
    merged_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    merged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
