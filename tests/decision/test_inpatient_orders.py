"""Decision support sees one medication list per patient (issue 5): an inpatient medication order is checked
against the outpatient prescription still running, and a prescription against the running inpatient orders."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.decision.conftest import OUTPATIENT, as_user, line, open_visit
from tests.outpatient.conftest import Clinic

pytestmark = [pytest.mark.criterion(53)]
INPATIENT = "/api/v1/inpatient"


def admit_without_bed(client: TestClient[Litestar], headers: dict[str, str], patient_id: int) -> int:
    body = {
        "source": "direct",
        "patient_id": patient_id,
        "department_code": "KKB",
        "icd10_code": "J06.9",
        "bed_code": "none",
    }
    admitted = client.post(f"{INPATIENT}/stays", json=body, headers=headers)
    assert admitted.status_code == 201, admitted.text
    stay_id: int = admitted.json()["id"]
    return stay_id


def test_an_inpatient_order_is_checked_against_a_running_outpatient_prescription(
    client: TestClient[Litestar], clinic: Clinic
) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    signed = client.post(
        f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": [line("T0102")]}, headers=headers
    )
    assert signed.status_code == 201, signed.text
    patient_id = signed.json()["prescription"]["patient_id"]
    stay_id = admit_without_bed(client, headers, patient_id)

    body = {"drug_code": "T0101", "dose_per_time": "1", "times_per_day": 2, "days": 3}
    blocked = client.post(f"{INPATIENT}/stays/{stay_id}/medications", json=body, headers=headers)
    assert blocked.status_code == 409, blocked.text
    hard = [a for a in blocked.json()["alerts"] if a["severity"] == "hard_stop"]
    assert hard and hard[0]["kind"] == "interaction"


def test_a_prescription_is_checked_against_the_running_inpatient_orders(
    client: TestClient[Litestar], clinic: Clinic
) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    patient_id = client.get(f"{OUTPATIENT}/visits/{visit_id}/encounter", headers=headers).json()["patient_id"]
    stay_id = admit_without_bed(client, headers, patient_id)
    body = {"drug_code": "T0101", "dose_per_time": "1", "times_per_day": 2, "days": 3}
    assert client.post(f"{INPATIENT}/stays/{stay_id}/medications", json=body, headers=headers).status_code == 201

    blocked = client.post(
        f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": [line("T0102")]}, headers=headers
    )
    assert blocked.status_code == 409, blocked.text
    assert any(a["kind"] == "interaction" for a in blocked.json()["alerts"] if a["severity"] == "hard_stop")


def test_an_order_over_a_hard_stop_reaches_the_review_queue_and_the_statistics(
    client: TestClient[Litestar], clinic: Clinic
) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    patient_id = client.get(f"{OUTPATIENT}/visits/{visit_id}/encounter", headers=headers).json()["patient_id"]
    stay_id = admit_without_bed(client, headers, patient_id)
    medications = f"{INPATIENT}/stays/{stay_id}/medications"
    body = {"drug_code": "T0101", "dose_per_time": "1", "times_per_day": 2, "days": 3}
    assert client.post(medications, json=body, headers=headers).status_code == 201
    second = {"drug_code": "T0102", "dose_per_time": "1", "times_per_day": 1, "days": 3}
    key = next(a["key"] for a in client.post(medications, json=second, headers=headers).json()["alerts"])
    overridden = client.post(
        medications, json={**second, "overrides": [{"key": key, "reason": "Hội chẩn khoa"}]}, headers=headers
    )
    assert overridden.status_code == 201, overridden.text

    pharmacist = as_user(client, "duocsi")
    reviews = client.get("/api/v1/decision/reviews", headers=pharmacist).json()
    mine = [r for r in reviews if r["source_url"] == f"/inpatient/stays/{stay_id}#medications"]
    assert len(mine) == 1 and "Hội chẩn khoa" in mine[0]["summary"] and "Fluconazol" in mine[0]["summary"]
    stats = client.get("/api/v1/decision/statistics", headers=pharmacist).json()
    assert sum(s["overridden"] for s in stats if s["severity"] == "hard_stop") == 1
    page = client.get("/decision/reviews", headers=pharmacist)
    assert f'href="/inpatient/stays/{stay_id}#medications"' in page.text
