"""Reception over HTTP: permissions, audited reads, the printed ticket and the front-desk page."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import login
from tests.reception.conftest import Hospital, build_hospital

pytestmark = pytest.mark.criterion(32)


@pytest.fixture
def desk(client: TestClient[Litestar], settings: Settings) -> Hospital:
    from his.app import installed_modules

    async def build() -> Hospital:
        kernel = build_kernel(settings, installed_modules())
        try:
            return await build_hospital(kernel)
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def test_register_read_and_print(client: TestClient[Litestar], desk: Hospital) -> None:
    csrf = login(client, "letan")
    body = {"patient_id": desk.insured_here, "room_code": "PK-NOI1", "service_code": "DV01001"}
    created = client.post("/api/v1/reception/visits", json=body, headers={"x-csrf-token": csrf})
    assert created.status_code == 201, created.text
    visit = created.json()
    assert visit["ticket_number"] == 1 and visit["route"] == "registered"
    assert client.get(f"/api/v1/reception/visits/{visit['id']}").json()["patient_name"] == "Nguyễn Văn An"
    pdf = client.get(f"/reception/visits/{visit['id']}/ticket.pdf")
    assert (
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    )
    client.cookies.clear()
    login(client, "kiemtoan")
    rows = client.get("/api/v1/audit", params={"patient_id": str(desk.insured_here)}).json()["items"]
    assert {"visit.register", "visit.read", "visit.ticket"} <= {r["action"] for r in rows}


def test_bad_input_is_a_422_naming_the_field(client: TestClient[Litestar], desk: Hospital) -> None:
    csrf = login(client, "letan")
    body = {"patient_id": desk.insured_here, "room_code": "PK-NOPE", "service_code": "DV01001"}
    refused = client.post("/api/v1/reception/visits", json=body, headers={"x-csrf-token": csrf})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "room_code"
    assert "PK-NOPE" in refused.json()["detail"]


def test_only_the_front_desk_registers(client: TestClient[Litestar], desk: Hospital) -> None:
    csrf = login(client, "duocsi")
    body = {"patient_id": desk.insured_here, "room_code": "PK-NOI1", "service_code": "DV01001"}
    assert client.post("/api/v1/reception/visits", json=body, headers={"x-csrf-token": csrf}).status_code == 403
    assert client.get("/reception").status_code == 403


def test_front_desk_page_registers_by_scanned_code(client: TestClient[Litestar], desk: Hospital) -> None:
    csrf = login(client, "letan")
    code = client.get(f"/api/v1/patients/{desk.insured_here}").json()["patient"]["code"]
    page = client.get("/reception", params={"patient": code.lower()})
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text
    form = {
        "_csrf": csrf,
        "patient_id": str(desk.insured_here),
        "room_code": "PK-NOI1",
        "service_code": "DV01001",
        "kind": "outpatient",
    }
    done = client.post("/reception", data=form, follow_redirects=False)
    assert done.status_code == 303
    shown = client.get(done.headers["location"])
    assert 'data-testid="ticket-number">1<' in shown.text
    bad = client.post("/reception", data={**form, "room_code": "PK-NOPE"})
    assert bad.status_code == 422 and "PK-NOPE" in bad.text
