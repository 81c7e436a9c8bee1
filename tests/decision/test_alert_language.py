"""The engine's alerts reach the doctor in Vietnamese: the decision check API, the inline alerts of the exam page,
the 409 of signing a prescription, CDS Hooks cards; and every engine msgid has a Vietnamese translation."""

from __future__ import annotations

import importlib.util
import string
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import TestClient

from cdss import api as cdss
from his.decision.engine import Engine, message_patterns
from tests.decision.conftest import DECISION, OUTPATIENT, as_user, line, open_visit
from tests.decision.test_cds_hooks import bundle, call, medication
from tests.outpatient.conftest import Clinic

pytestmark = [pytest.mark.criterion(53)]
ROOT = Path(__file__).resolve().parents[2]
VI = {"accept-language": "vi"}
EN = {"accept-language": "en"}
# Ibuprofen 400 mg, 3 tablets 4 times a day: 1200 mg a dose (maximum 800), 4800 mg a day (maximum 3200).
OVERDOSE = {"drug_code": "T0103", "dose_per_time": "3", "times_per_day": "4"}
# Ibuprofen and diclofenac: two NSAIDs.
DUPLICATE_VI = (
    "Hai thuốc cùng nhóm điều trị được kê (Thuốc chống viêm không steroid (kể cả aspirin)): trùng lặp điều trị?"
)
DUPLICATE_EN = (
    "Two drugs of the same therapeutic class are prescribed (Non-steroidal anti-inflammatory drugs (including "
    "aspirin)): duplicate therapy?"
)
TWO_NSAIDS = {"drug_code": ["T0103", "T0104"], "dose_per_time": ["1", "1"], "times_per_day": ["2", "2"]}


def _i18n() -> ModuleType:
    spec = importlib.util.spec_from_file_location("his_i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _messages(alerts: list[dict[str, Any]], kind: str) -> list[str]:
    return [a["message"] for a in alerts if a["kind"] == kind]


def test_dose_alerts_are_in_the_doctors_language(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    vi = client.post(f"{DECISION}/visits/{visit_id}/check", json=[OVERDOSE], headers={**headers, **VI})
    assert vi.status_code == 200, vi.text
    assert "Liều một lần 1200 mg vượt quá liều tối đa 800 mg." in _messages(vi.json(), "dose")
    assert "Liều trong ngày 4800 mg vượt quá liều tối đa 3200 mg mỗi ngày." in _messages(vi.json(), "dose")
    en = client.post(f"{DECISION}/visits/{visit_id}/check", json=[OVERDOSE], headers={**headers, **EN})
    assert "Single dose 1200 mg is above the maximum of 800 mg." in _messages(en.json(), "dose")


def test_duplicate_alert_is_vietnamese_in_the_api_and_the_exam_page(
    client: TestClient[Litestar], clinic: Clinic
) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    lines = [{"drug_code": code} for code in TWO_NSAIDS["drug_code"]]
    checked = client.post(f"{DECISION}/visits/{visit_id}/check", json=lines, headers={**headers, **VI})
    duplicates = _messages(checked.json(), "duplicate_therapy")
    assert duplicates == [DUPLICATE_VI]
    fragment = client.post(f"/decision/visits/{visit_id}/alerts", data=TWO_NSAIDS, headers={**headers, **VI})
    assert fragment.status_code == 200, fragment.text
    # Shown in Vietnamese; the English text rides along only in the dismiss button's values (it is what is kept).
    assert f"</strong>: {duplicates[0]} <small>" in fragment.text
    assert fragment.text.count("Two drugs of the same therapeutic class") == 1
    # The alert is kept as the engine's English and shown in the reader's language on the statistics.
    as_user(client, "duocsi")
    stats = {s["rule"]: s["message"] for s in client.get(f"{DECISION}/statistics", headers=VI).json()}
    assert stats["duplicate:class:nsaids"] == duplicates[0]
    english = {s["rule"]: s["message"] for s in client.get(f"{DECISION}/statistics", headers=EN).json()}
    assert english["duplicate:class:nsaids"] == DUPLICATE_EN
    page = client.get("/decision/statistics")
    assert page.status_code == 200 and duplicates[0] in page.text


def test_screening_findings_are_shown_in_vietnamese(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    for code in ("T0103", "T0104"):  # two NSAIDs, in two prescriptions still running
        signed = client.post(
            f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json={"lines": [line(code)]}, headers=headers
        )
        assert signed.status_code == 201, signed.text
    headers = as_user(client, "duocsi")
    assert client.post(f"{DECISION}/screening", headers=headers).status_code == 201
    findings = client.get(f"{DECISION}/screening", headers=VI).json()["findings"]
    duplicates = [f["message"] for f in findings if f["rule"] == "duplicate:class:nsaids"]
    assert duplicates == [DUPLICATE_VI]
    page = client.get("/decision/screening")
    assert page.status_code == 200 and duplicates[0] in page.text and "same therapeutic class" not in page.text


def test_signing_over_alerts_answers_them_in_vietnamese(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    # The QĐ 5948 pair blocks signing; the overdose of ibuprofen comes with it.
    body = {"lines": [line("T0101"), line("T0102"), line("T0103", dose="3", times=4)]}
    blocked = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers={**headers, **VI})
    assert blocked.status_code == 409, blocked.text
    doses = _messages(blocked.json()["alerts"], "dose")
    assert "Liều một lần 1200 mg vượt quá liều tối đa 800 mg." in doses
    assert not any("above the maximum" in message for message in doses)


def test_signing_over_alerts_answers_an_english_reader_in_english(client: TestClient[Litestar], clinic: Clinic) -> None:
    headers = as_user(client, "bacsi")
    visit_id = open_visit(client, headers)
    body = {"lines": [line("T0101"), line("T0102"), line("T0103"), line("T0104")]}
    blocked = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers={**headers, **EN})
    assert blocked.status_code == 409, blocked.text
    # Filled in with its values (a class name among them) in the reader's language, not the hospital's.
    assert DUPLICATE_EN in _messages(blocked.json()["alerts"], "duplicate_therapy")
    vietnamese = client.post(f"{OUTPATIENT}/visits/{visit_id}/prescriptions", json=body, headers={**headers, **VI})
    assert DUPLICATE_VI in _messages(vietnamese.json()["alerts"], "duplicate_therapy")


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_cds_hooks_cards_follow_accept_language(client: TestClient[Litestar], staff: dict[str, str]) -> None:
    headers = as_user(client, "admin")
    issued = client.post("/api/v1/tokens", json={"name": "EMR", "scopes": ["decision.cds_hooks"]}, headers=headers)
    assert issued.status_code == 201, issued.text
    client.cookies.clear()
    bearer = {"authorization": f"Bearer {issued.json()['secret']}"}
    body = call("order-sign", bundle(medication("a", "Ibuprofen", dose_mg=1200)), prefetch={"patient": {}})
    vi = client.post("/cds-services/his-medication-sign", json=body, headers={**bearer, **VI}).json()["cards"]
    assert "Liều một lần 1200 mg vượt quá liều tối đa 800 mg." in [c["summary"] for c in vi]
    en = client.post("/cds-services/his-medication-sign", json=body, headers={**bearer, **EN}).json()["cards"]
    assert "Single dose 1200 mg is above the maximum of 800 mg." in [c["summary"] for c in en]


def test_an_alert_kept_as_english_text_is_read_back_into_its_msgid_and_values() -> None:
    engine = Engine()
    assert engine.msgid_of("Single dose 1200 mg is above the maximum of 800 mg.") == (
        "Single dose {dose} mg is above the maximum of {maximum} mg.",
        {"dose": "1200", "maximum": "800"},
    )
    estimated = (
        "Single dose 300 mg is above the maximum of 150 mg. The maximum is for an estimated weight of 15 kg "
        "for the age: record the weight for an exact check."
    )
    assert engine.msgid_of(estimated)[1] == {"dose": "300", "maximum": "150", "weight": "15"}
    assert engine.msgid_of("The same substance is prescribed in two drugs.") == (
        "The same substance is prescribed in two drugs.",
        {},
    )
    assert engine.msgid_of("Chống chỉ định phối hợp") == ("Chống chỉ định phối hợp", {})
    repeated = message_patterns(["{a} and {a} but {b}", "plain"])
    assert [msgid for _pattern, msgid in repeated] == ["{a} and {a} but {b}"]
    assert repeated[0][0].fullmatch("x and x but y") and not repeated[0][0].fullmatch("x and z but y")


def test_every_engine_message_has_a_vietnamese_translation_with_its_placeholders() -> None:
    i18n = _i18n()
    errors, _warnings = i18n.problems("decision")
    assert errors == []
    template = i18n.extract_catalog("decision")
    with (ROOT / "his/decision/locale/vi/LC_MESSAGES/messages.po").open("rb") as handle:
        vi = read_po(handle, locale="vi")
    messages = cdss.english_messages(cdss.load_knowledge())
    assert len(messages) > 150
    for message in messages:
        assert template.get(message) is not None, message
        translated = vi.get(message)
        assert translated is not None and translated.string and translated.string != message, message
        assert _fields(str(translated.string)) == _fields(message), message
    knowledge = cdss.load_knowledge()
    names = {c.name for c in knowledge.classes.values()} | set(knowledge.duplicate_class_names)
    for name in names - set(messages):
        translated = vi.get(name)
        assert name.startswith("ATC ") or (translated is not None and translated.string), name
