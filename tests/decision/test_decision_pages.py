"""The pharmacy's pages and the prescribing screen's fragments: they render, they refuse, they change what they say."""

from __future__ import annotations

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.decision.conftest import OUTPATIENT, as_user, line, open_visit
from tests.outpatient.conftest import Clinic

pytestmark = [pytest.mark.parametrize("db_backend", ["sqlite"])]


def test_pharmacist_pages_render_and_edit_local_rules(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "duocsi")
    for path in ("/decision", "/decision/rules", "/decision/statistics", "/decision/templates", "/decision/screening"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:500])
    refused = client.post(
        "/decision/rules", data={"first": "a", "second": "a", "tier": "note", "message": "m"}, headers=headers
    )
    assert refused.status_code == 422 and 'data-testid="form-error"' in refused.text
    created = client.post(
        "/decision/rules",
        data={"first": "warfarin", "second": "ATC:M01A", "tier": "contraindicated", "message": "Cấm", "source": "HĐT"},
        headers=headers,
        follow_redirects=False,
    )
    assert created.status_code == 303
    page = client.get("/decision/rules").text
    assert "local:R1" in page and "warfarin" in page
    assert client.post("/decision/rules/1/active", data={"active": "0"}, headers=headers).status_code == 200
    assert "Kích hoạt" in client.get("/decision/rules").text  # the deactivated rule offers to activate it again
    screening = client.get("/decision/screening").text
    assert "knowledge_changed" in screening
    # A doctor may not edit the rules.
    as_user(client, "bacsi")
    assert client.get("/decision/rules").status_code == 403


def test_statistics_page_draws_the_chart(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    form = {"drug_code": ["T0101", "T0102"], "dose_per_time": ["1", "1"], "times_per_day": ["2", "2"]}
    assert client.post(f"/decision/visits/{visit_id}/alerts", data=form, headers=headers).status_code == 200
    as_user(client, "duocsi")
    page = client.get("/decision/statistics").text
    assert 'data-testid="chart"' in page and "qd5948:176" in page
    assert len(re.findall(r"<rect ", page)) >= 2


def test_template_page_refuses_activation_with_a_failing_case(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "duocsi")
    page = client.get("/decision/templates").text
    example = re.search(r'<textarea name="template"[^>]*>(.*?)</textarea>', page, re.S)
    assert example is not None
    text = example.group(1).replace("&#34;", '"').replace("&quot;", '"')
    saved = client.post("/decision/templates", data={"template": text}, headers=headers, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    activated = client.post("/decision/templates/NSAID-ELDERLY/status", data={"active": "1"}, headers=headers)
    assert activated.status_code == 200 and "NSAID-ELDERLY" in activated.text
    broken = text.replace('"expect_fire": false', '"expect_fire": true')
    client.post("/decision/templates", data={"template": broken}, headers=headers)
    refused = client.post("/decision/templates/NSAID-ELDERLY/status", data={"active": "1"}, headers=headers)
    assert refused.status_code == 409 and "40 with ibuprofen" in refused.text
    assert client.post("/decision/templates", data={"template": "{"}, headers=headers).status_code == 422


def test_prescribing_screen_fragments(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers, ("E11.9",))
    exam = client.get(f"/outpatient/visits/{visit_id}").text
    for marker in ('id="decision-alerts"', 'id="allergies"', 'id="protocols"', 'data-testid="dose-calculator"'):
        assert marker in exam
    allergies = client.get(f"/decision/patients/{clinic.man}/allergies").text
    assert 'data-testid="allergies-unknown"' in allergies
    added = client.post(
        f"/decision/patients/{clinic.man}/allergies",
        data={"action": "add", "substance": "Aspirin", "reaction": "Hen", "severity": "severe"},
        headers=headers,
    )
    assert 'data-testid="allergy"' in added.text and "Aspirin" in added.text
    protocols = client.get(f"/decision/visits/{visit_id}/protocols").text
    assert "metformin" in protocols.lower() and 'data-testid="protocol-deviations"' in protocols
    dose = client.get(
        "/decision/dose", params={"child_weight_kg": "14", "dose": "25", "basis": "kg", "times_per_day": "3"}
    )
    assert "350.0 mg" in dose.text or "350 mg" in dose.text
    bsa = client.get(
        "/decision/dose", params={"child_weight_kg": "16", "child_height_cm": "100", "dose": "100", "basis": "m2"}
    ).text
    assert "0.667" in bsa
    assert "problem" in client.get("/decision/dose", params={"dose": "10"}).text
    drugs = client.get("/outpatient/search/drugs", params={"q": "klacid"}).text
    assert "T0107" in drugs and "/pharmacy/drugs/T0107" in drugs
    by_substance = client.get("/outpatient/search/drugs", params={"q": "clarithromycin"}).text
    assert "T0101" in by_substance and "T0107" in by_substance


def test_renewal_copies_an_earlier_prescription_into_the_draft(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    signed = client.post(
        f"{OUTPATIENT}/visits/{visit_id}/prescriptions",
        json={"lines": [line("T0001", "2", 3, 4)], "advice": "Uống sau ăn"},
        headers=headers,
    )
    assert signed.status_code == 201, signed.text
    earlier = client.get(f"/decision/visits/{visit_id}/earlier").text
    prescription_id = signed.json()["prescription"]["id"]
    assert f"/outpatient/visits/{visit_id}/renew/{prescription_id}" in earlier
    renewed = client.get(f"/outpatient/visits/{visit_id}/renew/{prescription_id}")
    assert renewed.status_code == 200
    assert 'name="drug_code" value="T0001"' in renewed.text and 'name="dose_per_time" value="2"' in renewed.text
    # Another patient's visit cannot renew it.
    other = open_visit(client, headers)
    assert client.get(f"/outpatient/visits/{other}/renew/{prescription_id}").status_code == 404
