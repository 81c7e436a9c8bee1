"""The demo hospital's inpatient part: wards and beds for four clinical departments and a few patients in them."""

from __future__ import annotations

import random

from his.catalogs import api as catalogs
from his.inpatient import service
from his.inpatient.schemas import AdmitIn, BedIn, WardIn
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
                    await service.admit(kernel, session, SEED_ACTOR, doctor, data)
                break
            except DomainError:  # an expired card, an unknown code in a trimmed catalog: try the next patient
                continue
