"""Admission paths, bed rules, transfer history, discharge with bed-day charges."""

from __future__ import annotations

from datetime import timedelta

import pytest

from his.billing import api as billing
from his.inpatient import api, service
from his.inpatient.schemas import AdmitIn, DischargeIn, SheetEntryIn
from his.kernel.clock import FixedClock
from his.kernel.errors import Conflict, InvalidInput
from his.kernel.runtime import Kernel
from his.outpatient import service as outpatient_service
from his.outpatient.schemas import DiagnosisIn, DispositionIn
from his.reception import service as reception_service
from his.reception.schemas import VisitIn
from tests.billing.visits import DESK, DOCTOR, DOCTOR_ACTOR, EXAM, ROOM, register_visit
from tests.inpatient.conftest import NURSE_ACTOR, WARD_DOCTOR, WARD_DOCTOR_ACTOR, Ward

pytestmark = pytest.mark.criterion(39)


async def admit(kernel: Kernel, data: AdmitIn) -> int:
    async with kernel.db.transaction() as session:
        stay = await service.admit(kernel, session, WARD_DOCTOR_ACTOR, WARD_DOCTOR, data)
        return stay.id


async def exam_ending_in(kernel: Kernel, patient_id: int, disposition: str) -> int:
    visit_id, _code = await register_visit(kernel, patient_id)
    async with kernel.db.transaction() as session:
        await outpatient_service.open_encounter(session, kernel.clock, DOCTOR_ACTOR, DOCTOR, visit_id)
        await outpatient_service.set_diagnoses(
            session, kernel.clock, DOCTOR_ACTOR, visit_id, [DiagnosisIn("J06.9", True)]
        )
        await outpatient_service.set_disposition(
            session, kernel.clock, DOCTOR_ACTOR, visit_id, DispositionIn(disposition)
        )
    return visit_id


async def test_direct_admission_takes_the_first_free_bed_and_opens_the_account(ward_kernel: Kernel, ward: Ward) -> None:
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
    )
    async with ward_kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        assert stay.bed_code == ward.medical_beds[0]
        assert stay.code.startswith("79001NT20260302")
        assert stay.admission_diagnosis == "Viêm phổi không xác định"
        assert stay.card_number == "DN4797912345678"
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=stay.code)
        assert summary.encounter_ref == stay.code
        board = await api.bed_board(session, department_code="KNOI")
        assert board.counts["occupied"] == 1 and board.counts["free"] == len(ward.medical_beds) - 1
        assert board.beds[0].patient_name == "Nguyễn Văn An"


async def test_admission_from_an_exam_needs_the_admit_disposition(ward_kernel: Kernel, ward: Ward) -> None:
    home = await exam_ending_in(ward_kernel, ward.patients.uninsured, "home")
    with pytest.raises(Conflict):
        await admit(
            ward_kernel, AdmitIn(source="outpatient", visit_id=home, department_code="KNOI", icd10_code="J18.9")
        )
    admitted = await exam_ending_in(ward_kernel, ward.patients.insured, "admit")
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="outpatient", visit_id=admitted, department_code="KNOI", icd10_code="J18.9", reason="Sốt cao"),
    )
    async with ward_kernel.db.transaction() as session:
        stay = await api.get_stay(session, stay_id=stay_id)
        assert (stay.patient_id, stay.source, stay.source_visit_id) == (ward.patients.insured, "outpatient", admitted)


async def test_admission_from_emergency_needs_an_emergency_visit(ward_kernel: Kernel, ward: Ward) -> None:
    ordinary, _code = await register_visit(ward_kernel, ward.patients.uninsured)
    with pytest.raises(Conflict):
        await admit(
            ward_kernel, AdmitIn(source="emergency", visit_id=ordinary, department_code="KNOI", icd10_code="J18.9")
        )
    async with ward_kernel.db.transaction() as session:
        visit = await reception_service.register_visit(
            session,
            ward_kernel.clock,
            ward_kernel.settings.hospital,
            DESK,
            VisitIn(patient_id=ward.patients.uninsured, room_code=ROOM, service_code=EXAM, kind="emergency"),
        )
        emergency = visit.id
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="emergency", visit_id=emergency, department_code="KNGOAI", icd10_code="J18.9", bed_code="G1-02"),
    )
    async with ward_kernel.db.transaction() as session:
        assert (await api.get_stay(session, stay_id=stay_id)).bed_code == "G1-02"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"department_code": "KXXX"}, InvalidInput),
        ({"icd10_code": "Z99.99"}, InvalidInput),
        ({"patient_id": None}, InvalidInput),
    ],
)
async def test_bad_admissions_are_refused(
    ward_kernel: Kernel, ward: Ward, change: dict[str, object], error: type
) -> None:
    fields: dict[str, object] = {
        "source": "direct",
        "patient_id": ward.patients.insured,
        "department_code": "KNOI",
        "icd10_code": "J18.9",
    }
    with pytest.raises(error):
        await admit(ward_kernel, AdmitIn(**{**fields, **change}))  # type: ignore[arg-type]


@pytest.mark.criterion(40)
async def test_a_bed_is_never_given_twice_and_a_patient_is_admitted_once(ward_kernel: Kernel, ward: Ward) -> None:
    base = {"source": "direct", "department_code": "KNOI", "icd10_code": "J18.9", "bed_code": "N1-02"}
    await admit(ward_kernel, AdmitIn(patient_id=ward.patients.insured, **base))  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="N1-02"):
        await admit(ward_kernel, AdmitIn(patient_id=ward.patients.uninsured, **base))  # type: ignore[arg-type]
    with pytest.raises(Conflict):
        await admit(
            ward_kernel,
            AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
        )
    async with ward_kernel.db.transaction() as session:
        # The refused admission left nothing behind: no stay, no account, the bed still the first patient's.
        assert len(await api.current_stays(session)) == 1
        with pytest.raises(Conflict):
            await service.set_bed_status(ward_kernel, session, NURSE_ACTOR, "N1-02", "free")


@pytest.mark.criterion(40)
async def test_transfer_keeps_the_history_and_the_old_bed_goes_to_cleaning(
    ward_kernel: Kernel, ward: Ward, clock: FixedClock
) -> None:
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
    )
    clock.advance(timedelta(hours=30))
    async with ward_kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        await service.transfer(ward_kernel, session, NURSE_ACTOR, stay, "G1-01")
    async with ward_kernel.db.transaction() as session:
        out = await api.get_stay(session, stay_id=stay_id)
        assert out.department_code == "KNGOAI" and out.bed_code == "G1-01"
        first, second = out.occupancies
        assert (first.bed_code, first.release_reason, second.bed_code) == ("N1-01", "transfer", "G1-01")
        assert first.released_at == second.started_at and second.released_at is None
        board = await api.bed_board(session, department_code="KNOI")
        assert board.beds[0].status == "cleaning"
        await service.set_bed_status(ward_kernel, session, NURSE_ACTOR, "N1-01", "free")
        with pytest.raises(Conflict):
            await service.transfer(
                ward_kernel, session, NURSE_ACTOR, await service.get_stay_row(session, stay_id), "G1-01"
            )


async def test_discharge_charges_bed_days_and_frees_the_bed_for_cleaning(
    ward_kernel: Kernel, ward: Ward, clock: FixedClock
) -> None:
    # Admitted 2 March 09:00 (Viet Nam); moved to surgery on 3 March; discharged 5 March 10:00.
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="direct", patient_id=ward.patients.insured, department_code="KNOI", icd10_code="J18.9"),
    )
    clock.advance(timedelta(days=1, hours=2))
    async with ward_kernel.db.transaction() as session:
        await service.transfer(ward_kernel, session, NURSE_ACTOR, await service.get_stay_row(session, stay_id), "G1-01")
        await service.add_sheet_entry(
            ward_kernel,
            session,
            NURSE_ACTOR,
            WARD_DOCTOR,
            await service.get_stay_row(session, stay_id),
            SheetEntryIn(progress="Hết sốt", care_orders="Chăm sóc cấp II", pulse=80),
        )
    clock.advance(timedelta(days=2, hours=-1))
    async with ward_kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        await service.discharge(
            ward_kernel,
            session,
            WARD_DOCTOR_ACTOR,
            WARD_DOCTOR,
            stay,
            DischargeIn(icd10_code="J18.9", treatment_method="Kháng sinh, hạ sốt", outcome="1"),
        )
    async with ward_kernel.db.transaction() as session:
        out = await api.get_stay(session, stay_id=stay_id)
        assert out.status == "discharged" and out.bed_code is None and out.bed_days == 3
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=out.code)
        beds = sorted((line.service_date.day, line.code) for line in summary.lines if line.source_kind == "bed")
        # 3 days (5 - 2); 3 March: the surgical bed, dearer, although the day began in the medical ward.
        assert beds == [(3, "G0201"), (4, "G0201"), (5, "G0201")]
        board = await api.bed_board(session, department_code="KNGOAI")
        assert board.beds[0].status == "cleaning"
        sheet = await api.treatment_sheet(session, stay_id=stay_id)
        assert [d.day.day for d in sheet] == [3] and sheet[0].entries[0].progress == "Hết sốt"
        with pytest.raises(Conflict):
            await service.discharge(
                ward_kernel,
                session,
                WARD_DOCTOR_ACTOR,
                WARD_DOCTOR,
                await service.get_stay_row(session, stay_id),
                DischargeIn(icd10_code="J18.9", treatment_method="x"),
            )


async def test_a_stay_under_four_hours_has_no_bed_day(ward_kernel: Kernel, ward: Ward, clock: FixedClock) -> None:
    stay_id = await admit(
        ward_kernel,
        AdmitIn(source="direct", patient_id=ward.patients.uninsured, department_code="KNOI", icd10_code="J18.9"),
    )
    clock.advance(timedelta(hours=3))
    async with ward_kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        with pytest.raises(InvalidInput):
            await service.discharge(
                ward_kernel,
                session,
                WARD_DOCTOR_ACTOR,
                WARD_DOCTOR,
                stay,
                DischargeIn(icd10_code="J18.9", treatment_method=""),
            )
    async with ward_kernel.db.transaction() as session:
        stay = await service.get_stay_row(session, stay_id)
        await service.discharge(
            ward_kernel,
            session,
            WARD_DOCTOR_ACTOR,
            WARD_DOCTOR,
            stay,
            DischargeIn(icd10_code="J18.9", treatment_method="Theo dõi"),
        )
        summary = await billing.account_summary(session, kernel=ward_kernel, encounter_ref=stay.code)
        assert [line for line in summary.lines if line.source_kind == "bed"] == []
        assert stay.bed_days == 0


@pytest.mark.criterion(40)
async def test_a_patient_admitted_without_a_bed_waits_on_the_board(ward_kernel: Kernel, ward: Ward) -> None:
    stay_id = await admit(
        ward_kernel,
        AdmitIn(
            source="direct",
            patient_id=ward.patients.uninsured,
            department_code="KNOI",
            icd10_code="J18.9",
            bed_code="none",
        ),
    )
    async with ward_kernel.db.transaction() as session:
        board = await api.bed_board(session, department_code="KNOI")
        assert [s.id for s in board.waiting] == [stay_id] and board.counts["occupied"] == 0
        await service.set_bed_status(ward_kernel, session, NURSE_ACTOR, "N1-04", "reserved")
        stay = await service.get_stay_row(session, stay_id)
        await service.assign_bed(ward_kernel, session, NURSE_ACTOR, stay, "N1-04")
        with pytest.raises(Conflict):
            await service.assign_bed(ward_kernel, session, NURSE_ACTOR, stay, "N1-03")
    async with ward_kernel.db.transaction() as session:
        board = await api.bed_board(session, department_code="KNOI")
        assert board.waiting == [] and board.beds[3].stay_id == stay_id
