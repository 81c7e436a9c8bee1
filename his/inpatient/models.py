"""Tables of the inpatient module (prefix inpatient_). Private to the module."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.db import Base, UTCDateTime

_OPEN = text("released_at IS NULL")


class Ward(Base):
    """A ward (buồng/phòng bệnh) of a clinical department; beds belong to it."""

    __tablename__ = "inpatient_ward"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Bed(Base):
    """A bed. `status` is what the board shows; occupancy rows are the truth about who lies in it."""

    __tablename__ = "inpatient_bed"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("inpatient_ward.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # standard | icu | recovery | ...
    service_code: Mapped[str] = mapped_column(String(40))  # the bed-day service of the catalog
    status: Mapped[str] = mapped_column(String(16))  # free | occupied | cleaning | reserved | out_of_service
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Stay(Base):
    """One inpatient stay (đợt điều trị nội trú): admission to discharge. `code` is the MA_LK of its claim."""

    __tablename__ = "inpatient_stay"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[str] = mapped_column(String(16))  # outpatient | emergency | direct
    source_visit_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    department_code: Mapped[str] = mapped_column(String(32), index=True)  # the current department
    doctor: Mapped[str] = mapped_column(String(64))
    doctor_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # admitted | discharged
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    admission_icd10: Mapped[str] = mapped_column(String(16))
    admission_diagnosis: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(500))
    card_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 2), nullable=True)  # on admission (XML1 CAN_NANG)
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    discharge_icd10: Mapped[str | None] = mapped_column(String(16), nullable=True)
    discharge_diagnosis: Mapped[str | None] = mapped_column(String(500), nullable=True)
    treatment_method: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    discharge_note: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(1), nullable=True)  # KET_QUA_DTRI 1..7
    discharge_kind: Mapped[str | None] = mapped_column(String(1), nullable=True)  # MA_LOAI_RV 1..5
    bed_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    discharged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    discharged_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Occupancy(Base):
    """A stay lying in a bed from `started_at` to `released_at` (open while NULL): the transfer history.
    The partial unique indexes make the database refuse a second open occupancy of one bed, or of one stay."""

    __tablename__ = "inpatient_occupancy"
    __table_args__ = (
        Index("uq_inpatient_occupancy_bed_open", "bed_id", unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN),
        Index("uq_inpatient_occupancy_stay_open", "stay_id", unique=True, sqlite_where=_OPEN, postgresql_where=_OPEN),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("inpatient_stay.id"), index=True)
    bed_id: Mapped[int] = mapped_column(ForeignKey("inpatient_bed.id"), index=True)
    department_code: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    release_reason: Mapped[str | None] = mapped_column(String(16), nullable=True)  # transfer | discharge
    by_user: Mapped[str] = mapped_column(String(64))


class SheetEntry(Base):
    """One entry of the treatment sheet (tờ điều trị) of a day: progress note, vital signs and the day's
    care and medication orders as written (lab and imaging orders come from his.orders)."""

    __tablename__ = "inpatient_sheet_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("inpatient_stay.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    progress: Mapped[str] = mapped_column(Text, default="")
    care_orders: Mapped[str] = mapped_column(Text, default="")
    pulse: Mapped[int | None] = mapped_column(Integer, nullable=True)
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(3, 1), nullable=True)
    systolic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    diastolic: Mapped[int | None] = mapped_column(Integer, nullable=True)
    respiratory_rate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    spo2: Mapped[int | None] = mapped_column(Integer, nullable=True)


class MedicationOrder(Base):
    """A medication order of the stay (y lệnh thuốc): a catalog drug, dose, times a day and route from
    `start_day` for `days` days, unless stopped earlier. Checked by decision support before it is written;
    `alerts` keeps what the doctor saw (JSON list, hard stops with their override reason)."""

    __tablename__ = "inpatient_medication_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("inpatient_stay.id"), index=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    drug_code: Mapped[str] = mapped_column(String(40))
    drug_name: Mapped[str] = mapped_column(String(300))
    substances: Mapped[str] = mapped_column(String(500))  # "substance strength + substance strength"
    unit: Mapped[str] = mapped_column(String(32))
    route: Mapped[str] = mapped_column(String(64))
    dose_per_time: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    times_per_day: Mapped[int] = mapped_column(Integer)
    start_day: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    instructions: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)  # active | stopped
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ordered_by: Mapped[str] = mapped_column(String(64))
    ordered_by_name: Mapped[str] = mapped_column(String(200))
    alerts: Mapped[str] = mapped_column(Text, default="[]")
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stopped_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    stop_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
