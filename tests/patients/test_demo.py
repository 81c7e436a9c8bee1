"""The demo patients: deterministic, plausible, and registered through the same checks as real ones."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import func, select

from his.kernel.runtime import Kernel
from his.patients import rules
from his.patients.demo import DEMO_PATIENTS, demo_people, seed_patients
from his.patients.models import InsuranceCard, Patient

pytestmark = pytest.mark.criterion(32)


def test_the_demo_people_are_the_same_for_the_same_seed() -> None:
    first = demo_people(random.Random(54), 2026, 50)
    assert first == demo_people(random.Random(54), 2026, 50)
    assert first != demo_people(random.Random(55), 2026, 50)
    for person in first:
        assert person.full_name is not None and len(person.full_name.split(" ")) >= 3
        if person.cccd is not None:
            year = person.birth_date.year if person.birth_date else person.birth_year
            assert rules.check_cccd(person.cccd, sex=person.sex, birth_year=year) == []
        if person.card is not None:
            assert not isinstance(rules.parse_card_number(person.card.card_number), list)


async def test_the_demo_seed_registers_500_patients_with_cards_and_temporary_identities(registry: Kernel) -> None:
    await seed_patients(registry, random.Random(54))
    async with registry.db.transaction() as session:
        patients = await session.scalar(select(func.count()).select_from(Patient))
        with_card = await session.scalar(select(func.count(func.distinct(InsuranceCard.patient_id))))
        grouped = await session.execute(
            select(Patient.temporary_reason, func.count()).group_by(Patient.temporary_reason)
        )
        temporary = {reason: count for reason, count in grouped.all()}
        at_demo_hospital = await session.scalar(
            select(func.count()).select_from(InsuranceCard).where(InsuranceCard.initial_facility_code == "79999")
        )
        children_without_guardian = await session.scalar(
            select(func.count()).select_from(Patient).where(Patient.birth_year >= 2021, Patient.guardian_name.is_(None))
        )
    assert patients == DEMO_PATIENTS
    assert with_card is not None and 0.78 * DEMO_PATIENTS <= with_card <= 0.9 * DEMO_PATIENTS
    assert temporary["unidentified_emergency"] == 3 and temporary["foreigner"] == 2 and temporary["newborn"] == 2
    assert at_demo_hospital is not None and 0 < at_demo_hospital < with_card
    assert children_without_guardian == 0
