"""The patient registry over HTTP: permissions, problem details, audited reads, the reception pages."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import login

pytestmark = pytest.mark.criterion(32)

AN: dict[str, Any] = {
    "sex": "M",
    "full_name": "Nguyễn Văn An",
    "birth_date": "1990-05-01",
    "phone": "0903123456",
    "cccd": "079090123456",
    "card": {
        "card_number": "DN4797912345678",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "initial_facility_code": "79999",
    },
}


def register(client: TestClient[Litestar], csrf: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": csrf})


def audit_items(client: TestClient[Litestar], **filters: str) -> list[dict[str, Any]]:
    client.cookies.clear()
    login(client, "kiemtoan")
    items: list[dict[str, Any]] = client.get("/api/v1/audit", params={"limit": "200", **filters}).json()["items"]
    client.cookies.clear()
    return items


def test_register_read_search_and_audited_reads(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    created = register(client, csrf, AN)
    assert created.status_code == 201, created.text
    patient = created.json()["patient"]
    assert patient["code"] == "BN00000001" and created.json()["cards"][0]["object_code"] == "DN"
    client.cookies.clear()
    login(client, "bacsi")
    found = client.get("/api/v1/patients", params={"q": "nguyen van an"}).json()
    assert [item["code"] for item in found["items"]] == ["BN00000001"] and found["total"] == 1
    detail = client.get(f"/api/v1/patients/{patient['id']}")
    assert detail.status_code == 200 and detail.json()["patient"]["cccd"] == "079090123456"
    reads = audit_items(client, patient_id=str(patient["id"]), action="patient.read")
    assert [(r["username"], r["outcome"]) for r in reads] == [("bacsi", "allowed")]
    searches = audit_items(client, action="patient.search")
    assert [(r["username"], r["detail"]) for r in searches] == [("bacsi", "1 found: nguyen van an")]


def test_a_lab_technician_can_read_but_not_write(client: TestClient[Litestar]) -> None:
    csrf = login(client, "ktvxn")
    assert register(client, csrf, AN).status_code == 403
    assert client.get("/api/v1/patients").status_code == 200
    assert client.post("/api/v1/patients/1/cards", json=AN["card"], headers={"X-CSRF-Token": csrf}).status_code == 403
    denied = audit_items(client, action="access.denied")
    assert denied and all(r["username"] == "ktvxn" for r in denied)


def test_invalid_input_is_422_naming_each_field(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    bad = {**AN, "phone": "12345", "card": {**AN["card"], "card_number": "XX4797912345678"}}
    response = register(client, csrf, bad)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["phone", "card.card_number"]
    # Vietnamese by default, English on request.
    assert errors[0]["message"].startswith("Nhập số điện thoại Việt Nam")
    english = client.post("/api/v1/patients", json=bad, headers={"X-CSRF-Token": csrf, "Accept-Language": "en"}).json()
    assert english["errors"][1]["message"] == "XX is not a known object code of a health-insurance card"
    assert client.get("/api/v1/patients").json()["total"] == 0


def test_a_duplicate_is_409_with_candidates_then_confirmed(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    assert register(client, csrf, AN).status_code == 201
    twin = {"sex": "M", "full_name": "Nguyen Van An", "birth_date": "1990-05-01", "phone": "0912000000"}
    refused = register(client, csrf, twin)
    assert refused.status_code == 409
    body = refused.json()
    assert [(c["patient"]["code"], c["certainty"], c["reasons"]) for c in body["candidates"]] == [
        ("BN00000001", "likely", ["name_birth_date"])
    ]
    assert body["candidates"][0]["patient"]["card_number"] == "DN4797912345678"
    confirmed = register(client, csrf, {**twin, "confirm_not_duplicate": True, "not_duplicate_reason": "Khác quê"})
    assert confirmed.status_code == 201 and confirmed.json()["patient"]["code"] == "BN00000002"
    refusals = audit_items(client, action="patient.register")
    assert [r["outcome"] for r in refusals] == ["success", "duplicate", "success"]  # newest first


def test_cards_duplicates_update_and_merge(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    target = register(client, csrf, AN).json()["patient"]
    twin = {"sex": "M", "full_name": "Nguyen Van An", "birth_date": "1990-05-01", "confirm_not_duplicate": True}
    source = register(client, csrf, {**twin, "not_duplicate_reason": "?"}).json()["patient"]
    renewed = {**AN["card"], "card_number": "HT3797900000009"}
    added = client.post(f"/api/v1/patients/{source['id']}/cards", json=renewed, headers={"X-CSRF-Token": csrf})
    assert added.status_code == 201 and added.json()["benefit_level"] == 3
    patched = client.patch(
        f"/api/v1/patients/{source['id']}", json={"phone": "+84 912 000 000"}, headers={"X-CSRF-Token": csrf}
    )
    assert patched.status_code == 200 and patched.json()["patient"]["phone"] == "0912000000"
    duplicates = client.get(f"/api/v1/patients/{target['id']}/duplicates").json()
    assert [d["patient"]["code"] for d in duplicates] == [source["code"]]
    merge_url = f"/api/v1/patients/{source['id']}/merge-into/{target['id']}"
    assert client.post(merge_url, json={"reason": "x"}, headers={"X-CSRF-Token": csrf}).status_code == 403
    client.cookies.clear()
    admin = login(client, "admin")
    merged = client.post(merge_url, json={"reason": "Cùng một người"}, headers={"X-CSRF-Token": admin})
    assert merged.status_code == 200, merged.text
    assert merged.json()["cards_moved"] == 1
    cards = client.get(f"/api/v1/patients/{target['id']}").json()["cards"]
    # Both cards cover today; the one recorded last stays open, the other becomes history.
    assert [(c["card_number"], c["superseded_at"] is None) for c in cards] == [
        ("HT3797900000009", True),
        ("DN4797912345678", False),
    ]
    assert client.get("/api/v1/patients", params={"q": "nguyen van an"}).json()["total"] == 1
    again = client.post(merge_url, json={"reason": "again"}, headers={"X-CSRF-Token": admin})
    assert again.status_code == 409
    merges = audit_items(client, action="patient.merge")
    assert {r["patient_id"] for r in merges} == {str(source["id"]), str(target["id"])}


def test_search_page_scanner_and_registration_form(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    page = client.get("/patients")
    assert page.status_code == 200
    assert "data-search" in page.text and "autofocus" in page.text and 'hx-get="/patients/results"' in page.text
    form = client.get("/patients/new")
    assert form.status_code == 200 and "Họ và tên" in form.text and "Mã thẻ BHYT (15 ký tự)" in form.text

    fields = {
        "_csrf": csrf,
        "full_name": "Nguyễn Văn An",
        "sex": "M",
        "birth_date": "1990-05-01",
        "phone": "0903 123 456",
        "cccd": "079090123456",
        "card.card_number": "DN4797912345678",
        "card.valid_from": "2026-01-01",
        "card.valid_to": "2026-12-31",
        "card.initial_facility_code": "79999",
    }
    created = client.post("/patients/new", data=fields, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"].startswith("/patients/1")
    detail = client.get("/patients/1")
    assert detail.status_code == 200 and "BN00000001" in detail.text and "DN4797912345678" in detail.text

    # A scanned card number, then Enter: straight to the record.
    scanned = client.get("/patients", params={"q": "DN4797912345678"}, follow_redirects=False)
    assert scanned.status_code == 303 and scanned.headers["location"] == "/patients/1"
    live = client.get("/patients/results", params={"q": "van an"})
    assert live.status_code == 200 and "BN00000001" in live.text and "<html" not in live.text

    twin = {**fields, "cccd": "", "phone": "", "card.card_number": "", "full_name": "NGUYEN VAN AN"}
    suspected = client.post("/patients/new", data=twin, follow_redirects=False)
    assert suspected.status_code == 409
    assert "BN00000001" in suspected.text and 'name="confirm_not_duplicate"' in suspected.text
    confirmed = client.post(
        "/patients/new",
        data={**twin, "confirm_not_duplicate": "1", "not_duplicate_reason": "Khác quê"},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    bad = client.post("/patients/new", data={**fields, "cccd": "123", "full_name": "Lê Văn Bình"})
    assert bad.status_code == 422 and 'id="error-cccd"' in bad.text


def test_merge_and_card_forms_on_the_record_page(client: TestClient[Litestar]) -> None:
    csrf = login(client, "letan")
    target = register(client, csrf, AN).json()["patient"]
    unknown = register(
        client, csrf, {"sex": "M", "temporary_reason": "unidentified_emergency", "birth_year": 1986}
    ).json()["patient"]
    assert unknown["full_name"] == "Không rõ tên"
    page = client.get(f"/patients/{unknown['id']}")
    assert "Gộp vào hồ sơ khác" not in page.text  # receptionists do not merge
    card_form = {"_csrf": csrf, "card_number": "XX", "valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    refused = client.post(f"/patients/{unknown['id']}/cards", data=card_form)
    assert refused.status_code == 422 and 'id="error-card_number"' in refused.text
    client.cookies.clear()
    admin = login(client, "admin")
    page = client.get(f"/patients/{unknown['id']}")
    assert "Gộp vào hồ sơ khác" in page.text
    merged = client.post(
        f"/patients/{unknown['id']}/merge",
        data={"_csrf": admin, "target_code": target["code"], "reason": "Người nhà nhận diện"},
        follow_redirects=False,
    )
    assert merged.status_code == 303 and merged.headers["location"].startswith(f"/patients/{target['id']}")
    assert "đã được gộp vào BN00000001" in client.get(f"/patients/{unknown['id']}").text
