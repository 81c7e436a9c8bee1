"""`his cdss check` / `python -m cdss check`: JSON in, alerts out, exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdss.command import check_command

REQUEST = {
    "patient": {"age_years": 67, "sex": "F", "allergies": ["penicillin"], "creatinine_clearance_ml_min": 25},
    "active": [{"substance": "Warfarin", "dose_mg": 5, "doses_per_day": 1}],
    "new": [
        {"substance": ["Amoxicilin", "Acid clavulanic"], "dose_mg": 875, "doses_per_day": 2, "route": "Uống"},
        {"substance": "Metronidazol"},
        {"substance": "Thuốc nam gia truyền"},
    ],
}


def _invoke(text: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(check_command, [*args, "-"], input=text)
    return result.exit_code, result.stdout, result.stderr


def test_a_request_gives_alerts_and_unmapped_names() -> None:
    code, out, _ = _invoke(json.dumps(REQUEST))
    assert code == 0
    answer = json.loads(out)
    assert set(answer) == {"alerts", "unmapped"}
    assert answer["unmapped"] == ["Thuốc nam gia truyền"]
    first = answer["alerts"][0]
    assert set(first) == {"severity", "kind", "substances", "message", "source", "rule", "drugs"}
    assert (first["severity"], first["kind"], first["substances"][0]) == ("hard_stop", "allergy", "amoxicillin")
    kinds = {(alert["kind"], alert["rule"]) for alert in answer["alerts"]}
    assert ("interaction", "cdss:warfarin:metronidazole") in kinds
    assert ("dose", "renal:amoxicillin:30") in kinds


def test_an_array_is_answered_by_an_array_in_the_same_order() -> None:
    requests = [
        {"new": [{"substance": "Simvastatin"}], "active": [{"substance": "Clarithromycin"}]},
        {"new": [{"substance": "Paracetamol"}]},
        {"new": [{"substance": "Isotretinoin"}], "patient": {"pregnant": True}},
    ]
    code, out, _ = _invoke(json.dumps(requests), "--compact")
    assert code == 0
    assert "\n" not in out.strip()
    answers = json.loads(out)
    assert [len(answer["alerts"]) > 0 for answer in answers] == [True, False, True]
    assert answers[2]["alerts"][0]["kind"] == "pregnancy"


def test_messages_are_filled_in() -> None:
    code, out, _ = _invoke(json.dumps({"new": [{"substance": "Paracetamol", "dose_mg": 1000, "doses_per_day": 6}]}))
    assert code == 0
    assert json.loads(out)["alerts"][0]["message"] == "Daily dose 6000 mg is above the maximum of 4000 mg a day."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{not json", "invalid JSON"),
        ('"a string"', "must be a JSON object"),
        ('{"new": [{"dose_mg": 5}]}', "missing required field `substance`"),
        ('{"new": [{"substance": ""}]}', "$.new[0].substance must name at least one substance"),
        ('{"new": [{"substance": []}]}', "must name at least one substance"),
        ('{"new": [{"substance": 12}]}', "$.new[0].substance"),
        ('{"new": [{"substance": "x", "dose_mg": "5 mg"}]}', "$.new[0].dose_mg"),
        ('{"new": [{"substance": "x", "dose_mg": -5}]}', "must not be negative"),
        ('{"new": [{"substance": "x", "dose": 5}]}', "unknown field `dose`"),
        ('{"drugs": []}', "unknown field `drugs`"),
        ('{"patient": {"allergy": ["penicillin"]}}', "unknown field `allergy`"),
        ('{"patient": {"sex": "female"}}', "$.patient.sex"),
        ('{"patient": {"pregnant": "yes"}}', "$.patient.pregnant"),
        ('[{"new": []}, {"new": [{}]}]', "$[1].new[0]"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(text: str, expected: str) -> None:
    code, out, err = _invoke(text)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("cdss check: bad input: ")
    assert expected in err


def test_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps({"new": [{"substance": "Enalapril"}, {"substance": "Lisinopril"}]}), encoding="utf-8")
    result = CliRunner().invoke(check_command, [str(path)])
    assert result.exit_code == 0
    assert any(alert["kind"] == "duplicate" for alert in json.loads(result.stdout)["alerts"])


def test_python_dash_m_cdss_check_reads_stdin() -> None:
    request = {"new": [{"substance": "Ciprofloxacin"}], "active": [{"substance": "Tizanidin"}]}
    done = subprocess.run(
        [sys.executable, "-m", "cdss", "check", "-"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    alerts = json.loads(done.stdout)["alerts"]
    assert alerts[0]["source"] == "QĐ 5948/QĐ-BYT #161"
    bad = subprocess.run(
        [sys.executable, "-m", "cdss", "check", "-"],
        input="[1]",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert "bad input" in bad.stderr


def test_unmapped_report() -> None:
    from cdss.command import unmapped_command

    result = CliRunner().invoke(unmapped_command, ["-"], input="Amoxicilin + Acid clavulanic\nKali clorid\nThuốc lạ\n")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == ["Thuốc lạ"]
    assert CliRunner().invoke(unmapped_command, ["-"], input="Warfarin\n").exit_code == 0
