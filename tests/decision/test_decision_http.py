"""Decision support through the HTTP API on both databases: allergies, the prescription check wired into signing,
overrides and the review queue, statistics, local rules, templates, screening."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.decision.conftest import DECISION, OUTPATIENT, as_user, audit_actions, line, open_visit
from tests.outpatient.conftest import Clinic

pytestmark = [pytest.mark.criterion(53)]
PAIR = [line("T0101"), line("T0102")]  # clarithromycin + fluconazole: QĐ 5948/QĐ-BYT #176


def test_allergies_are_recorded_audited_and_removed_with_a_reason(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    empty = client.get(f"{DECISION}/patients/{clinic.man}/allergies")
    assert empty.status_code == 200 and empty.json() == {"patient_id": clinic.man, "known": False, "allergies": []}
    added = client.post(
        f"{DECISION}/patients/{clinic.man}/allergies",
        json={"substance": "Penicilin", "reaction": "Mày đay", "severity": "moderate"},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    again = client.post(f"{DECISION}/patients/{clinic.man}/allergies", json={"substance": "penicilin"}, headers=headers)
    assert again.status_code == 409
    listing = client.get(f"{DECISION}/patients/{clinic.man}/allergies").json()
    assert listing["known"] and [a["substance"] for a in listing["allergies"]] == ["Penicilin"]
    allergy_id = listing["allergies"][0]["id"]
    no_reason = client.post(
        f"{DECISION}/patients/{clinic.man}/allergies/{allergy_id}/remove", json={"reason": " "}, headers=headers
    )
    assert no_reason.status_code == 422
    removed = client.post(
        f"{DECISION}/patients/{clinic.man}/allergies/{allergy_id}/remove",
        json={"reason": "Ghi nhầm bệnh nhân"},
        headers=headers,
    )
    assert removed.status_code == 200 and removed.json()["allergies"] == []
    # A cashier may not read allergies.
    as_user(client, "thungan")
    assert client.get(f"{DECISION}/patients/{clinic.man}/allergies").status_code == 403
    actions = [r["action"] for r in audit_actions(client, patient_id=str(clinic.man))]
    assert {"allergy.add", "allergy.remove", "patient.read"} <= set(actions)


def test_a_contraindicated_pair_blocks_signing_until_overridden_with_a_reason(
    client: TestClient[Litestar], clinic: Clinic
) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    blocked = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": PAIR}, headers=headers)
    assert blocked.status_code == 409, blocked.text
    stops = [a for a in blocked.json()["alerts"] if a["severity"] == "hard_stop"]
    assert len(stops) == 1 and stops[0]["kind"] == "interaction"
    assert stops[0]["key"] == "qd5948:176@0,1" and "QĐ 5948" in stops[0]["source"]
    blank = {"lines": PAIR, "overrides": [{"key": stops[0]["key"], "reason": "  "}]}
    assert client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=blank, headers=headers).status_code == 409
    reason = "Nhiễm nấm nặng, đã đo QT bình thường"
    body = {"lines": PAIR, "overrides": [{"key": stops[0]["key"], "reason": reason}]}
    signed = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers=headers)
    assert signed.status_code == 201, signed.text
    code = signed.json()["prescription"]["code"]

    # The pharmacist sees it in the review queue, with the reason, and marks it reviewed.
    as_user(client, "duocsi")
    queue = client.get(f"{DECISION}/reviews").json()
    assert [r["prescription_code"] for r in queue] == [code]
    assert reason in queue[0]["summary"]
    headers = as_user(client, "duocsi")
    done = client.post(f"{DECISION}/reviews/{queue[0]['id']}/done", json={"note": "Đã gọi bác sĩ"}, headers=headers)
    assert done.status_code == 200 and done.json()["status"] == "reviewed"
    assert client.post(f"{DECISION}/reviews/{queue[0]['id']}/done", json={}, headers=headers).status_code == 409
    assert client.get(f"{DECISION}/reviews").json() == []

    stats = {s["rule"]: s for s in client.get(f"{DECISION}/statistics").json()}
    assert (stats["qd5948:176"]["fired"], stats["qd5948:176"]["overridden"]) == (1, 1)
    assert stats["qd5948:176"]["override_rate"] == 1.0

    rows = audit_actions(client, patient_id=str(clinic.man))
    overrides = [r for r in rows if r["action"] == "prescription.override"]
    assert len(overrides) == 1 and reason in overrides[0]["detail"] and "qd5948:176" in overrides[0]["detail"]
    assert any(r["action"] == "prescription.review" for r in audit_actions(client, action="prescription.review"))


def test_recorded_allergies_reach_the_check(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    client.post(f"{DECISION}/patients/{clinic.man}/allergies", json={"substance": "penicillins"}, headers=headers)
    visit_id = open_visit(client, headers)
    checked = client.post(f"{DECISION}/visits/{visit_id}/check", json=[{"drug_code": "T0002"}], headers=headers)
    assert checked.status_code == 200, checked.text
    assert [a["kind"] for a in checked.json()] == ["allergy"]


def test_inline_alerts_duplicates_and_dismissal_are_counted(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    form = {"drug_code": ["T0103", "T0104"], "dose_per_time": ["1", "1"], "times_per_day": ["2", "2"]}
    html = client.post(f"/decision/visits/{visit_id}/alerts", data=form, headers=headers)
    assert html.status_code == 200, html.text
    assert 'data-testid="alert-warning"' in html.text and "duplicate:class:nsaids" in html.text
    # Checking the same draft again does not count the alert twice.
    client.post(f"/decision/visits/{visit_id}/alerts", data=form, headers=headers)
    dismissed = client.post(
        f"/decision/visits/{visit_id}/dismiss",
        data={
            "key": "duplicate:class:nsaids@0,1",
            "rule": "duplicate:class:nsaids",
            "severity": "warning",
            "kind": "duplicate_therapy",
            "message": "two NSAIDs",
            "source": "cdss",
            "dismiss_reason": "Đổi thuốc ngay sau khám",
        },
        headers=headers,
    )
    assert dismissed.status_code == 200
    as_user(client, "duocsi")
    stats = {s["rule"]: s for s in client.get(f"{DECISION}/statistics").json()}
    assert (stats["duplicate:class:nsaids"]["fired"], stats["duplicate:class:nsaids"]["dismissed"]) == (1, 1)
    assert stats["duplicate:class:nsaids"]["overridden"] == 0


def test_local_rules_are_the_pharmacys_and_rebuild_the_knowledge(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    rule = {
        "first": "paracetamol",
        "second": "amoxicillin",
        "tier": "contraindicated",
        "message": "Quy định nội bộ thử nghiệm",
        "source": "HĐT&ĐT 01/2025",
    }
    assert client.post(f"{DECISION}/local-rules", json=rule, headers=headers).status_code == 403
    headers = as_user(client, "duocsi")
    before = client.get(f"{DECISION}/knowledge").json()["version"]
    created = client.post(f"{DECISION}/local-rules", json=rule, headers=headers)
    assert created.status_code == 201, created.text
    rule_id = created.json()["id"]
    after = client.get(f"{DECISION}/knowledge").json()
    assert after["version"] != before and after["local_rules"] == 1
    # The change screened the hospital again.
    screening = client.get(f"{DECISION}/screening").json()
    assert (
        screening["run"]["trigger"] == "knowledge_changed" and screening["run"]["knowledge_version"] == after["version"]
    )

    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    checked = client.post(
        f"{DECISION}/visits/{visit_id}/check", json=[{"drug_code": "T0001"}, {"drug_code": "T0002"}], headers=headers
    ).json()
    assert [(a["severity"], a["rule"]) for a in checked] == [("hard_stop", created.json()["rule"])]

    headers = as_user(client, "duocsi")
    edited = client.put(f"{DECISION}/local-rules/{rule_id}", json={**rule, "tier": "note"}, headers=headers)
    assert edited.status_code == 200 and edited.json()["tier"] == "note"
    off = client.post(f"{DECISION}/local-rules/{rule_id}/deactivate", headers=headers)
    assert off.status_code == 200 and not off.json()["active"]
    assert client.get(f"{DECISION}/knowledge").json()["version"] == before
    headers = as_user(client, "bacsi")
    checked = client.post(
        f"{DECISION}/visits/{visit_id}/check", json=[{"drug_code": "T0001"}, {"drug_code": "T0002"}], headers=headers
    ).json()
    assert checked == []
    actions = [r["action"] for r in audit_actions(client, username="duocsi")]
    assert {"local_rule.create", "local_rule.edit", "local_rule.deactivate", "screening.run"} <= set(actions)


TEMPLATE = {
    "definition": {
        "code": "DM-NSAID",
        "name": "NSAID in diabetes",
        "match": "all",
        "conditions": [
            {"fact": "diagnosis", "op": "prefix", "value": "E11"},
            {"fact": "drug_class", "op": "prefix", "value": "M01A"},
        ],
        "severity": "warning",
        "message": "NSAID ở bệnh nhân đái tháo đường: theo dõi chức năng thận",
    },
    "cases": [
        {"name": "diabetic on ibuprofen", "facts": {"diagnoses": ["E11.9"], "drug_classes": ["M01AE01"]},
         "expect_fire": True},
        {"name": "not diabetic", "facts": {"diagnoses": ["I10"], "drug_classes": ["M01AE01"]}, "expect_fire": True},
    ],
}  # fmt: skip


def test_a_template_is_activated_only_when_its_cases_pass(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "duocsi")
    saved = client.post(f"{DECISION}/templates", json=TEMPLATE, headers=headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["status"] == "draft" and saved.json()["problems"]
    refused = client.post(f"{DECISION}/templates/DM-NSAID/activate", headers=headers)
    assert refused.status_code == 409 and "not diabetic" in refused.json()["detail"]
    fixed = {**TEMPLATE, "cases": [TEMPLATE["cases"][0], {**TEMPLATE["cases"][1], "expect_fire": False}]}  # type: ignore[index, dict-item]
    assert client.post(f"{DECISION}/templates", json=fixed, headers=headers).json()["problems"] == []
    activated = client.post(f"{DECISION}/templates/DM-NSAID/activate", headers=headers)
    assert activated.status_code == 200 and activated.json()["status"] == "active"

    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers, ("E11.9",))
    checked = client.post(f"{DECISION}/visits/{visit_id}/check", json=[{"drug_code": "T0103"}], headers=headers)
    assert ("warning", "template:DM-NSAID") in [(a["severity"], a["key"]) for a in checked.json()]
    # The type 2 diabetes protocol: no metformin among the drugs.
    assert "protocol:t2dm:metformin" in [a["key"] for a in checked.json()]
    checked = client.post(
        f"{DECISION}/visits/{visit_id}/check", json=[{"drug_code": "T0103"}, {"drug_code": "T0105"}], headers=headers
    )
    assert "protocol:t2dm:metformin" not in [a["key"] for a in checked.json()]
    protocols = client.get(f"/decision/visits/{visit_id}/protocols", headers=headers)
    assert protocols.status_code == 200 and 'data-testid="protocol"' in protocols.text


def test_screening_lists_active_medication_conflicts(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    first = client.post(
        f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": [line("T0101")]}, headers=headers
    )
    assert first.status_code == 201, first.text
    # Another visit of the same patient later adds fluconazole: the check sees the active clarithromycin.
    second = client.post(
        f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": [line("T0102")]}, headers=headers
    )
    assert second.status_code == 409
    key = next(a["key"] for a in second.json()["alerts"] if a["severity"] == "hard_stop")
    body = {"lines": [line("T0102")], "overrides": [{"key": key, "reason": "Hội chẩn"}]}
    assert client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers=headers).status_code == 201
    headers = as_user(client, "duocsi")
    run = client.post(f"{DECISION}/screening", headers=headers)
    assert run.status_code == 201 and run.json()["patients"] == 1 and run.json()["hard_stops"] == 1
    findings = client.get(f"{DECISION}/screening").json()["findings"]
    assert [(f["patient_id"], f["severity"], f["rule"]) for f in findings] == [(clinic.man, "hard_stop", "qd5948:176")]
    page = client.get("/decision/screening")
    assert page.status_code == 200 and "qd5948" not in page.text and "Clarithromycin 500 mg" in page.text
