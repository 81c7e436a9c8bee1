"""Catalog tables. Every row is one version of one code, in force from valid_from (inclusive) to valid_to
(exclusive; NULL = still in force). At most one version per code is open (valid_to IS NULL).

Private to the module: other modules read catalogs through his.catalogs.api.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from his.kernel.db import Base

_OPEN = text("valid_to IS NULL")
# Prices are whole dong; BIGINT on PostgreSQL, INTEGER (64-bit anyway) on SQLite.
Money = BigInteger().with_variant(Integer, "sqlite")


class CatalogRow:
    """Columns every catalog table has."""

    __tablename__: str

    # sort_order puts the shared columns first in every table, before the kind's own.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-6)
    code: Mapped[str] = mapped_column(String(40), sort_order=-5)
    name: Mapped[str] = mapped_column(String(500), sort_order=-4)
    search_text: Mapped[str] = mapped_column(Text, sort_order=-3)
    valid_from: Mapped[date] = mapped_column(Date, sort_order=-2)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True, sort_order=-1)

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:
        table = cls.__tablename__
        return (
            Index(f"ix_{table}_code_valid_from", "code", "valid_from"),
            Index(f"ix_{table}_search_text", "search_text"),
            # One open version per code: the database refuses a second one whatever the code does.
            Index(
                f"uq_{table}_code_open",
                "code",
                unique=True,
                sqlite_where=_OPEN,
                postgresql_where=_OPEN,
            ),
        )


class Icd10Code(CatalogRow, Base):
    """ICD-10 (QĐ 4469/QĐ-BYT) with its validity lists; `name` is the Vietnamese name."""

    __tablename__ = "catalogs_icd10"

    code_plain: Mapped[str] = mapped_column(String(16), index=True)
    name_en: Mapped[str | None] = mapped_column(String(500), nullable=True)
    chapter_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    group_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    type_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sex: Mapped[str | None] = mapped_column(String(1), nullable=True)
    min_age_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_age_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_asterisk: Mapped[bool] = mapped_column(Boolean)
    is_dagger: Mapped[bool] = mapped_column(Boolean)
    never_main: Mapped[bool] = mapped_column(Boolean)


class Department(CatalogRow, Base):
    __tablename__ = "catalogs_department"

    bhyt_code: Mapped[str | None] = mapped_column(String(50), nullable=True)


class ClinicRoom(CatalogRow, Base):
    __tablename__ = "catalogs_clinic_room"

    department_code: Mapped[str] = mapped_column(String(40))


class Staff(CatalogRow, Base):
    """`name` is the full name."""

    __tablename__ = "catalogs_staff"

    title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    department_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    practising_certificate_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    role: Mapped[str] = mapped_column(String(40))


class Service(CatalogRow, Base):
    __tablename__ = "catalogs_service"

    group: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50))
    hospital_price: Mapped[int] = mapped_column(Money)
    bhyt_price: Mapped[int | None] = mapped_column(Money, nullable=True)
    bhyt_code: Mapped[str | None] = mapped_column(String(50), nullable=True)


class Drug(CatalogRow, Base):
    __tablename__ = "catalogs_drug"

    form: Mapped[str] = mapped_column(String(200))
    route: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(50))
    bhyt_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    price: Mapped[int] = mapped_column(Money)
    # What the BHYT claim (XML2) needs of each drug: SO_DANG_KY and TT_THAU ("decision;package;group;year").
    registration_number: Mapped[str | None] = mapped_column(String(255), nullable=True)
    tender: Mapped[str | None] = mapped_column(String(50), nullable=True)


class DrugSubstance(Base):
    """One active substance of one drug version, in the order the product names them."""

    __tablename__ = "catalogs_drug_substance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    drug_id: Mapped[int] = mapped_column(ForeignKey("catalogs_drug.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    substance: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str] = mapped_column(String(100))
    strength_value: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), nullable=True)
    strength_unit: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Supply(CatalogRow, Base):
    __tablename__ = "catalogs_supply"

    unit: Mapped[str] = mapped_column(String(50))
    price: Mapped[int] = mapped_column(Money)
    bhyt_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
