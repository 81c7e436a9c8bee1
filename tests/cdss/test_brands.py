"""Brand names stand for their substances (cdss/data/brands.csv): a doctor or a vendor writing "Augmentin" or
"Hapacol" is checked like one writing the substances; strengths are dropped, percentages too."""

from __future__ import annotations

import csv
import json
from importlib import resources
from typing import Any

import pytest

from cdss.api import Knowledge, load_knowledge
from cdss.command import run_check


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def _alerts(request: dict[str, Any]) -> list[dict[str, Any]]:
    answer = run_check(json.dumps(request))
    alerts: list[dict[str, Any]] = answer["alerts"]
    return alerts


def test_every_brand_names_exactly_its_substances(knowledge: Knowledge) -> None:
    text = resources.files("cdss").joinpath("data/brands.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    assert len(rows) >= 90
    for row in rows:
        expected = {knowledge.ids_of(part)[0] for part in row["substances"].split(";")}
        assert set(knowledge.ids_of(row["name"])) == expected, row["name"]
        assert set(knowledge.ids_of(row["name"].upper() + " 500 mg")) == expected, row["name"]
        assert row["source"].strip(), row["name"]


@pytest.mark.parametrize(
    ("request_body", "kind", "severity"),
    [
        (
            {"patient": {"allergies": ["penicillin"]}, "new": [{"substance": "Augmentin 625 mg"}]},
            "allergy",
            "hard_stop",
        ),
        ({"active": [{"substance": "Klacid"}], "new": [{"substance": "Diflucan"}]}, "interaction", "hard_stop"),
        ({"active": [{"substance": "Coumadin"}], "new": [{"substance": "Brufen"}]}, "interaction", "warning"),
        ({"active": [{"substance": "Panadol"}], "new": [{"substance": "Hapacol 500"}]}, "duplicate", "warning"),
        ({"active": [{"substance": "Viagra"}], "new": [{"substance": "Imdur"}]}, "interaction", "hard_stop"),
    ],
)
def test_brand_names_are_checked_like_their_substances(request_body: dict[str, Any], kind: str, severity: str) -> None:
    found = [a for a in _alerts(request_body) if a["kind"] == kind]
    assert found, request_body
    order = ("info", "warning", "hard_stop")
    assert max(order.index(a["severity"]) for a in found) >= order.index(severity)


def test_a_strength_in_percent_is_dropped(knowledge: Knowledge) -> None:
    assert knowledge.ids_of("Kali clorid 10%") == knowledge.ids_of("potassium chloride") != ()
    assert knowledge.ids_of("Kali clorid 10%/5 ml") == knowledge.ids_of("potassium chloride")
