"""Tables of the outpatient module: the examination, its diagnoses and its prescriptions. Private."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime


class Encounter(Base):
    """One outpatient examination: one per reception visit."""

    __tablename__ = "outpatient_encounter"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(Integer, unique=True)
    visit_code: Mapped[str] = mapped_column(String(40))  # MA_LK of the claim
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    room_code: Mapped[str] = mapped_column(String(32))
    doctor: Mapped[str] = mapped_column(String(64))  # username
    doctor_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # open | finished
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(500), default="")
    history: Mapped[str] = mapped_column(Text, default="")
    exam_notes: Mapped[str] = mapped_column(Text, default="")
    # Vital signs, each in the unit its name says.
    pulse: Mapped[int | None] = mapped_column(Integer, nullable=True)  # beats/min
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(3, 1), nullable=True)  # °C
    systolic: Mapped[int | None] = mapped_column(Integer, nullable=True)  # mmHg
    diastolic: Mapped[int | None] = mapped_column(Integer, nullable=True)  # mmHg
    respiratory_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)  # breaths/min
    spo2: Mapped[int | None] = mapped_column(Integer, nullable=True)  # %
    height_cm: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), nullable=True)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    bmi: Mapped[Decimal | None] = mapped_column(Numeric(4, 1), nullable=True)  # computed from height and weight
    pregnant: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    disposition: Mapped[str | None] = mapped_column(String(16), nullable=True)  # home | admit | transfer | follow_up
    follow_up_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    disposition_note: Mapped[str] = mapped_column(String(300), default="")


class Diagnosis(Base):
    __tablename__ = "outpatient_diagnosis"
    __table_args__ = (
        UniqueConstraint("encounter_id", "position"),
        UniqueConstraint("encounter_id", "icd10_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("outpatient_encounter.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0 = the main diagnosis, then the secondary ones in order
    icd10_code: Mapped[str] = mapped_column(String(16))  # as the catalog writes it ("A17.0†")
    is_main: Mapped[bool] = mapped_column(Boolean)
    text: Mapped[str] = mapped_column(String(500))  # the doctor's wording; defaults to the ICD-10 name


class Prescription(Base):
    """A signed prescription with the patient's details as printed (a snapshot: later edits of the patient's
    record do not change a prescription already issued)."""

    __tablename__ = "outpatient_prescription"

    id: Mapped[int] = mapped_column(primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("outpatient_encounter.id"), index=True)
    code: Mapped[str] = mapped_column(String(14), unique=True)  # the national prescription code
    type_letter: Mapped[str] = mapped_column(String(1))  # N | H | C
    status: Mapped[str] = mapped_column(String(16))  # issued | cancelled
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    doctor: Mapped[str] = mapped_column(String(64))
    doctor_name: Mapped[str] = mapped_column(String(200))
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    patient_code: Mapped[str] = mapped_column(String(40))
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    birth_year: Mapped[int] = mapped_column(Integer)
    age_months: Mapped[int | None] = mapped_column(Integer, nullable=True)  # under 72 months only
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)
    personal_id: Mapped[str | None] = mapped_column(String(20), nullable=True)  # CCCD (or passport)
    adult_name: Mapped[str | None] = mapped_column(String(200), nullable=True)  # accompanying a young child
    adult_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str] = mapped_column(String(300), default="")
    card_number: Mapped[str | None] = mapped_column(String(15), nullable=True)
    diagnosis_text: Mapped[str] = mapped_column(String(2000))
    advice: Mapped[str] = mapped_column(String(1000), default="")
    follow_up_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # When the national prescription system acknowledged it (the connection comes later).
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PrescriptionLine(Base):
    __tablename__ = "outpatient_prescription_line"
    __table_args__ = (UniqueConstraint("prescription_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(
        ForeignKey("outpatient_prescription.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    drug_code: Mapped[str] = mapped_column(String(40))
    drug_name: Mapped[str] = mapped_column(String(500))
    substances: Mapped[str] = mapped_column(String(500))  # "Amoxicilin 500 mg + Acid clavulanic 125 mg"
    drug_class: Mapped[str] = mapped_column(String(1))  # N | H | C
    form: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50))  # the dispensing unit
    dose_per_time: Mapped[Decimal] = mapped_column(Numeric(8, 3))  # in dispensing units
    times_per_day: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # dispensing units
    instructions: Mapped[str] = mapped_column(String(300), default="")


class PrescriptionOverride(Base):
    """A decision-support hard stop the doctor signed past, with the reason given."""

    __tablename__ = "outpatient_prescription_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    prescription_id: Mapped[int] = mapped_column(
        ForeignKey("outpatient_prescription.id", ondelete="CASCADE"), index=True
    )
    alert_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(500))
    overridden_by: Mapped[str] = mapped_column(String(64))
    overridden_at: Mapped[datetime] = mapped_column(UTCDateTime)
