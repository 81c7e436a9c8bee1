"""`his cdss check [FILE|-]` (also `python -m cdss check`): decision support on JSON, for vendors and training.

Input: one request ``{"patient": {...}, "active": [drug...], "new": [drug...]}`` or a JSON array of them. A drug is
``{"substance": "Warfarin" | ["Amoxicilin", "Acid clavulanic"], "dose_mg", "doses_per_day", "route", "name"}``
where only ``substance`` is required. Output: ``{"alerts": [...], "unmapped": [...]}`` per request (an array for
an array). Bad input: exit status 2 and one line on stderr saying what is wrong and where.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any, Literal

import click
import msgspec

from cdss.api import CheckRequest, Drug, Patient, check_with_unmapped, load_knowledge, unmapped

__all__ = ["InputError", "check", "check_command", "main", "parse_requests", "run_check", "unmapped_command"]


class InputError(ValueError):
    """The input is not a valid check request; the message says what and where."""


class _DrugIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    substance: str | list[str]
    name: str | None = None
    dose_mg: float | None = None
    doses_per_day: float | None = None
    route: str | None = None


class _PatientIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    age_years: float | None = None
    sex: Literal["M", "F"] | None = None
    weight_kg: float | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    allergies: list[str] = []
    diagnoses: list[str] = []
    creatinine_clearance_ml_min: float | None = None


class _RequestIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    patient: _PatientIn = _PatientIn()
    active: list[_DrugIn] = []
    new: list[_DrugIn] = []


def _non_negative(value: float | None, where: str) -> None:
    if value is not None and value < 0:
        raise InputError(f"{where} must not be negative, got {value:g}")


def _drug(raw: _DrugIn, where: str) -> Drug:
    names = [raw.substance] if isinstance(raw.substance, str) else list(raw.substance)
    if not names or any(not name.strip() for name in names):
        raise InputError(f"{where}.substance must name at least one substance (a non-empty string or list of strings)")
    _non_negative(raw.dose_mg, f"{where}.dose_mg")
    _non_negative(raw.doses_per_day, f"{where}.doses_per_day")
    return Drug(
        substances=[name.strip() for name in names],
        name=raw.name,
        dose_mg=raw.dose_mg,
        doses_per_day=raw.doses_per_day,
        route=raw.route,
    )


def _request(raw: Any, where: str) -> CheckRequest:
    if not isinstance(raw, dict):
        raise InputError(f"{where} must be a JSON object with the keys patient, active and new")
    try:
        parsed = msgspec.convert(raw, _RequestIn)
    except msgspec.ValidationError as error:
        # msgspec says "Object contains unknown field `x` - at `$.patient`": point at the request too.
        text = str(error).replace("`$", f"`{where}")
        raise InputError(text if where in text else f"{text} - in {where}") from None
    patient = raw_patient = parsed.patient
    for field in ("age_years", "weight_kg", "creatinine_clearance_ml_min"):
        _non_negative(getattr(raw_patient, field), f"{where}.patient.{field}")
    return CheckRequest(
        patient=Patient(
            age_years=patient.age_years,
            sex=patient.sex,
            weight_kg=patient.weight_kg,
            pregnant=patient.pregnant,
            lactating=patient.lactating,
            allergies=[name.strip() for name in patient.allergies if name.strip()],
            diagnoses=[code.strip() for code in patient.diagnoses if code.strip()],
            creatinine_clearance_ml_min=patient.creatinine_clearance_ml_min,
        ),
        active=[_drug(drug, f"{where}.active[{n}]") for n, drug in enumerate(parsed.active)],
        new=[_drug(drug, f"{where}.new[{n}]") for n, drug in enumerate(parsed.new)],
    )


def parse_requests(text: str) -> tuple[list[CheckRequest], bool]:
    """The requests in the input and whether it was an array. Raises InputError."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"invalid JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if isinstance(document, list):
        return [_request(item, f"$[{n}]") for n, item in enumerate(document)], True
    return [_request(document, "$")], False


def run_check(text: str) -> Any:
    """The JSON-ready answer to the input text (a dict, or a list for an array). Raises InputError."""
    requests, is_array = parse_requests(text)
    knowledge = load_knowledge()
    answers = []
    for request in requests:
        result = check_with_unmapped(knowledge, request)
        answers.append(
            {
                "alerts": [
                    {
                        "severity": alert.severity,
                        "kind": alert.kind,
                        "substances": alert.substances,
                        "message": alert.text(),
                        "source": alert.source,
                        "rule": alert.rule,
                        "drugs": alert.drugs,
                    }
                    for alert in result.alerts
                ],
                "unmapped": result.unmapped,
            }
        )
    return answers if is_array else answers[0]


@click.command("check")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-", metavar="[FILE|-]")
@click.option("--pretty/--compact", default=True, help="Indent the JSON output (default) or print one line.")
def check_command(source: IO[str], pretty: bool) -> None:
    """Check prescriptions given as JSON (FILE or - for standard input) and print the alerts as JSON.

    \b
    Input:  {"patient": {"age_years", "sex", "weight_kg", "pregnant", "lactating", "allergies": [...],
             "diagnoses": [ICD-10...], "creatinine_clearance_ml_min"},
             "active": [{"substance", "dose_mg", "doses_per_day", "route"}], "new": [...]}
            or a JSON array of such requests.
    Output: {"alerts": [{"severity", "kind", "substances", "message", "source", "rule", "drugs"}], "unmapped": [...]}
    Exit status 2 on bad input.
    """
    try:
        answer = run_check(source.read())
    except InputError as error:
        click.echo(f"cdss check: bad input: {error}", err=True)
        raise SystemExit(2) from None
    except UnicodeDecodeError:
        click.echo("cdss check: bad input: the input is not UTF-8 text", err=True)
        raise SystemExit(2) from None
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2 if pretty else None))


# The name the hospital's `his cdss` group mounts (his/decision/cli.py).
check = check_command


@click.command("unmapped")
@click.argument("source", type=click.File("r", encoding="utf-8"), default="-", metavar="[FILE|-]")
def unmapped_command(source: IO[str]) -> None:
    """Report the substance names the knowledge cannot map: one name per line (a product's substances may be
    joined by " + "); prints the unmapped ones, one per line, and exits 1 when there are any."""
    knowledge = load_knowledge()
    names = [part for line in source for part in line.strip().split(" + ") if part.strip()]
    missing = unmapped(knowledge, [name.strip() for name in names])
    for name in missing:
        click.echo(name)
    raise SystemExit(1 if missing else 0)


@click.group()
def main() -> None:
    """Clinical decision support on the command line."""


main.add_command(check_command)
main.add_command(unmapped_command)


if __name__ == "__main__":  # pragma: no cover - `python -m cdss` goes through cdss/__main__.py
    sys.exit(main())
