"""The pure mapping from a visit's Structs to the claim input: codes, dosage text, billing against the formulas."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from his.billing.schemas import LineOut
from his.claims import mapping
from his.outpatient.schemas import LineOut as PrescribedLine

pytestmark = pytest.mark.criterion(36)


def test_diagnosis_codes_lose_the_dagger_and_asterisk_marks() -> None:
    assert mapping.plain_code("A39.0†") == "A39.0"
    assert mapping.plain_code("G01*") == "G01"
    assert mapping.plain_code(" J06.9 ") == "J06.9"


def test_the_dosage_is_written_per_time_times_a_day_days_and_per_day() -> None:
    line = PrescribedLine(
        position=0,
        drug_code="T0001",
        drug_name="Paracetamol 500 mg",
        substances="Paracetamol 500 mg",
        drug_class="",
        form="Viên nén",
        route="Uống",
        unit="Viên",
        dose_per_time=Decimal("0.50"),
        times_per_day=3,
        days=5,
        quantity=8,
        instructions="",
        usage="Ngày uống 3 lần, mỗi lần 0,5 viên",
    )
    assert mapping.dosage_text(line) == "0.5 viên/lần * 3 lần/ngày * 5 ngày [1.5 viên/ngày]"


def test_the_packaged_code_lists_read() -> None:
    codes = mapping.load_codes()
    assert codes.routes["registered"] == "1.1"
    assert codes.drug_routes["uống"] == "1.01"
    assert (codes.cost_groups["drug"], codes.cost_groups["Khám bệnh"]) == (4, 13)
    assert set(codes.routes) == {"registered", "referral", "transfer", "emergency", "wrong"}


def _line(*, amount: int, fund: int, copay: int, other: int) -> LineOut:
    return LineOut(
        charge_id=1,
        source_kind="service",
        code="DV01001",
        name="Khám Nội",
        service_date=date(2026, 3, 2),
        quantity=Decimal(1),
        unit_price_hospital=amount,
        unit_price_bhyt=amount - other,
        in_bhyt_list=True,
        amount_hospital=amount,
        amount_bhyt=amount - other,
        fund_pays=fund,
        patient_copay=copay,
        patient_other=other,
        patient_pays=copay + other,
        receipt_id=None,
    )


def test_billing_rounded_to_the_dong_agrees_with_the_formula_to_the_cent() -> None:
    # 38,701 x 80% = 30,960.80: billing rounds to 30,961, the claim says 30960.80; less than a dong apart.
    line = _line(amount=38_701, fund=30_961, copay=7_740, other=0)
    assert mapping.cross_check("XML3", 1, line, Decimal(38_701), Decimal(38_701), 80) == []


def test_a_fund_share_the_formula_does_not_give_is_refused_on_its_field() -> None:
    # A capped high-technology service: the fund paid less than MUC_HUONG of THANH_TIEN_BH.
    line = _line(amount=100_000, fund=50_000, copay=50_000, other=0)
    refusals = mapping.cross_check("XML3", 2, line, Decimal(100_000), Decimal(100_000), 80)
    assert [(r.table, r.field, r.line) for r in refusals] == [("XML3", "T_BHTT", 2), ("XML3", "T_BNCCT", 2)]
    assert refusals[0].message() == "Billing's 50000 dong differs from 80000.00, the decision's formula"
