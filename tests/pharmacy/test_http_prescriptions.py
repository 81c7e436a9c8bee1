"""The pharmacist scans a prescription code on /pharmacy/dispense, sees it and dispenses it (criterion 34)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select

from his.app import installed_modules
from his.kernel.audit.models import AuditRecord
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import login
from tests.pharmacy.prescriptions import cancel, line, prescribe, stocked_clinic
from tests.pharmacy.support import OUTPATIENT, clock

pytestmark = pytest.mark.criterion(34)


@dataclass(frozen=True)
class Codes:
    patient_id: int
    page: str  # dispensed through the page
    api: str  # dispensed through the JSON API
    cancelled: str


async def _write(settings: Settings) -> Codes:
    kernel = build_kernel(settings, installed_modules(), clock())
    try:
        pharmacy = await stocked_clinic(kernel)
        visit = pharmacy.man_visit
        page = await prescribe(kernel, visit, line("T0001", 3, 4), line("T0002", 2, 5))
        api = await prescribe(kernel, visit, line("T0001", 1, 3))
        cancelled = await prescribe(kernel, visit, line("T0002", 1, 3))
        await cancel(kernel, cancelled, "Đổi thuốc")
        return Codes(pharmacy.clinic.man, page, api, cancelled)
    finally:
        await kernel.db.dispose()


@pytest.fixture
def codes(settings: Settings, staff: dict[str, str]) -> Codes:
    return asyncio.run(_write(settings))


async def _audit(settings: Settings, action: str) -> list[AuditRecord]:
    kernel = build_kernel(settings, installed_modules(), clock())
    try:
        async with kernel.db.transaction() as session:
            return list((await session.scalars(select(AuditRecord).where(AuditRecord.action == action))).all())
    finally:
        await kernel.db.dispose()


def post(client: TestClient[Litestar], csrf: str, code: str, body: Any = None) -> Any:
    return client.post(f"/api/v1/pharmacy/prescriptions/{code}/dispense", json=body, headers={"X-CSRF-Token": csrf})


def test_the_page_scans_shows_and_dispenses_a_prescription(
    client: TestClient[Litestar], codes: Codes, settings: Settings
) -> None:
    csrf = login(client, "duocsi")
    empty = client.get("/pharmacy/dispense")
    assert empty.status_code == 200
    scan_field = empty.text.split('name="code"', 1)[1].split(">", 1)[0]
    assert "data-scan" in scan_field and "autofocus" in scan_field

    shown = client.get("/pharmacy/dispense", params={"code": codes.page})
    assert shown.status_code == 200, shown.text
    for expected in ("Nguyễn Văn An", "Paracetamol 500 mg", "Amoxicilin 500 mg", "P-SOON", "P-LATE", "A-1", "J06.9"):
        assert expected in shown.text, expected
    assert 'data-testid="dispense-prescription"' in shown.text and 'data-testid="blocked"' not in shown.text
    reads = [r for r in asyncio.run(_audit(settings, "patient.read")) if r.object_id == codes.page]
    assert [r.patient_id for r in reads] == [str(codes.patient_id)]

    done = client.post(
        f"/pharmacy/prescriptions/{codes.page}/dispense", data={"_csrf": csrf, "warehouse_code": OUTPATIENT}
    )
    assert done.status_code == 200 and 'data-testid="dispensing-done"' in done.text
    assert client.get("/api/v1/pharmacy/stock/T0001").json()["usable"] == 110 - 12

    again = client.post(
        f"/pharmacy/prescriptions/{codes.page}/dispense", data={"_csrf": csrf, "warehouse_code": OUTPATIENT}
    )
    assert again.status_code == 409 and 'data-testid="form-error"' in again.text
    assert 'data-testid="blocked"' in again.text and 'data-testid="dispense-prescription"' not in again.text
    refused = [r for r in asyncio.run(_audit(settings, "pharmacy.dispense")) if r.outcome == "rejected"]
    assert [(r.object_id, r.patient_id) for r in refused] == [(codes.page, str(codes.patient_id))]

    cancelled = client.get("/pharmacy/dispense", params={"code": codes.cancelled})
    assert cancelled.status_code == 200 and "Đổi thuốc" in cancelled.text
    assert 'data-testid="blocked"' in cancelled.text and 'data-testid="dispense-prescription"' not in cancelled.text

    unknown = client.get("/pharmacy/dispense", params={"code": "79999nothere0-N"})
    assert unknown.status_code == 404 and 'data-testid="form-error"' in unknown.text


def test_the_json_api_reads_and_dispenses_by_code(client: TestClient[Litestar], codes: Codes) -> None:
    csrf = login(client, "bacsi")
    assert client.get(f"/api/v1/pharmacy/prescriptions/{codes.api}").status_code == 403
    assert post(client, csrf, codes.api).status_code == 403  # dispensing is a pharmacist's act

    csrf = login(client, "duocsi")
    seen = client.get(f"/api/v1/pharmacy/prescriptions/{codes.api}")
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert body["blocked"] is None and body["patient_id"] == codes.patient_id
    assert [(item["drug_code"], item["quantity"], item["usable"]) for item in body["lines"]] == [("T0001", 3, 110)]

    done = post(client, csrf, codes.api)  # no body: the outpatient pharmacy
    assert done.status_code == 201, done.text
    assert done.json()["reference"] == codes.api and done.json()["warehouse_code"] == OUTPATIENT
    assert done.json()["patient_id"] == codes.patient_id
    twice = post(client, csrf, codes.api, {"warehouse_code": OUTPATIENT})
    assert twice.status_code == 409 and codes.api in twice.json()["detail"]

    refused = post(client, csrf, codes.cancelled, {})
    assert refused.status_code == 409 and "Đổi thuốc" in refused.json()["detail"]
    assert post(client, csrf, "79999nothere0-N").status_code == 404
    assert post(client, csrf, codes.page, {"warehouse_code": "XX"}).status_code == 422
