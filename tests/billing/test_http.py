"""Billing over HTTP: permissions of every role, the cashier page, receipts as PDF, shift report, policy."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.billing import service
from his.kernel.audit.service import AuditActor
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.billing.test_pdf import pdf_text
from tests.conftest import login

pytestmark = pytest.mark.criterion(35)

ACCOUNT = {
    "encounter_ref": "LK-HTTP-1",
    "patient_id": 12,
    "patient_code": "BN000012",
    "patient_name": "Trần Thị Bình",
    "payer": {
        "route": "registered",
        "hospital_level": "provincial",
        "care_type": "outpatient",
        "card_number": "DN4797912345678",
        "benefit_level": 4,
        "card_valid_from": "2020-01-01",
        "card_valid_to": "2099-12-31",
    },
}
CHARGE = {
    "source_kind": "service",
    "code": "KB01",
    "name": "Khám Nội",
    "quantity": "1",
    "unit_price_hospital": 500000,
    "unit_price_bhyt": 500000,
    "in_bhyt_list": True,
    "service_date": "2025-03-02",
}


async def _prepare(settings: Settings) -> None:
    kernel = build_kernel(settings, installed_modules())
    actor = AuditActor(user_id=None, username="test", role="system", client_ip=None, request_id=None)
    try:
        async with kernel.db.transaction() as session:
            await service.import_policy(
                kernel,
                session,
                actor,
                text=service.packaged_policy_path().read_text(encoding="utf-8"),
                source_name="bhyt_policy.csv",
            )
            await service.create_book(kernel, session, actor, code="BL01", symbol="BL/25")
    finally:
        await kernel.db.dispose()


@pytest.fixture
def billing_client(client: TestClient[Litestar], settings: Settings) -> TestClient[Litestar]:
    asyncio.run(_prepare(settings))
    return client


def open_account(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    assert client.post("/api/v1/billing/accounts", json=ACCOUNT, headers={"X-CSRF-Token": csrf}).status_code == 201
    posted = client.post("/api/v1/billing/accounts/LK-HTTP-1/charges", json=CHARGE, headers={"X-CSRF-Token": csrf})
    assert posted.status_code == 201, posted.text
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})


@pytest.mark.criterion(116)
def test_reception_posts_the_cashier_collects_and_the_pdf_prints(billing_client: TestClient[Litestar]) -> None:
    client = billing_client
    open_account(client)
    csrf = login(client, "thungan")
    account = client.get("/api/v1/billing/accounts/LK-HTTP-1").json()
    assert account["due"] == 100000 and account["decisions"][0]["percent"] == "80"
    refused = client.post(
        "/api/v1/billing/accounts/LK-HTTP-1/receipts",
        json={"payment_method": "cash", "expected_amount": 1},
        headers={"X-CSRF-Token": csrf},
    )
    assert refused.status_code == 409
    issued = client.post(
        "/api/v1/billing/accounts/LK-HTTP-1/receipts",
        json={"payment_method": "cash", "expected_amount": 100000},
        headers={"X-CSRF-Token": csrf},
    )
    assert issued.status_code == 201, issued.text
    receipt = issued.json()
    assert receipt["number_text"] == "0000001" and receipt["cashier_name"] == "Bùi Thị Giang"
    pdf = client.get(f"/api/v1/billing/receipts/{receipt['id']}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "0000001" in pdf_text(pdf.content)
    # Reads of a patient's fees are audited with the patient.
    audit = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert audit.status_code == 200
    login(client, "kiemtoan")
    rows = client.get("/api/v1/audit", params={"patient_id": "12"}).json()["items"]
    actions = {(r["action"], r["username"]) for r in rows}
    assert {
        ("patient.read", "thungan"),
        ("billing.receipt.issue", "thungan"),
        ("billing.charge.post", "letan"),
    } <= actions


@pytest.mark.parametrize(
    ("username", "read", "collect", "cancel", "policy"),
    [
        ("thungan", 200, 201, 200, 403),
        ("admin", 200, 403, 200, 200),
        ("kiemtoan", 200, 403, 403, 403),
        ("bacsi", 200, 403, 403, 403),
        ("dieuduong", 403, 403, 403, 403),
        ("duocsi", 403, 403, 403, 403),
    ],
)
def test_permissions_by_role(
    billing_client: TestClient[Litestar], username: str, read: int, collect: int, cancel: int, policy: int
) -> None:
    client = billing_client
    open_account(client)
    receipt_id = None
    if collect != 201:
        cashier = login(client, "thungan")
        receipt_id = client.post(
            "/api/v1/billing/accounts/LK-HTTP-1/receipts",
            json={"payment_method": "cash", "expected_amount": 100000},
            headers={"X-CSRF-Token": cashier},
        ).json()["id"]
        client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": cashier})
    csrf = login(client, username)
    headers = {"X-CSRF-Token": csrf}
    assert client.get("/api/v1/billing/accounts/LK-HTTP-1").status_code == read
    assert client.get("/api/v1/billing/shift").status_code == read
    assert client.get("/billing").status_code == read
    collected = client.post(
        "/api/v1/billing/accounts/LK-HTTP-1/receipts",
        json={"payment_method": "card", "expected_amount": 100000},
        headers=headers,
    )
    assert collected.status_code == collect
    if receipt_id is None:
        receipt_id = collected.json()["id"]
    cancelled = client.post(
        f"/api/v1/billing/receipts/{receipt_id}/cancel", json={"reason": "Thu nhầm"}, headers=headers
    )
    assert cancelled.status_code == cancel
    books = client.post("/api/v1/billing/books", json={"code": "BL02"}, headers=headers)
    assert books.status_code == (201 if policy == 200 else 403)
    upload = client.post(
        "/api/v1/billing/policy/import",
        files={"file": ("p.csv", service.packaged_policy_path().read_bytes(), "text/csv")},
        headers=headers,
    )
    assert upload.status_code == policy


def test_cashier_page_collects_and_cancels_through_forms(billing_client: TestClient[Litestar]) -> None:
    client = billing_client
    open_account(client)
    csrf = login(client, "thungan")
    page = client.get("/billing", params={"q": "BN000012"})
    assert page.status_code == 200
    assert 'data-testid="billing-account"' in page.text and "100.000" in page.text
    assert re.search(r'name="expected_amount" value="100000"', page.text)
    done = client.post(
        "/billing/accounts/LK-HTTP-1/collect",
        data={"_csrf": csrf, "payment_method": "cash", "expected_amount": "100000"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and "notice=collected" in done.headers["location"]
    after = client.get(done.headers["location"])
    assert 'data-testid="receipt-pdf"' in after.text and "BL01/0000001" in after.text
    # Collecting twice from a stale page says why instead of issuing a second receipt.
    stale = client.post(
        "/billing/accounts/LK-HTTP-1/collect",
        data={"_csrf": csrf, "payment_method": "cash", "expected_amount": "100000"},
    )
    assert stale.status_code == 200 and 'data-testid="billing-error"' in stale.text
    receipt_id = client.get("/api/v1/billing/accounts/LK-HTTP-1/receipts").json()[0]["id"]
    client.post(
        f"/billing/receipts/{receipt_id}/cancel",
        data={"_csrf": csrf, "reason": "Khách trả lại", "q": "LK-HTTP-1"},
    )
    shift: dict[str, Any] = client.get("/api/v1/billing/shift").json()
    assert shift["total"] == 0 and shift["cancelled"][0]["cancel_reason"] == "Khách trả lại"
    page = client.get("/billing/shift")
    assert page.status_code == 200 and "Khách trả lại" in page.text


def test_policy_page_lists_the_rules_in_force_with_sources(billing_client: TestClient[Litestar]) -> None:
    client = billing_client
    login(client, "kiemtoan")
    before = client.get("/billing/policy", params={"on": "2020-12-31"})
    after = client.get("/billing/policy", params={"on": "2021-01-01"})
    assert before.status_code == after.status_code == 200
    assert "Law 25/2008/QH12 art. 22(3)(b)" in before.text
    rules = client.get("/api/v1/billing/policy", params={"on": "2021-01-01"}).json()
    assert {r["rule_key"]: r["value"] for r in rules}["wrong_route.provincial.inpatient"] == 100
