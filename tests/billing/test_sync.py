"""A visit's account built from the care modules (criterion 35), on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import func, select

from his.app import installed_modules
from his.billing import api
from his.billing.models import Charge
from his.kernel.audit.models import AuditRecord
from his.kernel.errors import Conflict, NotFound
from his.kernel.runtime import Kernel, build_kernel
from his.pharmacy import api as pharmacy
from his.pharmacy.schemas import ReturnLineIn
from his.reception import api as reception
from his.settings import HospitalDefaults, Settings
from tests.billing.visits import (
    CASHIER,
    DESK,
    FACILITY,
    PHARMACIST,
    Patients,
    build_hospital,
    dispense,
    examine,
    fixed_clock,
    full_visit,
    prepared_visit,
    register_visit,
)
from tests.conftest import login

pytestmark = pytest.mark.criterion(35)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.hospital = HospitalDefaults(name="Bệnh viện Đa khoa Tỉnh (Test)", facility_code=FACILITY)
    return settings


@pytest.fixture
async def visit_kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
async def patients(visit_kernel: Kernel) -> Patients:
    return await build_hospital(visit_kernel)


async def sync(kernel: Kernel, code: str) -> api.AccountSummary:
    async with kernel.db.transaction() as session:
        return await api.sync_visit(session, kernel=kernel, actor=CASHIER, visit_code=code)


async def test_a_visit_account_holds_the_exam_and_each_dispensed_drug_split_by_the_card(
    visit_kernel: Kernel, patients: Patients
) -> None:
    code, dispensing = await full_visit(visit_kernel, patients.insured)
    account = await sync(visit_kernel, code)
    assert account.encounter_ref == code and account.patient_id == patients.insured
    payer = account.payer
    assert (payer.card_number, payer.benefit_level, payer.route) == ("DN4797912345678", 4, "registered")
    assert (payer.registered_facility, payer.hospital_level, payer.care_type) == (FACILITY, "provincial", "outpatient")
    lines = {line.code: line for line in account.lines}
    assert set(lines) == {"DV01001", "T0010", "T0001"}
    exam, augmentin, paracetamol = lines["DV01001"], lines["T0010"], lines["T0001"]
    assert exam.source_ref == "exam:DV01001" and exam.source_kind == "service"
    assert augmentin.source_ref == f"dispensing:{dispensing}:0" and augmentin.quantity == Decimal(20)
    assert paracetamol.source_ref == f"dispensing:{dispensing}:1" and paracetamol.quantity == Decimal(10)
    # Benefit level 4: the fund pays 80% of the BHYT price; the patient 20% and the exam's price difference.
    assert [d.percent for d in account.decisions] == [Decimal(80)]
    assert (exam.amount_hospital, exam.fund_pays, exam.patient_copay, exam.patient_other) == (
        45_000,
        33_680,
        8_420,
        2_900,
    )
    assert (augmentin.amount_hospital, augmentin.fund_pays, augmentin.patient_copay) == (330_000, 264_000, 66_000)
    assert augmentin.in_bhyt_list and augmentin.unit_price_bhyt == 16_500
    assert (paracetamol.fund_pays, paracetamol.patient_copay) == (13_120, 3_280)
    assert (account.totals.fund_pays, account.totals.patient_pays, account.due) == (310_800, 80_600, 80_600)


async def test_syncing_again_doubles_nothing(visit_kernel: Kernel, patients: Patients) -> None:
    code, _dispensing = await full_visit(visit_kernel, patients.insured)
    first = await sync(visit_kernel, code)
    second = await sync(visit_kernel, code)
    assert [line.charge_id for line in second.lines] == [line.charge_id for line in first.lines]
    assert second.totals == first.totals
    async with visit_kernel.db.transaction() as session:
        charges = await session.scalar(select(func.count()).select_from(Charge))
        posted = await session.scalar(
            select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "billing.charge.post")
        )
    assert charges == 3 and posted == 3


async def test_a_visit_without_a_card_pays_everything(visit_kernel: Kernel, patients: Patients) -> None:
    code, _dispensing = await full_visit(visit_kernel, patients.uninsured)
    account = await sync(visit_kernel, code)
    assert account.payer.benefit_level is None and account.payer.card_number is None
    assert account.totals.fund_pays == 0
    assert account.totals.patient_pays == account.totals.amount_hospital == 45_000 + 330_000 + 16_400


async def test_sync_before_the_pharmacy_then_after_adds_only_the_drugs(
    visit_kernel: Kernel, patients: Patients
) -> None:
    visit_id, code = await register_visit(visit_kernel, patients.insured)
    assert [line.code for line in (await sync(visit_kernel, code)).lines] == ["DV01001"]
    prescription = await examine(visit_kernel, visit_id)
    assert prescription is not None
    assert [line.code for line in (await sync(visit_kernel, code)).lines] == ["DV01001"]
    await dispense(visit_kernel, prescription, [("T0010", 20), ("T0001", 10)])
    assert sorted(line.code for line in (await sync(visit_kernel, code)).lines) == ["DV01001", "T0001", "T0010"]


async def test_drugs_returned_before_payment_lower_the_charge(visit_kernel: Kernel, patients: Patients) -> None:
    code, dispensing = await full_visit(visit_kernel, patients.insured)
    await sync(visit_kernel, code)
    async with visit_kernel.db.transaction() as session:
        given = await pharmacy.get_dispensing(session, dispensing_id=dispensing)
        paracetamol = next(line for line in given.lines if line.drug_code == "T0001")
        await pharmacy.return_dispensed(
            session,
            visit_kernel.clock,
            dispensing_id=dispensing,
            lines=[ReturnLineIn(paracetamol.id, paracetamol.quantity)],
            actor=PHARMACIST,
            reason="Không dùng",
        )
        augmentin = next(line for line in given.lines if line.drug_code == "T0010")
        await pharmacy.return_dispensed(
            session,
            visit_kernel.clock,
            dispensing_id=dispensing,
            lines=[ReturnLineIn(augmentin.id, 5)],
            actor=PHARMACIST,
        )
    account = await sync(visit_kernel, code)
    assert {line.code: line.quantity for line in account.lines} == {"DV01001": Decimal(1), "T0010": Decimal(15)}


async def test_an_unknown_or_cancelled_visit_is_refused(visit_kernel: Kernel, patients: Patients) -> None:
    with pytest.raises(NotFound):
        await sync(visit_kernel, "79001202603020000999")
    visit_id, code = await register_visit(visit_kernel, patients.insured)
    async with visit_kernel.db.transaction() as session:
        await reception.change_status(
            session, visit_kernel.clock, DESK, visit_id=visit_id, status="cancelled", reason="Bệnh nhân về"
        )
    with pytest.raises(Conflict):
        await sync(visit_kernel, code)


def test_the_cashier_scans_a_visit_code_and_collects(settings: Settings, client: TestClient[Litestar]) -> None:
    code = asyncio.run(prepared_visit(settings))
    csrf = login(client, "thungan")
    scanned = client.post("/billing/scan", data={"q": f" {code} ", "_csrf": csrf}, follow_redirects=False)
    assert scanned.status_code == 303 and scanned.headers["location"] == f"/billing?q={code}"
    page = client.get(scanned.headers["location"])
    assert page.status_code == 200
    assert "Augmentin 875 mg + 125 mg" in page.text and "80.600" in page.text
    collected = client.post(
        f"/billing/accounts/{code}/collect",
        data={"payment_method": "cash", "expected_amount": "80600", "_csrf": csrf},
        follow_redirects=False,
    )
    assert collected.status_code == 303 and "notice=collected" in collected.headers["location"]
    again = client.post("/billing/scan", data={"q": code, "_csrf": csrf}, follow_redirects=False)
    assert again.status_code == 303
    account = client.get(f"/api/v1/billing/accounts/{code}").json()
    assert account["due"] == 0 and len(account["lines"]) == 3
    # Anything that is not a visit code is a plain search.
    other = client.post("/billing/scan", data={"q": "BN00000001", "_csrf": csrf}, follow_redirects=False)
    assert other.headers["location"] == "/billing?q=BN00000001"


def test_the_sync_api_answers_the_account(settings: Settings, client: TestClient[Litestar]) -> None:
    code = asyncio.run(prepared_visit(settings))
    csrf = login(client, "thungan")
    response = client.post(f"/api/v1/billing/visits/{code}/sync", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    assert response.json()["totals"]["patient_pays"] == 80_600
    login(client, "bacsi")
    assert client.post(f"/api/v1/billing/visits/{code}/sync").status_code == 403
