"""The orders API and pages on both databases: the doctor orders, the laboratory works its list and enters
results, the doctor sees them (live, through Server-Sent Events) and acknowledges; the clinical record is read by
the care team and every read is audited; bad input gets 4xx."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.kernel.runtime import build_kernel
from his.orders import service
from his.orders.schemas import ResultIn, ResultsIn
from his.settings import Settings
from tests.conftest import login
from tests.orders.conftest import CHEST_XRAY, ELECTROLYTES, GLUCOSE, LAB, LAB_ACTOR, Clinic, build_clinic

pytestmark = [pytest.mark.criterion(37), pytest.mark.criterion(38)]
API = "/api/v1/orders"


@pytest.fixture
def clinic(client: TestClient[Litestar], settings: Settings) -> Clinic:
    async def build() -> Clinic:
        kernel = build_kernel(settings, installed_modules())
        try:
            return await build_clinic(kernel)
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def as_user(client: TestClient[Litestar], username: str) -> dict[str, str]:
    client.cookies.clear()
    return {"x-csrf-token": login(client, username)}


def audit_rows(client: TestClient[Litestar], patient_id: int) -> list[dict[str, Any]]:
    as_user(client, "kiemtoan")
    rows: list[dict[str, Any]] = client.get(
        "/api/v1/audit", params={"patient_id": str(patient_id), "limit": "200"}
    ).json()["items"]
    return rows


def place(client: TestClient[Litestar], clinic: Clinic, **body: Any) -> list[dict[str, Any]]:
    headers = as_user(client, "bacsi")
    response = client.post(
        API, json={"context_type": "outpatient", "context_id": clinic.visit, **body}, headers=headers
    )
    assert response.status_code == 201, response.text
    placed: list[dict[str, Any]] = response.json()
    return placed


def test_order_work_result_verify_and_acknowledge(client: TestClient[Litestar], clinic: Clinic) -> None:
    (order,) = place(client, clinic, items=[{"service_code": ELECTROLYTES, "priority": "stat"}])
    lab = as_user(client, "ktvxn")
    worklist = client.get(f"{API}/worklist", params={"department": "lab"}).json()
    assert [o["id"] for o in worklist] == [order["id"]]
    assert client.get(f"{API}/worklist", params={"department": "imaging"}).json() == []
    assert client.post(f"{API}/{order['id']}/accept", headers=lab).json()["status"] == "accepted"
    analytes = client.get(f"{API}/analytes/{ELECTROLYTES}").json()
    assert [a["code"] for a in analytes] == ["NA", "K"]
    body = {"items": [{"name": "Natri", "code": "NA", "value": "140"}, {"name": "Kali", "code": "K", "value": "6.1"}]}
    resulted = client.put(f"{API}/{order['id']}/results", json=body, headers=lab)
    assert resulted.status_code == 200, resulted.text
    assert [(r["code"], r["flag"]) for r in resulted.json()["results"]] == [("NA", ""), ("K", "H")]
    assert client.post(f"{API}/{order['id']}/verify", headers=lab).json()["status"] == "verified"

    doctor = as_user(client, "bacsi")
    mine = client.get(f"{API}/results").json()
    assert [(o["id"], o["flag"]) for o in mine] == [(order["id"], "H")]
    changes = client.get(f"{API}/changes").json()
    assert [c["kind"] for c in changes] == ["placed", "accepted", "resulted", "verified"]
    acknowledged = client.post(f"{API}/{order['id']}/acknowledge", headers=doctor).json()
    assert acknowledged["acknowledged_by"] == "bacsi"
    assert client.get(f"{API}/results").json() == []
    assert [o["id"] for o in client.get(f"{API}/results", params={"all": "true"}).json()] == [order["id"]]
    read = client.get(f"{API}/{order['id']}").json()
    assert [h["to_status"] for h in read["history"]] == ["placed", "accepted", "resulted", "verified"]
    actions = {row["action"] for row in audit_rows(client, clinic.patient)}
    assert {
        "orders.place",
        "orders.accepted",
        "orders.result",
        "orders.verify",
        "orders.acknowledge",
        "orders.read",
    } <= actions


def test_cancel_with_a_reason_over_the_api(client: TestClient[Litestar], clinic: Clinic) -> None:
    (order,) = place(client, clinic, items=[{"service_code": GLUCOSE}])
    doctor = as_user(client, "bacsi")
    refused = client.post(f"{API}/{order['id']}/cancel", json={"reason": ""}, headers=doctor)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    cancelled = client.post(f"{API}/{order['id']}/cancel", json={"reason": "Bệnh nhân từ chối"}, headers=doctor)
    assert cancelled.status_code == 200 and cancelled.json()["cancelled_reason"] == "Bệnh nhân từ chối"
    again = client.post(f"{API}/{order['id']}/cancel", json={"reason": "Bệnh nhân từ chối"}, headers=doctor)
    assert again.status_code == 409


def test_bad_input_and_wrong_roles_get_4xx(client: TestClient[Litestar], clinic: Clinic) -> None:
    doctor = as_user(client, "bacsi")
    body = {"context_type": "outpatient", "context_id": clinic.visit, "items": [{"service_code": GLUCOSE}]}
    assert client.post(API, json={**body, "priority": "asap"}, headers=doctor).status_code == 400
    assert client.post(API, json={**body, "surprise": 1}, headers=doctor).status_code == 400
    assert client.post(API, json={**body, "items": []}, headers=doctor).status_code == 422
    assert client.post(API, json={**body, "context_type": "home"}, headers=doctor).status_code == 400
    assert client.get(f"{API}/999999").status_code == 404
    assert client.get(f"{API}/contexts/home/1").status_code == 422
    (order,) = place(client, clinic, items=[{"service_code": GLUCOSE}])
    nurse = as_user(client, "dieuduong")
    assert client.post(API, json=body, headers=nurse).status_code == 403
    assert client.post(f"{API}/{order['id']}/accept", headers=nurse).status_code == 403
    assert client.get(f"{API}/{order['id']}").status_code == 200  # nurses read
    lab = as_user(client, "ktvxn")
    assert client.post(f"{API}/{order['id']}/acknowledge", headers=lab).status_code == 403
    assert client.get(f"{API}/worklist", params={"department": "kitchen"}).status_code == 422
    assert client.get(f"{API}/worklist", params={"status": "lost"}).status_code == 422
    client.post(f"{API}/{order['id']}/accept", headers=lab)
    bad = {"items": [{"name": "Glucose", "code": "GLU", "value": "cao"}]}
    problem = client.put(f"{API}/{order['id']}/results", json=bad, headers=lab)
    assert problem.status_code == 422 and "cao" in problem.text
    assert client.post(f"{API}/{order['id']}/verify", headers=lab).status_code == 409
    client.cookies.clear()
    assert client.get(f"{API}/{order['id']}").status_code == 401


def test_attachments_upload_and_download(client: TestClient[Litestar], clinic: Clinic) -> None:
    (order,) = place(client, clinic, items=[{"service_code": CHEST_XRAY}])
    lab = as_user(client, "ktvxn")
    client.post(f"{API}/{order['id']}/accept", headers=lab)
    files = {"file": ("phim.pdf", b"%PDF-1.4 demo", "application/pdf")}
    uploaded = client.post(f"{API}/{order['id']}/attachments", files=files, headers=lab)
    assert uploaded.status_code == 201, uploaded.text
    attachment = uploaded.json()
    refused = client.post(
        f"{API}/{order['id']}/attachments", files={"file": ("x.exe", b"MZ", "application/x-msdownload")}, headers=lab
    )
    assert refused.status_code == 422
    as_user(client, "bacsi")
    download = client.get(f"{API}/{order['id']}/attachments/{attachment['id']}")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 demo"
    assert download.headers["content-type"].startswith("application/pdf")
    assert client.get(f"{API}/{order['id']}/attachments/{attachment['id'] + 1}").status_code == 404


def _result_later(settings: Settings, order_id: int, delay: float) -> threading.Thread:
    """Enters a high potassium from elsewhere (another process would do the same) while the stream listens. Returns
    once the writer's kernel is built, so that a slow start on a busy machine does not eat the stream's time."""
    ready = threading.Event()

    async def enter() -> None:
        kernel = build_kernel(settings, installed_modules())
        ready.set()
        await asyncio.sleep(delay)
        try:
            async with kernel.db.transaction() as session:
                data = ResultsIn([ResultIn(name="Kali", code="K", value="6.9")])
                await service.record_results(kernel, session, LAB_ACTOR, LAB, order_id, data)
        finally:
            await kernel.db.dispose()

    thread = threading.Thread(target=lambda: asyncio.run(enter()))
    thread.start()
    ready.wait(timeout=60)
    return thread


def test_the_results_stream_yields_a_new_result(
    client: TestClient[Litestar], clinic: Clinic, settings: Settings
) -> None:
    (order,) = place(client, clinic, items=[{"service_code": ELECTROLYTES}])
    lab = as_user(client, "ktvxn")
    client.post(f"{API}/{order['id']}/accept", headers=lab)
    as_user(client, "bacsi")
    page = client.get("/orders/results")
    assert page.status_code == 200
    position = int(page.text.split("/orders/results/stream?after=")[1].split('"')[0])
    events: list[dict[str, Any]] = []
    ids: list[int] = []
    # The in-process client hands the body over when the stream ends: the result is entered while it runs.
    writer = _result_later(settings, order["id"], 0.5)
    with client.stream("GET", "/orders/results/stream", params={"after": str(position), "seconds": "8"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("id:"):
                ids.append(int(line.split(":", 1)[1]))
            if line.startswith("data:") and line.split(":", 1)[1].strip():
                events.append(json.loads(line.split(":", 1)[1]))
    writer.join(timeout=10)
    assert events == [{"order_id": order["id"], "kind": "resulted"}]
    assert len(ids) == 1 and ids[0] > position
    row = client.get(f"/orders/results/rows/{order['id']}")
    assert row.status_code == 200 and 'data-flag="HH"' in row.text and "6.9" in row.text


def test_the_patient_record_is_for_the_care_team_and_audited(client: TestClient[Litestar], clinic: Clinic) -> None:
    (order,) = place(client, clinic, items=[{"service_code": GLUCOSE}])
    as_user(client, "dieuduong")
    record = client.get(f"/api/v1/cdr/patients/{clinic.patient}/record")
    assert record.status_code == 200, record.text
    body = record.json()
    assert body["full_name"] == "Nguyễn Văn An"
    assert [o["id"] for o in body["orders"]] == [order["id"]]
    assert [e["visit_code"] for e in body["encounters"]] == [clinic.visit_code]
    assert body["medications"] == []
    page = client.get(f"/patients/{clinic.patient}/record")
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text
    assert client.get("/api/v1/cdr/patients/999999/record").status_code == 404
    as_user(client, "ktvxn")
    assert client.get(f"/api/v1/cdr/patients/{clinic.patient}/record").status_code == 403
    reads = [r for r in audit_rows(client, clinic.patient) if r["action"] == "patient.read"]
    assert len(reads) >= 2 and {r["username"] for r in reads} == {"dieuduong"}


def test_the_pages_order_work_and_acknowledge(client: TestClient[Litestar], clinic: Clinic) -> None:
    csrf = as_user(client, "bacsi")["x-csrf-token"]
    entry = client.get("/orders/new", params={"visit": str(clinic.visit)})
    assert entry.status_code == 200 and "Basic metabolic panel" in entry.text
    search = client.get("/orders/search", params={"q": "glucose"})
    assert f'data-add-service="{GLUCOSE}"' in search.text
    assert "DV03001" not in client.get("/orders/search", params={"q": "giuong"}).text
    form = {"_csrf": csrf, "visit": str(clinic.visit), "panel": "BMP", "service_code": CHEST_XRAY, "priority": "urgent"}
    placed = client.post("/orders/new", data=form, follow_redirects=False)
    assert placed.status_code == 303, placed.text
    listed = client.get("/orders/new", params={"visit": str(clinic.visit)}).text
    assert "Chụp X-quang ngực thẳng" in listed and "Định lượng Glucose" in listed
    empty = client.post("/orders/new", data={"_csrf": csrf, "visit": str(clinic.visit)}, follow_redirects=False)
    assert empty.status_code == 422

    csrf = as_user(client, "ktvxn")["x-csrf-token"]
    worklist = client.get("/orders/worklist", params={"department": "lab"})
    assert worklist.status_code == 200 and "Điện giải đồ" in worklist.text
    assert client.get("/orders/worklist", params={"department": "lab", "day": "yesterday"}).status_code == 422
    order_id = int(re.findall(r'href="/orders/(\d+)"', worklist.text)[0])
    assert client.post(f"/orders/{order_id}/accept", data={"_csrf": csrf}, follow_redirects=False).status_code == 303
    page = client.get(f"/orders/{order_id}")
    assert 'data-testid="result-form"' in page.text
    rows = client.get(f"{API}/{order_id}").json()
    service_code = rows["service_code"]
    codes = {"DV04007": ["GLU"], "DV04023": ["NA", "K"]}[service_code]
    form_rows: dict[str, Any] = {"_csrf": csrf, "code": [*codes, "", "", ""], "name": [], "unit": [], "value": []}
    form_rows["name"] = ["x"] * len(codes) + ["Ceton", "", ""]
    form_rows["unit"] = [""] * len(codes) + ["mmol/L", "", ""]
    form_rows["value"] = ["7.9"] * len(codes) + ["âm tính", "", ""]
    form_rows["ref_low"] = [""] * (len(codes) + 3)
    form_rows["ref_high"] = [""] * (len(codes) + 3)
    saved = client.post(f"/orders/{order_id}/results", data=form_rows, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    results = client.get(f"{API}/{order_id}").json()["results"]
    assert results[-1]["kind"] == "text" and results[-1]["value"] == "âm tính"
    bad = {**form_rows, "value": ["bảy"] * len(codes) + ["", "", ""]}
    assert client.post(f"/orders/{order_id}/results", data=bad, follow_redirects=False).status_code == 422

    csrf = as_user(client, "bacsi")["x-csrf-token"]
    results_page = client.get("/orders/results")
    assert f'id="order-{order_id}"' in results_page.text
    acked = client.post(
        f"/orders/{order_id}/acknowledge", data={"_csrf": csrf, "next": "/orders/results"}, follow_redirects=False
    )
    assert acked.status_code == 303 and acked.headers["location"] == "/orders/results"
    assert f'id="order-{order_id}"' not in client.get("/orders/results").text
    outside = client.post(
        f"/orders/{order_id}/acknowledge", data={"_csrf": csrf, "next": "https://evil.example"}, follow_redirects=False
    )
    assert outside.headers["location"] == f"/orders/{order_id}"


def test_the_same_test_again_within_the_window_needs_a_reason(client: TestClient[Litestar], clinic: Clinic) -> None:
    (first,) = place(client, clinic, items=[{"service_code": ELECTROLYTES}])
    headers = as_user(client, "bacsi")
    body = {"context_type": "outpatient", "context_id": clinic.visit, "items": [{"service_code": ELECTROLYTES}]}
    again = client.post(API, json=body, headers={**headers, "accept-language": "vi"})
    assert again.status_code == 409, again.text
    assert first["code"] in again.json()["detail"] and "ghi lý do để chỉ định lại" in again.json()["detail"]
    (repeated,) = place(client, clinic, items=[{"service_code": ELECTROLYTES}], repeat_reason="Theo dõi kali sau bù")
    assert "Theo dõi kali sau bù" in repeated["clinical_note"]
