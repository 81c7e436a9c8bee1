"""The whole decision-support check of one outpatient prescription (names resolved, every check kind, alerts built):
what the prescribing screen waits for on each change of the draft, apart from the database and HTTP.

Measured with `make bench-cdss`; in the ordinary suite it runs once as a plain test (tests/perf/conftest.py)."""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from cdss.api import CheckRequest, Drug, Knowledge, Patient, check, load_knowledge


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def older_patient_with_eight_drugs() -> CheckRequest:
    """A 67-year-old with hypertension, type 2 diabetes and chronic kidney disease, allergic to penicillin, on eight
    drugs, given four more: an ordinary day at a provincial clinic."""
    active = [
        Drug(["metformin"], dose_mg=850, doses_per_day=2),
        Drug(["amlodipine"], dose_mg=5, doses_per_day=1),
        Drug(["losartan"], dose_mg=50, doses_per_day=1),
        Drug(["atorvastatin"], dose_mg=20, doses_per_day=1),
        Drug(["acetylsalicylic acid"], dose_mg=81, doses_per_day=1),
        Drug(["omeprazole"], dose_mg=20, doses_per_day=1),
        Drug(["furosemide"], dose_mg=40, doses_per_day=1),
        Drug(["gliclazide"], dose_mg=30, doses_per_day=1),
    ]
    new = [
        Drug(["clarithromycin"], dose_mg=500, doses_per_day=2),
        Drug(["ibuprofen"], dose_mg=400, doses_per_day=3),
        Drug(["Paracetamol"], dose_mg=500, doses_per_day=4),
        Drug(["Amoxicilin", "Acid clavulanic"]),
    ]
    patient = Patient(
        age_years=67,
        sex="M",
        weight_kg=62,
        allergies=["penicillin"],
        diagnoses=["I10", "E11.9", "N18.3"],
        creatinine_clearance_ml_min=40,
    )
    return CheckRequest(patient=patient, active=active, new=new)


def test_one_prescription_check(benchmark: BenchmarkFixture, knowledge: Knowledge) -> None:
    request = older_patient_with_eight_drugs()
    check(knowledge, request)  # names resolved and cached once, as after the first draft of the day
    alerts = benchmark(check, knowledge, request)
    kinds = {alert.kind for alert in alerts}
    # The allergy (amoxicillin in a penicillin-allergic patient) and the interactions (clarithromycin with
    # atorvastatin; ibuprofen with aspirin/furosemide/losartan) are what a pharmacist would flag.
    assert {"allergy", "interaction"} <= kinds
