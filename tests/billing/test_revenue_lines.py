"""billing.api.revenue_lines: the split of a period's live charges by payer, for statistics (criterion 42)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from his.billing import api
from his.billing.schemas import AccountIn, ChargeIn
from his.kernel.runtime import Kernel
from tests.billing.conftest import CASHIER, DAY, payer

pytestmark = [pytest.mark.criterion(42), pytest.mark.criterion(35)]


def _charge(day: date, price: int) -> ChargeIn:
    return ChargeIn(
        source_kind="service",
        code="KB01",
        name="Khám Nội",
        quantity=Decimal(1),
        unit_price_hospital=price,
        unit_price_bhyt=price,
        in_bhyt_list=True,
        service_date=day,
    )


async def test_revenue_lines_keep_only_the_period_and_live_charges(billing_kernel: Kernel) -> None:
    kernel = billing_kernel
    async with kernel.db.transaction() as session:
        await api.open_account(
            session,
            kernel=kernel,
            actor=CASHIER,
            data=AccountIn(encounter_ref="LK-R1", patient_id=1, patient_code="BN1", patient_name="A", payer=payer()),
        )
        await api.post_charge(session, kernel=kernel, actor=CASHIER, encounter_ref="LK-R1", charge=_charge(DAY, 500000))
        later = await api.post_charge(
            session, kernel=kernel, actor=CASHIER, encounter_ref="LK-R1", charge=_charge(date(2025, 3, 5), 100000)
        )
        cancelled = await api.post_charge(
            session, kernel=kernel, actor=CASHIER, encounter_ref="LK-R1", charge=_charge(DAY, 70000)
        )
        await api.cancel_charge(session, kernel=kernel, actor=CASHIER, charge_id=cancelled.id, reason="Nhầm")
        summary = await api.account_summary(session, kernel=kernel, encounter_ref="LK-R1")
        lines = await api.revenue_lines(session, kernel=kernel, date_from=DAY, date_to=DAY)
        none = await api.revenue_lines(session, kernel=kernel, date_from=date(2025, 4, 1), date_to=date(2025, 4, 30))
    assert later.id != cancelled.id
    expected = next(line for line in summary.lines if line.service_date == DAY)
    assert [(r.encounter_ref, r.service_date, r.fund_pays, r.patient_copay, r.patient_other) for r in lines] == [
        ("LK-R1", DAY, expected.fund_pays, expected.patient_copay, expected.patient_other)
    ]
    assert lines[0].fund_pays + lines[0].patient_copay + lines[0].patient_other == 500000
    assert none == []
