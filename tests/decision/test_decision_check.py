"""The prescription check the outpatient module runs before signing: facts from the draft and the decision tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from his.decision import api, service
from his.decision.schemas import AllergyIn
from his.decision.state import DecisionState
from his.kernel.runtime import Kernel
from his.outpatient.checks import ActiveDrug, DiagnosisFact, DraftLine, PatientFacts, PrescriptionDraft
from tests.decision.conftest import add_drugs
from tests.outpatient.conftest import DOCTOR_ACTOR, build_clinic

pytestmark = [pytest.mark.criterion(53)]


def draft(
    patient_id: int, *lines: DraftLine, allergies: list[str] | None = None, active: tuple[ActiveDrug, ...] = ()
) -> PrescriptionDraft:
    return PrescriptionDraft(
        patient=PatientFacts(patient_id, "M", 16_000, 43, Decimal(70), None, allergies),
        diagnoses=[DiagnosisFact("J06.9", True)],
        active_drugs=list(active),
        lines=list(lines),
        on=date(2026, 1, 5),
    )  # fmt: skip


def drug(code: str, substance: str, dose: str = "1", times: int = 2) -> DraftLine:
    return DraftLine(code, substance, [substance], "Uống", "Viên", Decimal(dose), times, 5, 10)


async def test_an_unbound_check_still_checks_the_draft_and_says_what_it_missed() -> None:
    check = api.DecisionCheck(DecisionState())
    alerts = await check(draft(1, drug("X1", "Clarithromycin"), drug("X2", "Fluconazol")))
    assert [(a.severity, a.key) for a in alerts] == [("hard_stop", "qd5948:176@0,1"), ("info", "decision:unbound")]


async def test_allergies_come_from_the_table_unless_the_draft_knows_them(kernel: Kernel) -> None:
    clinic = await build_clinic(kernel)
    await add_drugs(kernel.settings)
    state = api.bind(kernel)
    async with kernel.db.transaction() as session:
        await service.add_allergy(session, kernel.clock, DOCTOR_ACTOR, clinic.man, AllergyIn("Penicilin"))
    check = api.DecisionCheck(state)
    amoxicillin = drug("T0002", "Amoxicilin")
    assert [a.kind for a in await check(draft(clinic.man, amoxicillin))] == ["allergy"]
    assert await check(draft(clinic.man, amoxicillin, allergies=[])) == []
    assert await check(draft(clinic.woman, amoxicillin)) == []


async def test_dose_in_mg_from_the_catalog_strength_and_active_drugs(kernel: Kernel) -> None:
    clinic = await build_clinic(kernel)
    await add_drugs(kernel.settings)
    check = api.DecisionCheck(api.bind(kernel))
    # Paracetamol 500 mg: 3 tablets at a time is 1500 mg, above the 1 g single dose.
    alerts = await check(draft(clinic.man, drug("T0001", "Paracetamol", dose="3", times=3)))
    assert ("dose", "dose:paracetamol:single@0") in [(a.kind, a.key) for a in alerts]
    assert await check(draft(clinic.man, drug("T0001", "Paracetamol", dose="1", times=3))) == []
    # An active drug of an earlier prescription, written with its strength, is recognised.
    earlier = ActiveDrug("T0101", "Clarithromycin 500 mg", ["Clarithromycin 500 mg"], "X", date(2026, 1, 9))
    alerts = await check(draft(clinic.man, drug("T0102", "Fluconazol"), active=(earlier,)))
    assert [(a.severity, a.key) for a in alerts] == [("hard_stop", "qd5948:176@0,1")]
