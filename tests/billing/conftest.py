"""Billing fixtures: a kernel on a fixed clock with the packaged policy and one receipt book, on both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from his.app import installed_modules
from his.billing import api, service
from his.billing.schemas import AccountIn, ChargeIn, PayerFacts
from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import sync_roles
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.settings import Settings

# 09:00 in Viet Nam on 2 March 2025.
START = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
DAY = date(2025, 3, 2)
CASHIER = AuditActor(user_id=None, username="thungan", role="cashier", client_ip=None, request_id="test")
SYSTEM = AuditActor(user_id=None, username="test", role="system", client_ip=None, request_id="test")


@pytest.fixture
async def billing_kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), FixedClock(START))
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
        await service.import_policy(
            built,
            session,
            SYSTEM,
            text=service.packaged_policy_path().read_text(encoding="utf-8"),
            source_name="bhyt_policy.csv",
        )
        await service.create_book(built, session, SYSTEM, code="BL01", symbol="BL/25")
    try:
        yield built
    finally:
        await built.db.dispose()


def payer(**changes: object) -> PayerFacts:
    values: dict[str, object] = {
        "route": "registered",
        "hospital_level": "provincial",
        "care_type": "outpatient",
        "card_number": "DN4797912345678",
        "benefit_level": 4,
        "card_valid_from": date(2025, 1, 1),
        "card_valid_to": date(2025, 12, 31),
        "registered_facility": "79001",
    }
    values.update(changes)
    return PayerFacts(**values)  # type: ignore[arg-type]


def charge(
    code: str = "KB01",
    price: int = 500_000,
    bhyt: int | None = 500_000,
    *,
    quantity: str = "1",
    day: date = DAY,
    kind: str = "service",
) -> ChargeIn:
    return ChargeIn(
        source_kind=kind,  # type: ignore[arg-type]
        code=code,
        name=f"Dịch vụ {code}",
        quantity=Decimal(quantity),
        unit_price_hospital=price,
        unit_price_bhyt=bhyt,
        in_bhyt_list=bhyt is not None,
        service_date=day,
    )


async def open_with_charges(
    kernel: Kernel, ref: str, *charges: ChargeIn, patient_id: int = 1, **payer_changes: object
) -> None:
    async with kernel.db.transaction() as session:
        await api.open_account(
            session,
            kernel=kernel,
            actor=SYSTEM,
            data=AccountIn(
                encounter_ref=ref,
                patient_id=patient_id,
                patient_code=f"BN{patient_id:06d}",
                patient_name="Nguyễn Văn An",
                payer=payer(**payer_changes),
            ),
        )
        for item in charges:
            await api.post_charge(session, kernel=kernel, actor=SYSTEM, encounter_ref=ref, charge=item)
