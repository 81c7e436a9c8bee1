"""Treatment protocols as data: suggestions for a diagnosis and deviations with their contraindications."""

from __future__ import annotations

from cdss.protocols import (
    DrugFact,
    LabLimit,
    Protocol,
    ProtocolFacts,
    Requirement,
    advise,
    decode_protocols,
    default_protocols,
)

PROTOCOLS = default_protocols()
METFORMIN = DrugFact(["metformin"], ["A10BA02"])
ENALAPRIL = DrugFact(["enalapril"], ["C09AA02"])
AMLODIPINE = DrugFact(["amlodipine"], ["C08CA01"])
AMOXICILLIN = DrugFact(["amoxicillin"], ["J01CA04"])
GLICLAZIDE = DrugFact(["gliclazide"], ["A10BB09"])


def _deviations(facts: ProtocolFacts) -> set[str]:
    return {d.rule for advice in advise(PROTOCOLS, facts) for d in advice.deviations}


def test_no_matching_diagnosis_no_advice() -> None:
    assert advise(PROTOCOLS, ProtocolFacts(diagnoses=["J06.9"])) == []


def test_each_protocol_suggests_orders_and_drugs() -> None:
    for code, protocol in (("J18.9", "cap"), ("I10", "hypertension"), ("E11.9", "t2dm")):
        (advice,) = advise(PROTOCOLS, ProtocolFacts(diagnoses=[code]))
        assert advice.protocol == protocol
        assert advice.matched == [code]
        assert {s.kind for s in advice.suggestions} == {"order", "drug"}
        assert advice.source


def test_type_2_diabetes_without_metformin_is_flagged() -> None:
    assert _deviations(ProtocolFacts(diagnoses=["E11.9"], drugs=[GLICLAZIDE])) == {"protocol:t2dm:metformin"}
    assert _deviations(ProtocolFacts(diagnoses=["E11.9"], drugs=[METFORMIN, GLICLAZIDE])) == set()


def test_metformin_contraindications_silence_the_deviation() -> None:
    base = {"diagnoses": ["E11.9"], "drugs": [GLICLAZIDE]}
    assert _deviations(ProtocolFacts(**base, labs={"creatinine_clearance_ml_min": 25})) == set()  # type: ignore[arg-type]
    assert _deviations(ProtocolFacts(diagnoses=["E11.9", "N18.5"], drugs=[GLICLAZIDE])) == set()
    assert _deviations(ProtocolFacts(**base, allergies=["Metformin"])) == set()  # type: ignore[arg-type]
    assert _deviations(ProtocolFacts(**base, pregnant=True)) == set()  # type: ignore[arg-type]
    # A clearance that allows metformin does not excuse its absence.
    assert _deviations(ProtocolFacts(**base, labs={"creatinine_clearance_ml_min": 60})) == {  # type: ignore[arg-type]
        "protocol:t2dm:metformin"
    }


def test_hypertension_with_diabetes_needs_an_ace_inhibitor_or_arb() -> None:
    assert "protocol:hypertension:diabetes_ace_arb" in _deviations(
        ProtocolFacts(diagnoses=["I10", "E11.9"], drugs=[AMLODIPINE, METFORMIN])
    )
    assert _deviations(ProtocolFacts(diagnoses=["I10", "E11.9"], drugs=[ENALAPRIL, METFORMIN])) == set()
    # By name when the class is not known, in any case.
    assert _deviations(ProtocolFacts(diagnoses=["I10", "E11.9"], drugs=[DrugFact(["Losartan"]), METFORMIN])) == set()
    # Hypertension alone: an ACE inhibitor or ARB is one choice among several.
    assert _deviations(ProtocolFacts(diagnoses=["I10"], drugs=[AMLODIPINE])) == set()
    # Hyperkalaemia is a contraindication.
    assert _deviations(ProtocolFacts(diagnoses=["I10", "E11.9", "E87.5"], drugs=[AMLODIPINE, METFORMIN])) == set()


def test_pneumonia_without_an_antibiotic() -> None:
    assert _deviations(ProtocolFacts(diagnoses=["J18.9"])) == {"protocol:cap:antibiotic"}
    assert _deviations(ProtocolFacts(diagnoses=["J18.9"], drugs=[AMOXICILLIN])) == set()


def test_a_hospital_protocol_is_data() -> None:
    (custom,) = decode_protocols(
        '[{"id": "gout", "name": "Gout", "diagnoses": ["M10"],'
        ' "suggestions": [{"kind": "order", "text": "Uric acid"}],'
        ' "requirements": [{"id": "ult", "message": "No urate-lowering therapy",'
        ' "any_of": ["allopurinol", "ATC:M04AA"],'
        ' "unless_labs": [{"lab": "egfr", "op": "lt", "value": 15}]}], "source": "hospital"}]'
    )
    assert isinstance(custom, Protocol)
    assert custom.requirements[0] == Requirement(
        id="ult", message="No urate-lowering therapy", any_of=["allopurinol", "ATC:M04AA"],
        unless_labs=[LabLimit("egfr", "lt", 15)],
    )  # fmt: skip
    (advice,) = advise([custom], ProtocolFacts(diagnoses=["M10.0"]))
    assert [d.rule for d in advice.deviations] == ["protocol:gout:ult"]
    (advice,) = advise([custom], ProtocolFacts(diagnoses=["M10.0"], drugs=[DrugFact(["febuxostat"], ["M04AA03"])]))
    assert advice.deviations == []
