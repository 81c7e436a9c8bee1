"""The CDS Hooks-style services: discovery, order-select and order-sign cards, token auth, problem details."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.decision.conftest import as_user

pytestmark = [pytest.mark.criterion(53)]


def medication(order_id: str, substance: str, *, coded: bool = False, dose_mg: float | None = None) -> dict[str, Any]:
    concept: dict[str, Any] = (
        {"coding": [{"system": "http://www.whocc.no/atc", "code": "J01FA09", "display": substance}]}
        if coded
        else {"text": substance}
    )
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": order_id,
        "medicationCodeableConcept": concept,
    }
    if dose_mg is not None:
        timing = {"repeat": {"frequency": 4, "period": 1, "periodUnit": "d"}}
        dose = {"doseQuantity": {"value": dose_mg, "unit": "mg"}}
        resource["dosageInstruction"] = [{"doseAndRate": [dose], "timing": timing}]
    return resource


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def call(hook: str, draft: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"draftOrders": draft},
        **extra,
    }


@pytest.fixture
def bearer(client: TestClient[Litestar], staff: dict[str, str]) -> dict[str, str]:
    headers = as_user(client, "admin")
    issued = client.post(
        "/api/v1/tokens", json={"name": "EMR gateway", "scopes": ["decision.cds_hooks"]}, headers=headers
    )
    assert issued.status_code == 201, issued.text
    client.cookies.clear()
    return {"authorization": f"Bearer {issued.json()['secret']}"}


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_discovery_lists_the_services_without_signing_in(client: TestClient[Litestar]) -> None:
    client.cookies.clear()
    services = client.get("/cds-services").json()["services"]
    assert {(s["hook"], s["id"]) for s in services} == {
        ("order-select", "his-medication-select"),
        ("order-sign", "his-medication-sign"),
    }


def test_order_sign_answers_cards(client: TestClient[Litestar], bearer: dict[str, str]) -> None:
    body = call(
        "order-sign",
        bundle(medication("a", "Clarithromycin", coded=True), medication("b", "Fluconazol")),
        prefetch={"patient": {"age_years": 54, "sex": "F", "allergies": ["penicillins"]}},
    )
    answer = client.post("/cds-services/his-medication-sign", json=body, headers=bearer)
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert [c["indicator"] for c in cards] == ["critical"]
    assert cards[0]["source"]["label"].startswith("QĐ 5948/QĐ-BYT") and len(cards[0]["summary"]) <= 140
    assert "clarithromycin" in cards[0]["detail"]
    # Allergy from the prefetched facts, a duplicate against the prefetched active medications.
    body = call(
        "order-sign",
        bundle(medication("c", "Amoxicillin")),
        prefetch={"patient": {"allergies": ["penicillins"]}, "medications": bundle(medication("d", "Amoxicilin"))},
    )
    cards = client.post("/cds-services/his-medication-sign", json=body, headers=bearer).json()["cards"]
    assert sorted(c["indicator"] for c in cards) == ["critical", "warning"]  # allergy, same substance twice
    assert all("amoxicillin" in c["detail"] for c in cards)
    # The dose from dosageInstruction: 2 g four times a day is above both maxima of paracetamol.
    body = call("order-sign", bundle(medication("e", "Paracetamol", dose_mg=2000)))
    cards = client.post("/cds-services/his-medication-sign", json=body, headers=bearer).json()["cards"]
    assert sorted(c["uuid"] for c in cards) == ["dose:paracetamol:daily@0", "dose:paracetamol:single@0"]


def test_order_select_checks_the_selected_orders_against_the_others(
    client: TestClient[Litestar], bearer: dict[str, str]
) -> None:
    draft = bundle(medication("a", "Clarithromycin"), medication("b", "Fluconazol"), medication("c", "Paracetamol"))
    body = call("order-select", draft)
    body["context"]["selections"] = ["MedicationRequest/c"]
    cards = client.post("/cds-services/his-medication-select", json=body, headers=bearer).json()["cards"]
    # Paracetamol alone is selected: the clarithromycin-fluconazole pair is not about it.
    assert all(c["indicator"] != "critical" for c in cards)
    body["context"]["selections"] = ["MedicationRequest/b"]
    cards = client.post("/cds-services/his-medication-select", json=body, headers=bearer).json()["cards"]
    assert [c["indicator"] for c in cards if c["indicator"] == "critical"] == ["critical"]


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_bad_calls_are_problem_details(client: TestClient[Litestar], bearer: dict[str, str]) -> None:
    url = "/cds-services/his-medication-sign"
    cases = [
        (b"not json", 400),
        (b'{"hook": "order-sign"}', 400),
        (call("order-select", bundle(medication("a", "Clarithromycin"))), 400),  # wrong hook for the service
        (call("order-sign", {"resourceType": "Patient"}), 400),
        (call("order-sign", bundle({"resourceType": "Observation"})), 400),
        (call("order-sign", bundle({"resourceType": "MedicationRequest", "medicationCodeableConcept": {}})), 400),
        (call("order-sign", bundle(), prefetch={"patient": {"age_years": "old"}}), 400),
    ]
    for body, status in cases:
        if isinstance(body, bytes):
            answer = client.post(url, content=body, headers={**bearer, "content-type": "application/json"})
        else:
            answer = client.post(url, json=body, headers=bearer)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.post("/cds-services/unknown", json=call("order-sign", bundle()), headers=bearer).status_code == 400
    client.cookies.clear()
    assert client.post(url, json=call("order-sign", bundle())).status_code == 401
    # A doctor's session has no CDS Hooks permission.
    headers = as_user(client, "bacsi")
    assert client.post(url, json=call("order-sign", bundle()), headers=headers).status_code == 403
