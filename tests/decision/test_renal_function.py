"""Renal dose checks in the hospital (issue 5, item 3): the newest serum creatinine result of the last 90 days gives
the creatinine clearance (Cockcroft–Gault with the prescription's weight) that the renal rules read; an older
result, or a cancelled order's, is not used."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.kernel.runtime import build_kernel
from his.orders.models import Order, Result
from his.settings import Settings
from tests.decision.conftest import OUTPATIENT, as_user, line, open_visit
from tests.outpatient.conftest import Clinic

pytestmark = [pytest.mark.criterion(53)]
METFORMIN_RENAL = "Metformin is contraindicated when creatinine clearance is below 30 ml/min"


def add_creatinine(settings: Settings, patient_id: int, value: str, *, days_ago: int, status: str = "verified") -> None:
    async def write() -> None:
        kernel = build_kernel(settings, installed_modules())
        at = datetime.now(UTC) - timedelta(days=days_ago)
        try:
            async with kernel.db.transaction() as session:
                order = Order(
                    context_type="outpatient",
                    context_id=0,
                    visit_code=None,
                    patient_id=patient_id,
                    patient_code="BN",
                    patient_name="",
                    service_code="DV04010",
                    service_name="Định lượng Creatinin [Máu]",
                    category="lab",
                    priority="routine",
                    status=status,
                    ordered_by="bacsi",
                    ordered_by_name="",
                    ordered_at=at,
                    updated_at=at,
                    hospital_price=30000,
                    bhyt_price=None,
                )
                session.add(order)
                await session.flush()
                session.add(
                    Result(
                        order_id=order.id,
                        position=0,
                        code="CRE",
                        name="Creatinin",
                        kind="numeric",
                        value_numeric=Decimal(value),
                        unit="µmol/L",
                        entered_by="ktvxn",
                        entered_at=at,
                    )
                )
        finally:
            await kernel.db.dispose()

    asyncio.run(write())


def renal_messages(client: TestClient[Litestar], visit_id: int, headers: dict[str, str]) -> list[str]:
    body: dict[str, Any] = {"lines": [line("T0105", times=2)], "weight_kg": "60"}
    blocked = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers=headers)
    alerts = blocked.json().get("alerts", []) if blocked.status_code == 409 else blocked.json()["alerts"]
    return [a["message"] for a in alerts if a["kind"] == "dose" and "creatinine clearance" in a["message"]]


def test_a_recent_creatinine_result_drives_the_renal_check(
    client: TestClient[Litestar], clinic: Clinic, settings: Settings
) -> None:
    headers = {**as_user(client, "bacsi"), "accept-language": "en"}
    visit_id = open_visit(client, headers, codes=("E11.9",))
    # A cancelled order's result and one older than 90 days are not renal function today.
    add_creatinine(settings, clinic.man, "450", days_ago=1, status="cancelled")
    add_creatinine(settings, clinic.man, "450", days_ago=120)
    assert renal_messages(client, visit_id, headers) == []

    # 450 µmol/L at 46 years and 60 kg: (140 − 46) × 60 × 1.23 / 450 ≈ 15 ml/min, metformin contraindicated.
    add_creatinine(settings, clinic.man, "450", days_ago=2)
    messages = renal_messages(client, visit_id, headers)
    assert any(message.startswith(METFORMIN_RENAL) for message in messages), messages
