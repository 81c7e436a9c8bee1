"""Medication orders of a stay (issue 5): a drug of the catalog with dose, times a day, route and days, checked by
decision support against the patient's running medications before it is written; hard stops ordered over with a
reason, audited; stopped with a reason; listed on the treatment sheet; refused with a Vietnamese message on bad
input; screened with the whole hospital."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.catalogs import service as catalogs_service
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.billing.test_pdf import pdf_text
from tests.billing.visits import DESK
from tests.conftest import login
from tests.decision.conftest import EXTRA_DRUGS
from tests.inpatient.conftest import Ward, build_wards

pytestmark = [pytest.mark.criterion(40), pytest.mark.criterion(53)]
API = "/api/v1/inpatient"


@pytest.fixture
def ward(client: TestClient[Litestar], settings: Settings) -> Ward:
    """The inpatient test hospital with the decision tests' drugs (clarithromycin and fluconazole interact)."""

    async def build() -> Ward:
        kernel = build_kernel(settings, installed_modules())
        try:
            built = await build_wards(kernel)
            async with kernel.db.transaction() as session:
                await catalogs_service.import_catalog(
                    kernel, session, DESK, kind="drugs", source=EXTRA_DRUGS.encode(), effective=date(2020, 1, 1)
                )
            return built
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def signed_in(client: TestClient[Litestar], username: str, language: str = "vi") -> dict[str, str]:
    client.cookies.clear()
    return {"x-csrf-token": login(client, username), "accept-language": language}


def admit(client: TestClient[Litestar], ward: Ward, headers: dict[str, str]) -> int:
    body = {"source": "direct", "patient_id": ward.patients.insured, "department_code": "KNOI", "icd10_code": "J18.9"}
    admitted = client.post(f"{API}/stays", json=body, headers=headers)
    assert admitted.status_code == 201, admitted.text
    stay_id: int = admitted.json()["id"]
    return stay_id


def order(code: str, dose: str = "1", times: int = 2, days: int = 5, **extra: Any) -> dict[str, Any]:
    return {"drug_code": code, "dose_per_time": dose, "times_per_day": times, "days": days, **extra}


def audit_actions(client: TestClient[Litestar], action: str) -> list[dict[str, Any]]:
    client.cookies.clear()
    login(client, "kiemtoan")
    rows: list[dict[str, Any]] = client.get("/api/v1/audit", params={"action": action, "limit": "50"}).json()["items"]
    return rows


def test_an_order_is_checked_against_the_running_orders_and_overridden_with_a_reason(
    client: TestClient[Litestar], ward: Ward
) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    first = client.post(f"{API}/stays/{stay_id}/medications", json=order("T0101"), headers=doctor)
    assert first.status_code == 201, first.text
    assert first.json()["order"]["status"] == "active"
    assert first.json()["order"]["route"] == "Uống"  # the catalog's route when none is given

    # Fluconazole with the running clarithromycin: QĐ 5948 contraindicated pair, a hard stop.
    blocked = client.post(f"{API}/stays/{stay_id}/medications", json=order("T0102", times=1), headers=doctor)
    assert blocked.status_code == 409, blocked.text
    problem = blocked.json()
    assert problem["detail"].startswith("Hỗ trợ quyết định đã chặn y lệnh này")
    hard = [a for a in problem["alerts"] if a["severity"] == "hard_stop"]
    assert hard and hard[0]["kind"] == "interaction" and "5948" in hard[0]["source"]
    assert len(client.get(f"{API}/stays/{stay_id}/medications", headers=doctor).json()) == 1  # nothing written

    reason = "Nấm Candida toàn thân, đã hội chẩn, theo dõi điện tâm đồ"
    overrides = [{"key": hard[0]["key"], "reason": reason}]
    ordered = client.post(
        f"{API}/stays/{stay_id}/medications", json=order("T0102", times=1, overrides=overrides), headers=doctor
    )
    assert ordered.status_code == 201, ordered.text
    kept = ordered.json()["order"]["alerts"]
    assert [a["override_reason"] for a in kept if a["severity"] == "hard_stop"] == [reason]

    assert any(a["outcome"] == "refused" for a in audit_actions(client, "medication.blocked"))
    overridden = audit_actions(client, "medication.override")
    assert len(overridden) == 1 and reason in overridden[0]["detail"]


def test_the_check_writes_nothing_and_answers_in_the_readers_language(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    assert client.post(f"{API}/stays/{stay_id}/medications", json=order("T0103"), headers=doctor).status_code == 201
    english = signed_in(client, "bacsi", "en")
    checked = client.post(f"{API}/stays/{stay_id}/medications/check", json=order("T0104"), headers=english)
    assert checked.status_code == 200, checked.text
    duplicate = [a for a in checked.json()["alerts"] if a["kind"] == "duplicate_therapy"]
    assert duplicate, checked.json()
    assert duplicate[0]["message"].isascii()  # ibuprofen + diclofenac: two NSAIDs, said in English
    vietnamese = signed_in(client, "bacsi")
    again = client.post(f"{API}/stays/{stay_id}/medications/check", json=order("T0104"), headers=vietnamese)
    assert not next(a for a in again.json()["alerts"] if a["kind"] == "duplicate_therapy")["message"].isascii()
    assert len(client.get(f"{API}/stays/{stay_id}/medications", headers=doctor).json()) == 1


def test_bad_orders_are_refused_with_the_field_named(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    cases = [
        (order("KHONGCO"), "drug_code", "Không có thuốc KHONGCO"),
        (order("T0101", times=0), "times_per_day", "Số lần mỗi ngày"),
        (order("T0101", days=31), "days", "Số ngày"),
        (order("T0101", dose="0"), "dose_per_time", "Liều mỗi lần"),
        (order("T0101", start_day="2020-01-01"), "start_day", "Y lệnh bắt đầu"),
    ]
    for body, field, text in cases:
        refused = client.post(f"{API}/stays/{stay_id}/medications", json=body, headers=doctor)
        assert refused.status_code == 422, (field, refused.text)
        problem = refused.json()
        assert problem["detail"].startswith(text), problem
        assert any(error.get("field") == field for error in problem.get("errors", [])) or problem.get("field") == field
    assert client.get(f"{API}/stays/{stay_id}/medications", headers=doctor).json() == []
    nurse = signed_in(client, "dieuduong")
    assert client.post(f"{API}/stays/{stay_id}/medications", json=order("T0101"), headers=nurse).status_code == 403


def test_stop_sheet_discharge_and_page(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    placed = client.post(
        f"{API}/stays/{stay_id}/medications",
        json=order("T0001", dose="1", times=3, instructions="Khi sốt > 38,5"),
        headers=doctor,
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order"]["id"]
    days = client.get(f"{API}/stays/{stay_id}/sheet", headers=doctor).json()
    assert [m["drug_code"] for m in days[-1]["medications"]] == ["T0001"]
    page = client.get(f"/inpatient/stays/{stay_id}", headers=doctor)
    assert 'data-testid="medications"' in page.text and "Khi sốt &gt; 38,5" in page.text
    printed = client.get(f"/inpatient/stays/{stay_id}/treatment-sheet.pdf", headers=doctor)
    assert "Thuốc: Paracetamol 500 mg (Paracetamol 500 mg), 1 Viên x 3 lần/ngày, Uống" in pdf_text(printed.content)

    no_reason = client.post(f"{API}/stays/{stay_id}/medications/{order_id}/stop", json={"reason": " "}, headers=doctor)
    assert no_reason.status_code == 422
    stopped = client.post(
        f"{API}/stays/{stay_id}/medications/{order_id}/stop", json={"reason": "Hết sốt"}, headers=doctor
    )
    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
    twice = client.post(f"{API}/stays/{stay_id}/medications/{order_id}/stop", json={"reason": "x"}, headers=doctor)
    assert twice.status_code == 409

    running = client.post(f"{API}/stays/{stay_id}/medications", json=order("T0101"), headers=doctor)
    assert running.status_code == 201
    discharged = client.post(
        f"{API}/stays/{stay_id}/discharge",
        json={"icd10_code": "J18.9", "treatment_method": "Kháng sinh", "outcome": "1"},
        headers=doctor,
    )
    assert discharged.status_code == 200, discharged.text
    after = client.get(f"{API}/stays/{stay_id}/medications", headers=doctor).json()
    assert [m["status"] for m in after] == ["stopped", "stopped"]  # running orders end with the stay
    closed = client.post(f"{API}/stays/{stay_id}/medications", json=order("T0101"), headers=doctor)
    assert closed.status_code == 409


def test_the_whole_hospital_screening_sees_inpatient_orders(client: TestClient[Litestar], ward: Ward) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    assert client.post(f"{API}/stays/{stay_id}/medications", json=order("T0101"), headers=doctor).status_code == 201
    check = client.post(f"{API}/stays/{stay_id}/medications/check", json=order("T0102"), headers=doctor).json()
    key = next(a["key"] for a in check["alerts"] if a["severity"] == "hard_stop")
    body = order("T0102", overrides=[{"key": key, "reason": "Hội chẩn"}])
    assert client.post(f"{API}/stays/{stay_id}/medications", json=body, headers=doctor).status_code == 201

    pharmacist = signed_in(client, "duocsi")
    run = client.post("/api/v1/decision/screening", headers=pharmacist)
    assert run.status_code == 201, run.text
    found = client.get("/api/v1/decision/screening", headers=pharmacist).json()
    hits = [f for f in found["findings"] if f["patient_id"] == ward.patients.insured and f["severity"] == "hard_stop"]
    assert hits, found
    assert "NT" in hits[0]["drugs"]  # named by the stay's code and the order


def test_the_stay_page_checks_while_writing_and_asks_a_reason_for_a_hard_stop(
    client: TestClient[Litestar], ward: Ward
) -> None:
    doctor = signed_in(client, "bacsi")
    stay_id = admit(client, ward, doctor)
    form = {"drug_code": "T0101", "dose_per_time": "1", "times_per_day": "2", "days": "3"}
    assert (
        client.post(
            f"/inpatient/stays/{stay_id}/medications", data=form, headers=doctor, follow_redirects=False
        ).status_code
        == 303
    )

    # While writing: the drug alone is checked (no complaint about the dose not written yet).
    partial = client.post(f"/inpatient/stays/{stay_id}/medications/alerts", data={"drug_code": "T0102"}, headers=doctor)
    assert partial.status_code == 200
    assert 'data-severity="hard_stop"' in partial.text and 'name="override_reason"' in partial.text
    assert "medication-problem" not in partial.text
    unknown = client.post(f"/inpatient/stays/{stay_id}/medications/alerts", data={"drug_code": "XX"}, headers=doctor)
    assert "Không có thuốc XX đang hiệu lực" in unknown.text

    second = {"drug_code": "T0102", "dose_per_time": "1", "times_per_day": "1", "days": "3"}
    refused = client.post(f"/inpatient/stays/{stay_id}/medications", data=second, headers=doctor)
    assert refused.status_code == 409
    assert "Hỗ trợ quyết định đã chặn y lệnh này" in refused.text
    assert 'value="T0102"' in refused.text  # the form keeps what was written
    key = refused.text.split('name="override_key" value="', 1)[1].split('"', 1)[0]
    given = {**second, "override_key": key, "override_reason": "Đã hội chẩn"}
    assert (
        client.post(
            f"/inpatient/stays/{stay_id}/medications", data=given, headers=doctor, follow_redirects=False
        ).status_code
        == 303
    )
    page = client.get(f"/inpatient/stays/{stay_id}", headers=doctor).text
    assert "lý do: Đã hội chẩn" in page
