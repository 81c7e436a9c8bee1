"""Fixtures of the patient registry tests: a kernel whose clock stands still on a known day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from his.app import installed_modules
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import sync_roles
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.patients.schemas import InsuranceCardIn, PatientIn
from his.settings import Settings

# 09:00 in Viet Nam on 2 March 2026.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
ACTOR = AuditActor(user_id=None, username="letan", role="receptionist", client_ip=None, request_id=None)


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), FixedClock(NOW))
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
    try:
        yield built
    finally:
        await built.db.dispose()


def card(number: str = "DN4797912345678", **changes: Any) -> InsuranceCardIn:
    values: dict[str, Any] = {
        "card_number": number,
        "valid_from": date(2026, 1, 1),
        "valid_to": date(2026, 12, 31),
        "initial_facility_code": "79999",
    }
    values.update(changes)
    return InsuranceCardIn(**values)


def person(**changes: Any) -> PatientIn:
    """Nguyễn Văn An, born 1 May 1990, unless told otherwise."""
    values: dict[str, Any] = {
        "sex": "M",
        "full_name": "Nguyễn Văn An",
        "birth_date": date(1990, 5, 1),
        "phone": "0903 123 456",
        "cccd": "079090123456",
        "address_line": "12 Lê Lợi",
        "province_code": "79",
        "district_code": "760",
        "ward_code": "26734",
    }
    values.update(changes)
    return PatientIn(**values)
