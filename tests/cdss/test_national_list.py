"""`his cdss check` flags every pair of the national list of contraindicated interactions (QĐ 5948/QĐ-BYT)."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from typing import Any

import pytest

from cdss.api import Knowledge, resolve_substance
from cdss.command import run_check

pytestmark = pytest.mark.criterion(53)


def _national_rows() -> list[dict[str, str]]:
    text = resources.files("cdss").joinpath("data", "ddi-contraindicated-qd5948.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _flags(answer: dict[str, Any], stt: str) -> bool:
    return any(
        alert["kind"] == "interaction"
        and alert["severity"] == "hard_stop"
        and alert["rule"] == f"qd5948:{stt}"
        and alert["source"] == f"QĐ 5948/QĐ-BYT #{stt}"
        for alert in answer["alerts"]
    )


def test_the_shipped_list_is_the_published_one() -> None:
    rows = _national_rows()
    substances = {row[column].strip() for row in rows for column in ("substance_1", "substance_2")}
    assert len(rows) == 633
    assert len(substances) == 249
    assert [row["stt"] for row in rows] == [str(number) for number in range(1, 634)]


def test_every_pair_is_a_hard_stop_in_both_orders() -> None:
    """All 633 pairs, new x active and active x new, through the command's function, in one array request."""
    rows = _national_rows()
    requests = []
    for row in rows:
        first, second = row["substance_1"], row["substance_2"]
        requests.append({"new": [{"substance": first}], "active": [{"substance": second}]})
        requests.append({"new": [{"substance": second}], "active": [{"substance": first}]})
    answers = run_check(json.dumps(requests))
    assert len(answers) == 2 * len(rows)
    missed = [
        (row["stt"], order)
        for number, row in enumerate(rows)
        for order in (0, 1)
        if not _flags(answers[2 * number + order], row["stt"])
    ]
    assert missed == []
    assert all(answer["unmapped"] == [] for answer in answers)


def test_both_new_drugs_are_checked_against_each_other() -> None:
    rows = _national_rows()
    requests = [{"new": [{"substance": row["substance_1"]}, {"substance": row["substance_2"]}]} for row in rows]
    answers = run_check(json.dumps(requests))
    assert [row["stt"] for row, answer in zip(rows, answers, strict=True) if not _flags(answer, row["stt"])] == []


def test_a_sample_in_english_inn_spelling(knowledge: Knowledge) -> None:
    rows = _national_rows()[::7]
    requests = []
    for row in rows:
        names = []
        for column in ("substance_1", "substance_2"):
            parts = [resolve_substance(knowledge, part) for part in row[column].split("/")]
            names.append([part.inn for part in parts if part is not None])
        requests.append({"new": [{"substance": names[0]}], "active": [{"substance": names[1]}]})
    answers = run_check(json.dumps(requests))
    assert [row["stt"] for row, answer in zip(rows, answers, strict=True) if not _flags(answer, row["stt"])] == []


@pytest.mark.parametrize(
    ("english", "vietnamese", "stt"),
    [
        (["sildenafil"], "Nitroglycerin", "556"),  # glyceryl trinitrate by its common name
        (["simvastatin"], "Clarithromycin", "180"),
        (["ciprofloxacin"], "Tizanidin", "161"),
        (["ceftriaxone"], "Calcigluconat", "137"),  # the list writes calcium gluconate in one word
    ],
)
def test_known_pairs_in_mixed_spelling(english: list[str], vietnamese: str, stt: str) -> None:
    answer = run_check(json.dumps({"new": [{"substance": english}], "active": [{"substance": vietnamese.upper()}]}))
    assert _flags(answer, stt)


def test_the_message_is_the_published_vietnamese_text() -> None:
    row = next(row for row in _national_rows() if row["stt"] == "180")
    answer = run_check(json.dumps({"new": [{"substance": "Simvastatin"}], "active": [{"substance": "Clarithromycin"}]}))
    alert = next(alert for alert in answer["alerts"] if alert["rule"] == "qd5948:180")
    assert alert["message"].startswith(" ".join(row["consequence"].split()))
    assert "Chống chỉ định phối hợp" in alert["message"]
