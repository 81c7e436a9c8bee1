"""The demo hospital's inpatient part: wards and beds for four clinical departments and a few patients in them,
with their running medication orders."""

from __future__ import annotations

import random
from decimal import Decimal

import msgspec

from his.catalogs import api as catalogs
from his.inpatient import service
from his.inpatient.plugin import medication_checks_of
from his.inpatient.schemas import AdmitIn, BedIn, MedicationOrderIn, OverrideIn, WardIn
from his.kernel.audit.service import AuditActor
from his.kernel.errors import DomainError
from his.kernel.runtime import Kernel
from his.patients import api as patients

# (department, ward code, ward name, bed-day service name in the demo catalog, beds, bed kind)
WARDS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("KNOI", "NOI-B1", "Buồng 1 - Nội tổng hợp", "Giường Nội khoa loại 1", 8, "standard"),
    ("KNOI", "NOI-B2", "Buồng 2 - Nội tổng hợp", "Giường Nội khoa loại 2", 6, "standard"),
    ("KNGOAI", "NGOAI-B1", "Buồng 1 - Ngoại tổng hợp", "Giường Ngoại khoa sau phẫu thuật loại 1", 8, "post-op"),
    ("KNHI", "NHI-B1", "Buồng 1 - Nhi", "Giường Nhi khoa", 6, "standard"),
    ("KHSTC", "HSTC-B1", "Buồng Hồi sức", "Giường Hồi sức tích cực", 4, "icu"),
)
# (department, ICD-10, reason) of the demo's current inpatients.
ADMISSIONS: tuple[tuple[str, str, str], ...] = (
    ("KNOI", "J18.9", "Sốt cao, ho đờm, khó thở"),
    ("KNOI", "I10", "Tăng huyết áp không kiểm soát"),
    ("KNGOAI", "K35.8", "Đau hố chậu phải"),
    ("KNHI", "A09", "Tiêu chảy, mất nước"),
)
# The running medication orders of each demo inpatient, by admission diagnosis: (drug name in the demo catalog,
# dose per time in its unit, times a day, days). The hypertensive patient's potassium with an ACE inhibitor and
# spironolactone gives the pharmacist's screening something to find.
MEDICATIONS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "J18.9": (("Ceftriaxon 1 g", "1", 2, 7), ("Clarithromycin 500 mg", "1", 2, 7), ("Paracetamol 500 mg", "1", 3, 3)),
    "I10": (("Amlodipin 5 mg", "1", 1, 7), ("Enalapril 10 mg", "1", 1, 7), ("Spironolacton 25 mg", "1", 1, 7)),
    "K35.8": (("Ceftriaxon 1 g", "2", 1, 5), ("Metronidazol 500 mg/100 ml", "1", 3, 5)),
    "A09": (("Kẽm gluconat 70 mg", "1", 1, 10),),
}
DEMO_OVERRIDE = "Đã hội chẩn, theo dõi sát (dữ liệu minh hoạ)"
SEED_ACTOR = AuditActor(user_id=None, username="bacsi", role="doctor", client_ip=None, request_id="demo-seed")


async def _service_code(kernel: Kernel, name: str) -> str | None:
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="services", q=name, limit=5)
    return next((item.code for item in page.items if getattr(item, "name", "") == name), None)


async def seed_inpatient(kernel: Kernel, rng: random.Random) -> None:
    for department, ward_code, ward_name, service_name, count, kind in WARDS:
        code = await _service_code(kernel, service_name)
        if code is None:
            continue
        async with kernel.db.transaction() as session:
            if await catalogs.get_department(session, code=department) is None:
                continue
            await service.add_ward(kernel, session, SEED_ACTOR, WardIn(ward_code, department, ward_name))
            for number in range(1, count + 1):
                bed = BedIn(code=f"{ward_code}-{number:02d}", ward_code=ward_code, service_code=code, kind=kind)
                await service.add_bed(kernel, session, SEED_ACTOR, bed)
    async with kernel.db.transaction() as session:
        page = await patients.search_patients(session, limit=40)
    candidates = [p.id for p in page.items]
    rng.shuffle(candidates)
    doctor = service.Doctor("bacsi", "BS. Nguyễn Văn Bác")
    for department, icd10, reason in ADMISSIONS:
        while candidates:
            data = AdmitIn(
                source="direct",
                patient_id=candidates.pop(),
                department_code=department,
                icd10_code=icd10,
                reason=reason,
            )
            try:
                async with kernel.db.transaction() as session:
                    stay = await service.admit(kernel, session, SEED_ACTOR, doctor, data)
            except DomainError:  # an expired card, an unknown code in a trimmed catalog: try the next patient
                continue
            for name, dose, times, days in MEDICATIONS.get(icd10, ()):
                await _order(kernel, doctor, stay.id, name, MedicationOrderIn(name, Decimal(dose), times, days))
            break


async def _drug_code(kernel: Kernel, name: str) -> str | None:
    async with kernel.db.transaction() as session:
        page = await catalogs.search(session, kind="drugs", q=name, limit=10)
    return next((item.code for item in page.items if getattr(item, "name", "") == name), None)


async def _order(kernel: Kernel, doctor: service.Doctor, stay_id: int, name: str, data: MedicationOrderIn) -> None:
    """Orders through decision support like a doctor; a hard stop is ordered over with a reason, as a doctor who
    knows the risk would (the pharmacist's review queue then has it)."""
    code = await _drug_code(kernel, name)
    if code is None:  # a trimmed catalog
        return
    data = msgspec.structs.replace(data, drug_code=code)
    checks = medication_checks_of(kernel.modules)
    for _attempt in range(2):
        try:
            async with kernel.db.transaction() as session:
                stay = await service.get_stay_row(session, stay_id)
                await service.order_medication(kernel, session, SEED_ACTOR, doctor, stay, data, checks)
            return
        except service.MedicationBlocked as blocked:
            overrides = [OverrideIn(a.ref, DEMO_OVERRIDE) for a in blocked.blocking]
            data = msgspec.structs.replace(data, overrides=overrides)
