"""`his cdss screen` (and `his cdss check` when the engine ships its command) through click's CliRunner, and the
module's demo seed."""

from __future__ import annotations

import asyncio
import json
import random
from decimal import Decimal

import pytest
from click.testing import CliRunner

from his.app import installed_modules
from his.cli import build_cli
from his.decision import service
from his.decision.demo import seed_decision
from his.kernel.runtime import build_kernel
from his.outpatient import service as outpatient_service
from his.outpatient.checks import PrescriptionChecks
from his.outpatient.schemas import DiagnosisIn, LineIn, PrescriptionIn
from his.settings import Settings
from tests.decision.conftest import add_drugs
from tests.outpatient.conftest import DOCTOR, DOCTOR_ACTOR, build_clinic


def _two_prescriptions(settings: Settings) -> int:
    """A patient on clarithromycin then fluconazole (signed without any check registered); returns the patient."""

    async def work() -> int:
        kernel = build_kernel(settings, installed_modules())
        try:
            clinic = await build_clinic(kernel)
            await add_drugs(settings)
            async with kernel.db.transaction() as session:
                await outpatient_service.open_encounter(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, clinic.man_visit)
                await outpatient_service.set_diagnoses(
                    session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, [DiagnosisIn("J06.9", True)]
                )
                for code in ("T0101", "T0102"):
                    await outpatient_service.issue_prescription(
                        session,
                        kernel.clock,
                        DOCTOR_ACTOR,
                        DOCTOR,
                        PrescriptionChecks(),
                        kernel.settings.hospital,
                        clinic.man_visit,
                        PrescriptionIn(lines=[LineIn(code, Decimal(1), 2, 5)]),
                        rng=random.Random(code),
                    )
            return clinic.man
        finally:
            await kernel.db.dispose()

    return asyncio.run(work())


def test_screen_command_stores_a_run(settings: Settings, database_url: str) -> None:
    patient_id = _two_prescriptions(settings)
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, "cdss", "screen"])
    assert result.exit_code == 0, result.output
    summary, *findings = result.output.strip().splitlines()
    assert "1 patients, 2 drugs" in summary and "(1 hard stops)" in summary
    assert findings[0].startswith(f"patient {patient_id}\thard_stop\tClarithromycin 500 mg")

    async def runs() -> list[str]:
        kernel = build_kernel(settings, installed_modules())
        try:
            async with kernel.db.transaction() as session:
                return [run.trigger for run in await service.screening_runs(session)]
        finally:
            await kernel.db.dispose()

    assert asyncio.run(runs()) == ["command"]


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_check_command_is_mounted_when_the_engine_has_one(database_url: str) -> None:
    pytest.importorskip("cdss.command")
    payload = json.dumps({"new": [{"substance": "Clarithromycin"}, {"substance": "Fluconazol"}]})
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, "cdss", "check", "-"], input=payload)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["alerts"][0]["severity"] == "hard_stop"


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_demo_seed_is_quick_and_consistent(settings: Settings) -> None:
    _two_prescriptions(settings)

    async def work() -> tuple[int, int, list[str]]:
        kernel = build_kernel(settings, installed_modules())
        try:
            await seed_decision(kernel, random.Random(7))
            async with kernel.db.transaction() as session:
                rules = await service.local_rules(session)
                templates = await service.templates(session, active_only=True)
                run, _findings = await service.last_screening(session)
                assert run is not None
                return len(rules), run.findings, [t.code for t in templates]
        finally:
            await kernel.db.dispose()

    rules, findings, templates = asyncio.run(work())
    assert rules == 2 and findings >= 1 and templates == ["NSAID-75"]
