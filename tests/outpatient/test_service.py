"""The examination and the prescription on both databases, through the service and the public api."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from his.kernel.audit.models import AuditRecord
from his.kernel.errors import Conflict, InvalidInput, NotFound
from his.kernel.runtime import Kernel
from his.outpatient import api, rules, service
from his.outpatient.checks import CheckAlert, PrescriptionChecks, PrescriptionDraft
from his.outpatient.schemas import (
    DiagnosisIn,
    DispositionIn,
    ExamIn,
    LineIn,
    OverrideIn,
    PrescriptionIn,
)
from his.reception import api as reception
from tests.outpatient.conftest import DOCTOR, DOCTOR_ACTOR, ROOM, Clinic

pytestmark = pytest.mark.criterion(33)
NO_CHECKS = PrescriptionChecks()


async def open_exam(kernel: Kernel, visit_id: int) -> None:
    async with kernel.db.transaction() as session:
        await service.open_encounter(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, visit_id)


async def diagnose(kernel: Kernel, visit_id: int, *items: DiagnosisIn) -> None:
    async with kernel.db.transaction() as session:
        await service.set_diagnoses(session, kernel.clock, DOCTOR_ACTOR, visit_id, list(items))


async def prescribe(
    kernel: Kernel, visit_id: int, data: PrescriptionIn, checks: PrescriptionChecks = NO_CHECKS, rng: object = None
) -> tuple[str, list[CheckAlert]]:
    async with kernel.db.transaction() as session:
        row, alerts = await service.issue_prescription(
            session, kernel.clock, DOCTOR_ACTOR, DOCTOR, checks, kernel.settings.hospital, visit_id, data, rng=rng
        )
        return row.code, alerts


def paracetamol(**changes: object) -> LineIn:
    values: dict[str, object] = {"drug_code": "T0001", "dose_per_time": Decimal(1), "times_per_day": 2, "days": 5}
    values.update(changes)
    return LineIn(**values)  # type: ignore[arg-type]


async def test_call_next_opens_the_first_waiting_patient(kernel: Kernel, clinic: Clinic) -> None:
    async with kernel.db.transaction() as session:
        first = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, room_code=ROOM)
        second = await service.call_next(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, room_code=ROOM)
        visit = await reception.get_visit(session, visit_id=clinic.man_visit)
    assert (first.visit_id, second.visit_id) == (clinic.man_visit, clinic.woman_visit)
    assert visit.status == "in_exam" and first.doctor == "bacsi" and first.status == "open"
    async with kernel.db.transaction() as session:
        await service.call_next(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, room_code=ROOM)
    with pytest.raises(NotFound):
        async with kernel.db.transaction() as session:
            await service.call_next(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, room_code=ROOM)


async def test_vital_signs_refuse_impossible_values_and_warn_on_abnormal_ones(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    with pytest.raises(InvalidInput) as impossible:
        async with kernel.db.transaction() as session:
            await service.record_exam(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, ExamIn(pulse=900))
    assert impossible.value.field == "pulse"
    data = ExamIn(
        reason="Sốt, ho 3 ngày",
        pulse=88,
        temperature=Decimal("38.6"),
        systolic=150,
        diastolic=95,
        respiratory_rate=18,
        spo2=97,
        height_cm=Decimal("170"),
        weight_kg=Decimal("65"),
    )
    async with kernel.db.transaction() as session:
        row, warnings = await service.record_exam(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, data)
    assert row.bmi == Decimal("22.5")
    assert {w.field for w in warnings} == {"temperature", "systolic", "diastolic"}
    async with kernel.db.transaction() as session:
        encounter = await api.get_encounter(session, visit_id=clinic.man_visit)
    assert encounter.vitals.temperature == Decimal("38.6") and encounter.reason == "Sốt, ho 3 ngày"
    assert encounter.vitals.weight_kg == Decimal("65")


async def test_a_patients_examinations_are_listed_newest_first(kernel: Kernel, clinic: Clinic) -> None:
    async with kernel.db.transaction() as session:
        assert await api.encounters_of_patient(session, patient_id=clinic.man) == []
    await open_exam(kernel, clinic.man_visit)
    await open_exam(kernel, clinic.woman_visit)
    async with kernel.db.transaction() as session:
        mine = await api.encounters_of_patient(session, patient_id=clinic.man)
    assert [e.visit_id for e in mine] == [clinic.man_visit]


async def test_diagnoses_follow_the_national_validity_rules(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    with pytest.raises(InvalidInput) as two_mains:
        await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True), DiagnosisIn("I10", True))
    assert two_mains.value.field == "diagnoses"
    with pytest.raises(InvalidInput) as female_only:
        await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True), DiagnosisIn("N76.0"))
    assert female_only.value.field == "diagnoses[1].code" and "female" in str(female_only.value)
    with pytest.raises(InvalidInput) as asterisk:
        await diagnose(kernel, clinic.man_visit, DiagnosisIn("G01", True), DiagnosisIn("A39.0"))
    assert asterisk.value.field == "diagnoses[0].code" and "asterisk" in str(asterisk.value)
    with pytest.raises(InvalidInput) as duplicate:
        await diagnose(kernel, clinic.man_visit, DiagnosisIn("I10", True), DiagnosisIn("i10"))
    assert duplicate.value.field == "diagnoses[1].code"

    await diagnose(kernel, clinic.man_visit, DiagnosisIn("G01"), DiagnosisIn("A390", True, "Viêm màng não"))
    async with kernel.db.transaction() as session:
        encounter = await api.get_encounter(session, visit_id=clinic.man_visit)
    assert [(d.code, d.is_main, d.text) for d in encounter.diagnoses] == [
        ("A39.0†", True, "Viêm màng não"),
        ("G01*", False, "Viêm màng não trong bệnh nhiễm khuẩn"),
    ]
    # The woman may have the female-only code.
    await open_exam(kernel, clinic.woman_visit)
    await diagnose(kernel, clinic.woman_visit, DiagnosisIn("N76.0", True))


async def test_a_prescription_gets_a_national_code_and_a_computed_quantity(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    with pytest.raises(InvalidInput) as undiagnosed:
        await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]))
    assert undiagnosed.value.field == "diagnoses"
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True), DiagnosisIn("I10"))
    lines = [
        paracetamol(instructions="khi sốt"),
        LineIn("T0002", Decimal("0.5"), 3, 3),
        LineIn("T0001X", Decimal(1), 1, 1),
    ]
    with pytest.raises(InvalidInput) as unknown:
        await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=lines))
    assert unknown.value.field == "lines[2].drug_code"
    first, alerts = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=lines[:2], advice="Uống nhiều nước"))
    second, _ = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol(quantity=20)]))
    assert alerts == []
    assert first != second and rules.is_prescription_code(first) and first.startswith("00000") and first[-2:] == "-C"
    async with kernel.db.transaction() as session:
        out = await api.get_prescription(session, code=first)
    assert [(line.drug_code, line.quantity, line.unit) for line in out.lines] == [
        ("T0001", 10, "Viên"),
        ("T0002", 5, "Viên"),
    ]
    assert out.lines[0].usage == "Ngày uống 2 lần, mỗi lần 1 viên, khi sốt"
    assert out.lines[1].substances == "Amoxicilin 500 mg"
    assert out.personal_id == "079080001234" and out.age_months is None
    assert out.diagnosis_text == "J06.9 - Nhiễm trùng hô hấp trên cấp; I10 - Tăng huyết áp vô căn"
    assert out.status == "issued" and out.visit_id == clinic.man_visit


async def test_a_code_already_used_is_never_given_again(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True))
    first, _ = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]), rng=random.Random(7))
    # The same seed draws the same code first: the service must draw again.
    second, _ = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]), rng=random.Random(7))
    assert first != second and rules.is_prescription_code(second)


async def test_controlled_drugs_go_on_their_own_prescription(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True))
    mixed = PrescriptionIn(lines=[paracetamol(), LineIn("T0003", Decimal(1), 2, 3)])
    with pytest.raises(InvalidInput) as refused:
        await prescribe(kernel, clinic.man_visit, mixed)
    assert refused.value.field == "lines[1].drug_code"
    narcotic, _ = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[LineIn("T0003", Decimal(1), 2, 3)]))
    psychotropic, _ = await prescribe(
        kernel, clinic.man_visit, PrescriptionIn(lines=[LineIn("T0004", Decimal(1), 1, 7)])
    )
    assert narcotic.endswith("-N") and psychotropic.endswith("-H")


async def test_a_young_child_needs_weight_and_an_accompanying_adult(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.child_visit)
    await diagnose(kernel, clinic.child_visit, DiagnosisIn("J06.9", True))
    syrup = PrescriptionIn(lines=[paracetamol(dose_per_time=Decimal("0.5"))])
    with pytest.raises(InvalidInput) as no_weight:
        await prescribe(kernel, clinic.child_visit, syrup)
    assert no_weight.value.field == "weight_kg"
    with pytest.raises(InvalidInput) as no_adult_id:  # the guardian's name comes from the record, not the ID
        await prescribe(kernel, clinic.child_visit, PrescriptionIn(lines=syrup.lines, weight_kg=Decimal("13.5")))
    assert no_adult_id.value.field == "adult_id"
    complete = PrescriptionIn(lines=syrup.lines, weight_kg=Decimal("13.5"), adult_id="079085001111")
    code, _ = await prescribe(kernel, clinic.child_visit, complete)
    async with kernel.db.transaction() as session:
        out = await api.get_prescription(session, code=code)
    assert (out.age_months, out.weight_kg, out.adult_name, out.adult_id) == (
        30,
        Decimal("13.5"),
        "Lê Văn Dũng",
        "079085001111",
    )


class FakeInteractionCheck:
    """Stands in for a later decision-support module: a hard stop on amoxicillin with paracetamol still taken."""

    def __init__(self) -> None:
        self.drafts: list[PrescriptionDraft] = []

    async def __call__(self, draft: PrescriptionDraft) -> list[CheckAlert]:
        self.drafts.append(draft)
        taking = {drug.drug_code for drug in draft.active_drugs}
        if "T0001" in taking and any(line.drug_code == "T0002" for line in draft.lines):
            return [
                CheckAlert("hard_stop", "interaction", "Fake interaction", "fake-cdss", key="T0001+T0002"),
                CheckAlert("info", "note", "Fake information", "fake-cdss"),
            ]
        return []


async def failing_check(draft: PrescriptionDraft) -> list[CheckAlert]:
    raise RuntimeError("knowledge base offline")


async def test_a_hard_stop_blocks_signing_unless_overridden_with_a_reason(kernel: Kernel, clinic: Clinic) -> None:
    check = FakeInteractionCheck()
    checks = PrescriptionChecks()
    checks.register("fake-cdss", check)
    await open_exam(kernel, clinic.man_visit)
    async with kernel.db.transaction() as session:
        await service.record_exam(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, ExamIn(weight_kg=Decimal(70)))
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True))
    await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]), checks)
    draft = check.drafts[0]
    assert draft.patient.sex == "M" and draft.patient.weight_kg == Decimal(70) and draft.patient.allergies is None
    assert [d.code for d in draft.diagnoses] == ["J06.9"] and draft.active_drugs == []

    amoxicillin = [LineIn("T0002", Decimal(1), 2, 5)]
    with pytest.raises(service.PrescriptionBlocked) as blocked:
        await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=amoxicillin), checks)
    assert [a.ref for a in blocked.value.blocking] == ["T0001+T0002"]
    assert [d.drug_code for d in check.drafts[-1].active_drugs] == ["T0001"]
    with pytest.raises(service.PrescriptionBlocked):  # a blank reason is no reason
        await prescribe(
            kernel,
            clinic.man_visit,
            PrescriptionIn(lines=amoxicillin, overrides=[OverrideIn("T0001+T0002", " ")]),
            checks,
        )

    overridden = PrescriptionIn(lines=amoxicillin, overrides=[OverrideIn("T0001+T0002", "Đã cân nhắc, theo dõi")])
    code, alerts = await prescribe(kernel, clinic.man_visit, overridden, checks)
    assert [a.severity for a in alerts] == ["hard_stop", "info"]
    async with kernel.db.transaction() as session:
        out = await api.get_prescription(session, code=code)
        audited = (
            await session.scalars(select(AuditRecord).where(AuditRecord.action == "prescription.override"))
        ).all()
    assert [(o.key, o.reason, o.overridden_by) for o in out.overrides] == [
        ("T0001+T0002", "Đã cân nhắc, theo dõi", "bacsi")
    ]
    assert len(audited) == 1 and audited[0].object_id == code and audited[0].patient_id == str(clinic.man)
    assert "Đã cân nhắc" in (audited[0].detail or "")


async def test_a_failing_check_warns_instead_of_passing_silently(kernel: Kernel, clinic: Clinic) -> None:
    checks = PrescriptionChecks()
    checks.register("broken", failing_check)
    await open_exam(kernel, clinic.man_visit)
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True))
    _code, alerts = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]), checks)
    assert [(a.severity, a.kind, a.source) for a in alerts] == [("warning", "check_failed", "broken")]


async def test_finishing_closes_the_exam_and_the_visit(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    finish = service.finish_encounter
    with pytest.raises(InvalidInput) as no_diagnosis:
        async with kernel.db.transaction() as session:
            await finish(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit)
    assert no_diagnosis.value.field == "diagnoses"
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("I10", True))
    with pytest.raises(InvalidInput) as past:
        async with kernel.db.transaction() as session:
            await service.set_disposition(
                session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, DispositionIn("follow_up", clinic.today)
            )
    assert past.value.field == "follow_up_date"
    follow_up = DispositionIn("follow_up", clinic.today + timedelta(days=30))
    async with kernel.db.transaction() as session:
        await service.set_disposition(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, follow_up)
        await finish(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit)
    async with kernel.db.transaction() as session:
        visit = await reception.get_visit(session, visit_id=clinic.man_visit)
        encounter = await api.get_encounter(session, visit_id=clinic.man_visit)
    assert visit.status == "finished" and encounter.status == "finished" and encounter.finished_at is not None
    assert encounter.follow_up_date == clinic.today + timedelta(days=30)
    with pytest.raises(Conflict):
        async with kernel.db.transaction() as session:
            await service.record_exam(session, kernel.clock, DOCTOR_ACTOR, clinic.man_visit, ExamIn(pulse=70))


async def test_a_prescription_can_be_cancelled_once_with_a_reason(kernel: Kernel, clinic: Clinic) -> None:
    await open_exam(kernel, clinic.man_visit)
    await diagnose(kernel, clinic.man_visit, DiagnosisIn("J06.9", True))
    code, _ = await prescribe(kernel, clinic.man_visit, PrescriptionIn(lines=[paracetamol()]))
    with pytest.raises(InvalidInput):
        async with kernel.db.transaction() as session:
            await service.cancel_prescription(session, kernel.clock, DOCTOR_ACTOR, code=code, reason="")
    async with kernel.db.transaction() as session:
        await service.cancel_prescription(session, kernel.clock, DOCTOR_ACTOR, code=code, reason="Kê nhầm")
    with pytest.raises(Conflict):
        async with kernel.db.transaction() as session:
            await service.cancel_prescription(session, kernel.clock, DOCTOR_ACTOR, code=code, reason="Again")
    async with kernel.db.transaction() as session:
        assert (await api.get_prescription(session, code=code)).status == "cancelled"
