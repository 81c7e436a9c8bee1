"""The outpatient API and pages on both databases: the doctor's day, permissions, audited reads, the PDF."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.kernel.runtime import Kernel, build_kernel
from his.outpatient.checks import CheckAlert, PrescriptionDraft
from his.outpatient.plugin import checks_of
from his.settings import Settings
from tests.conftest import login
from tests.outpatient.conftest import ROOM, Clinic, build_clinic

pytestmark = pytest.mark.criterion(33)
API = "/api/v1/outpatient"


@pytest.fixture
def clinic(client: TestClient[Litestar], settings: Settings) -> Clinic:
    async def build() -> Clinic:
        kernel = build_kernel(settings, installed_modules())
        try:
            return await build_clinic(kernel)
        finally:
            await kernel.db.dispose()

    return asyncio.run(build())


def doctor(client: TestClient[Litestar]) -> dict[str, str]:
    return {"x-csrf-token": login(client, "bacsi")}


def audit_rows(client: TestClient[Litestar], patient_id: int) -> list[dict[str, Any]]:
    client.cookies.clear()
    login(client, "kiemtoan")
    rows: list[dict[str, Any]] = client.get("/api/v1/audit", params={"patient_id": str(patient_id)}).json()["items"]
    return rows


def diagnosed(client: TestClient[Litestar], headers: dict[str, str]) -> int:
    """Calls the first patient in and records a diagnosis; returns the visit id."""
    opened = client.post(f"{API}/rooms/{ROOM}/call-next", headers=headers)
    assert opened.status_code == 200, opened.text
    visit_id: int = opened.json()["visit_id"]
    body = {"items": [{"code": "J06.9", "is_main": True}]}
    assert client.put(f"{API}/visits/{visit_id}/encounter/diagnoses", json=body, headers=headers).status_code == 200
    return visit_id


PARACETAMOL = {"drug_code": "T0001", "dose_per_time": "1", "times_per_day": 2, "days": 5}


def test_a_doctors_examination_from_call_to_printed_prescription(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = doctor(client)
    worklist = client.get(f"{API}/rooms/{ROOM}/worklist").json()
    assert [(i["ticket_number"], i["visit_status"], i["encounter_status"]) for i in worklist] == [
        (1, "waiting", None),
        (2, "waiting", None),
        (3, "waiting", None),
    ]
    visit_id = diagnosed(client, headers)
    assert visit_id == clinic.man_visit
    exam = {"pulse": 80, "temperature": "38.5", "systolic": 120, "diastolic": 80, "height_cm": 170, "weight_kg": 65}
    recorded = client.patch(f"{API}/visits/{visit_id}/encounter", json=exam, headers=headers)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["encounter"]["vitals"]["bmi"] == "22.5"
    assert [w["field"] for w in recorded.json()["warnings"]] == ["temperature"]

    issued = client.post(
        f"{API}/visits/{visit_id}/prescriptions",
        json={"lines": [PARACETAMOL], "advice": "Uống nhiều nước"},
        headers=headers,
    )
    assert issued.status_code == 201, issued.text
    prescription = issued.json()["prescription"]
    assert len(prescription["code"]) == 14 and prescription["code"].endswith("-C") and issued.json()["alerts"] == []
    assert prescription["lines"][0]["quantity"] == 10

    pdf = client.get(f"/outpatient/prescriptions/{prescription['id']}.pdf")
    assert (
        pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    )
    assert client.get(f"/outpatient/prescriptions/{prescription['id']}.txt").status_code == 404
    by_code = client.get(f"{API}/prescriptions/{prescription['code']}")
    assert by_code.status_code == 200 and by_code.json()["patient_name"] == "Nguyễn Văn An"

    disposition = {"disposition": "home"}
    assert (
        client.put(f"{API}/visits/{visit_id}/encounter/disposition", json=disposition, headers=headers).status_code
        == 200
    )
    finished = client.post(f"{API}/visits/{visit_id}/encounter/finish", headers=headers)
    assert finished.status_code == 200 and finished.json()["status"] == "finished"
    assert client.get(f"/api/v1/reception/visits/{visit_id}").json()["status"] == "finished"

    actions = {row["action"] for row in audit_rows(client, clinic.man)}
    assert {"encounter.open", "encounter.exam", "encounter.diagnoses", "prescription.issue"} <= actions
    assert {"prescription.print", "prescription.read", "encounter.finish", "visit.finished"} <= actions


def test_a_female_only_code_is_refused_for_a_man_naming_the_field(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = doctor(client)
    visit_id = client.post(f"{API}/rooms/{ROOM}/call-next", headers=headers).json()["visit_id"]
    body = {"items": [{"code": "J06.9", "is_main": True}, {"code": "N76.0"}]}
    refused = client.put(f"{API}/visits/{visit_id}/encounter/diagnoses", json=body, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "diagnoses[1].code"
    assert "N76.0" in refused.json()["detail"]


def test_a_hard_stop_blocks_the_signature_until_overridden(
    app: Litestar, client: TestClient[Litestar], clinic: Clinic
) -> None:
    async def always_stop(draft: PrescriptionDraft) -> list[CheckAlert]:
        return [CheckAlert("hard_stop", "dose", "Fake dose limit", "fake-cdss", key="dose:T0001")]

    kernel: Kernel = app.state["kernel"]
    checks_of(kernel.modules).register("fake-cdss", always_stop)
    headers = doctor(client)
    visit_id = diagnosed(client, headers)
    blocked = client.post(f"{API}/visits/{visit_id}/prescriptions", json={"lines": [PARACETAMOL]}, headers=headers)
    assert blocked.status_code == 409
    assert [(a["severity"], a["key"]) for a in blocked.json()["alerts"]] == [("hard_stop", "dose:T0001")]
    body = {"lines": [PARACETAMOL], "overrides": [{"key": "dose:T0001", "reason": "Liều đã được kiểm tra"}]}
    signed = client.post(f"{API}/visits/{visit_id}/prescriptions", json=body, headers=headers)
    assert signed.status_code == 201, signed.text
    assert signed.json()["prescription"]["overrides"][0]["reason"] == "Liều đã được kiểm tra"
    rows = audit_rows(client, clinic.man)
    assert [r["outcome"] for r in rows if r["action"] == "prescription.blocked"] == ["refused"]
    overrides = [r for r in rows if r["action"] == "prescription.override"]
    assert len(overrides) == 1 and "Liều đã được kiểm tra" in overrides[0]["detail"]


def test_who_may_read_and_who_may_prescribe(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = doctor(client)
    visit_id = diagnosed(client, headers)
    code = client.post(f"{API}/visits/{visit_id}/prescriptions", json={"lines": [PARACETAMOL]}, headers=headers).json()[
        "prescription"
    ]["code"]
    client.cookies.clear()
    pharmacist = {"x-csrf-token": login(client, "duocsi")}
    assert client.get(f"{API}/prescriptions/{code}").status_code == 200
    assert client.get(f"{API}/visits/{visit_id}/encounter").status_code == 200
    refused = client.post(f"{API}/visits/{visit_id}/prescriptions", json={"lines": [PARACETAMOL]}, headers=pharmacist)
    assert refused.status_code == 403
    assert client.post(f"{API}/rooms/{ROOM}/call-next", headers=pharmacist).status_code == 403
    client.cookies.clear()
    login(client, "letan")
    assert client.get(f"{API}/prescriptions/{code}").status_code == 403
    assert client.get("/outpatient").status_code == 403


def test_the_doctors_pages(client: TestClient[Litestar], clinic: Clinic) -> None:
    csrf = login(client, "bacsi")
    page = client.get("/outpatient", params={"room": ROOM})
    assert page.status_code == 200 and "Nguyễn Văn An" in page.text and "Trần Thị Bình" in page.text
    called = client.post(f"/outpatient/rooms/{ROOM}/call-next", data={"_csrf": csrf}, follow_redirects=False)
    assert called.status_code == 303 and called.headers["location"] == f"/outpatient/visits/{clinic.man_visit}"
    exam = client.get(f"/outpatient/visits/{clinic.man_visit}")
    assert exam.status_code == 200 and "Nguyễn Văn An" in exam.text
    waiting = client.get(f"/outpatient/visits/{clinic.woman_visit}")
    assert waiting.status_code == 200 and f'action="/outpatient/visits/{clinic.woman_visit}/open"' in waiting.text

    impossible = client.post(f"/outpatient/visits/{clinic.man_visit}/exam", data={"_csrf": csrf, "pulse": "900"})
    assert impossible.status_code == 422 and 'name="pulse" value="900"' in impossible.text
    saved = client.post(
        f"/outpatient/visits/{clinic.man_visit}/exam",
        data={"_csrf": csrf, "pulse": "120", "temperature": "37,0", "height_cm": "170", "weight_kg": "65"},
    )
    assert saved.status_code == 200 and 'data-testid="vital-warnings"' in saved.text

    icd = client.get("/outpatient/search/icd10", params={"q": "ho hap tren"})
    assert icd.status_code == 200 and "J06.9" in icd.text
    drugs = client.get("/outpatient/search/drugs", params={"q": "amoxi"})
    assert "T0002" in drugs.text and "Amoxicilin 500 mg" in drugs.text
    row = client.get("/outpatient/fragments/line", params={"code": "T0002"})
    assert row.status_code == 200 and 'name="drug_code" value="T0002"' in row.text

    diagnoses = client.post(
        f"/outpatient/visits/{clinic.man_visit}/diagnoses",
        data={"_csrf": csrf, "code": ["J06.9", "N76.0"], "text": ["", ""], "main": "J06.9"},
    )
    assert diagnoses.status_code == 422 and "N76.0" in diagnoses.text
    diagnoses = client.post(
        f"/outpatient/visits/{clinic.man_visit}/diagnoses",
        data={"_csrf": csrf, "code": ["J06.9", "N76.0"], "text": ["", ""], "main": "J06.9", "remove": "N76.0"},
        follow_redirects=False,
    )
    assert diagnoses.status_code == 303

    line = {
        "drug_code": "T0002",
        "drug_name": "Amoxicilin 500 mg",
        "unit": "Viên",
        "dose_per_time": "1",
        "times_per_day": "2",
        "days": "x",
        "quantity": "",
        "instructions": "sau ăn",
    }
    bad = client.post(f"/outpatient/visits/{clinic.man_visit}/prescriptions", data={"_csrf": csrf, **line})
    assert bad.status_code == 422 and 'value="x"' in bad.text and "Amoxicilin 500 mg" in bad.text
    signed = client.post(
        f"/outpatient/visits/{clinic.man_visit}/prescriptions",
        data={"_csrf": csrf, **line, "days": "5"},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    exam = client.get(f"/outpatient/visits/{clinic.man_visit}")
    assert 'data-testid="prescription-code"' in exam.text and "Ngày uống 2 lần, mỗi lần 1 viên, sau ăn" in exam.text

    unfinished = client.post(f"/outpatient/visits/{clinic.man_visit}/finish", data={"_csrf": csrf})
    assert unfinished.status_code == 422
    client.post(f"/outpatient/visits/{clinic.man_visit}/disposition", data={"_csrf": csrf, "disposition": "home"})
    done = client.post(f"/outpatient/visits/{clinic.man_visit}/finish", data={"_csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/outpatient?room={ROOM}"
