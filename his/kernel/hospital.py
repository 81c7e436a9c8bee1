"""Hospital configuration (criterion 30): name, facility code (MACSKCB), address, logo, and the insurance number of
the head who signs the BHYT claims (MA_TTDV). One row."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from his.kernel.clock import Clock
from his.kernel.db import Base, UTCDateTime
from his.kernel.errors import InvalidInput
from his.settings import HospitalDefaults

FACILITY_CODE = re.compile(r"^\d{5}$")
# A social-insurance number (mã số BHXH) has 10 digits.
INSURANCE_NUMBER = re.compile(r"^\d{10}$")
LOGO_TYPES = {"image/png", "image/jpeg", "image/svg+xml"}
MAX_LOGO_BYTES = 512 * 1024


class HospitalConfig(Base):
    __tablename__ = "kernel_hospital"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    facility_code: Mapped[str] = mapped_column(String(5))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    # MA_TTDV of the claims: the social-insurance number of the head of the facility (or of the person authorised).
    head_insurance_number: Mapped[str] = mapped_column(String(10), default="", server_default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    logo_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


@dataclass(frozen=True, slots=True)
class HospitalInfo:
    name: str
    facility_code: str
    address: str
    phone: str
    has_logo: bool
    head_insurance_number: str = ""


async def get_hospital(session: AsyncSession, defaults: HospitalDefaults) -> HospitalInfo:
    row = await session.get(HospitalConfig, 1)
    if row is None:
        return HospitalInfo(defaults.name, defaults.facility_code, "", "", False, defaults.head_insurance_number)
    return HospitalInfo(
        row.name,
        row.facility_code,
        row.address,
        row.phone,
        row.logo is not None,
        row.head_insurance_number or defaults.head_insurance_number,
    )


async def get_logo(session: AsyncSession) -> tuple[bytes, str] | None:
    row = await session.get(HospitalConfig, 1)
    if row is None or row.logo is None or row.logo_type is None:
        return None
    return row.logo, row.logo_type


def validate_hospital(name: str, facility_code: str, head_insurance_number: str = "") -> None:
    if not name.strip():
        raise InvalidInput("The hospital name is required", field="name")
    if not FACILITY_CODE.match(facility_code.strip()):
        raise InvalidInput("The facility code (MACSKCB) has exactly 5 digits", field="facility_code")
    number = head_insurance_number.strip()
    if number and not INSURANCE_NUMBER.match(number):
        raise InvalidInput(
            "The social-insurance number of the head (MA_TTDV) has exactly 10 digits", field="head_insurance_number"
        )


async def update_hospital(
    session: AsyncSession,
    clock: Clock,
    defaults: HospitalDefaults,
    *,
    name: str,
    facility_code: str,
    address: str,
    phone: str,
    logo: tuple[bytes, str] | None = None,
    head_insurance_number: str | None = None,
) -> HospitalInfo:
    """`head_insurance_number` None keeps the stored one."""
    validate_hospital(name, facility_code, head_insurance_number or "")
    if logo is not None:
        content, content_type = logo
        if content_type not in LOGO_TYPES:
            raise InvalidInput("The logo must be a PNG, JPEG or SVG image", field="logo")
        if len(content) > MAX_LOGO_BYTES:
            raise InvalidInput("The logo must be smaller than 512 KB", field="logo")
    row = await session.get(HospitalConfig, 1)
    if row is None:
        row = HospitalConfig(id=1, name=defaults.name, facility_code=defaults.facility_code, address="", phone="")
        session.add(row)
    row.name = name.strip()
    row.facility_code = facility_code.strip()
    row.address = address.strip()
    row.phone = phone.strip()
    if head_insurance_number is not None:
        row.head_insurance_number = head_insurance_number.strip()
    if logo is not None:
        row.logo, row.logo_type = logo
    row.updated_at = clock.now()
    await session.flush()
    return await get_hospital(session, defaults)
