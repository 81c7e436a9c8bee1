"""The decision module's part of the demo hospital: a few recorded allergies, two local rules, one alert
template (tested and active) and a first screening run. Quick: a handful of rows."""

from __future__ import annotations

import random
from typing import Any

from his.decision import api, service
from his.decision.schemas import AllergyIn, LocalRuleIn, TemplateIn
from his.kernel.audit.service import AuditActor
from his.patients import api as patients

PHARMACIST = AuditActor(user_id=None, username="duocsi", role="pharmacist", client_ip=None, request_id="demo")
DOCTOR = AuditActor(user_id=None, username="bacsi", role="doctor", client_ip=None, request_id="demo")
ALLERGENS = (
    ("Penicilin", "Mày đay toàn thân", "moderate"),
    ("Cephalexin", "Phát ban", "mild"),
    ("Aspirin", "Co thắt phế quản", "severe"),
    ("Sulfamethoxazol", "Hội chứng Stevens-Johnson", "severe"),
)
LOCAL_RULES = (
    LocalRuleIn(
        first="methotrexat",
        second="trimethoprim",
        tier="contraindicated",
        message="Methotrexat + trimethoprim: ức chế tủy xương nặng; Hội đồng Thuốc và Điều trị không cho phép phối hợp",
        source="HĐT&ĐT bệnh viện, biên bản 03/2024",
    ),
    LocalRuleIn(
        first="clopidogrel",
        second="omeprazol",
        tier="precaution",
        message="Clopidogrel + omeprazol: giảm tác dụng chống kết tập tiểu cầu; ưu tiên pantoprazol",
        source="HĐT&ĐT bệnh viện, biên bản 05/2024",
    ),
)
ELDERLY_NSAID = TemplateIn(
    definition={
        "code": "NSAID-75",
        "name": "NSAID ở người từ 75 tuổi",
        "match": "all",
        "conditions": [
            {"fact": "age_years", "op": "ge", "value": 75},
            {"fact": "drug_class", "op": "prefix", "value": "M01A"},
        ],
        "severity": "warning",
        "message": "NSAID ở bệnh nhân ≥ 75 tuổi: cân nhắc paracetamol, bảo vệ dạ dày, theo dõi chức năng thận",
    },
    cases=[
        {"name": "80 tuổi, ibuprofen", "facts": {"age_years": 80, "drug_classes": ["M01AE01"]}, "expect_fire": True},
        {"name": "40 tuổi, ibuprofen", "facts": {"age_years": 40, "drug_classes": ["M01AE01"]}, "expect_fire": False},
        {"name": "80 tuổi, paracetamol", "facts": {"age_years": 80, "drug_classes": ["N02BE01"]}, "expect_fire": False},
    ],
)


async def seed_decision(kernel: Any, rng: random.Random) -> None:
    state = api.state_of(kernel)
    async with kernel.db.transaction() as session:
        page = await patients.search_patients(session, limit=40)
        chosen = rng.sample(page.items, k=min(len(page.items), 6))
        for index, patient in enumerate(chosen):
            if index < len(ALLERGENS):
                substance, reaction, severity = ALLERGENS[index]
                await service.add_allergy(
                    session,
                    kernel.clock,
                    DOCTOR,
                    patient.id,
                    AllergyIn(substance, reaction, severity),  # type: ignore[arg-type]
                )
            else:
                await service.record_no_known_allergy(session, kernel.clock, DOCTOR, patient.id)
        for rule in LOCAL_RULES:
            await service.create_local_rule(session, kernel.clock, PHARMACIST, state.engine, rule)
        await service.save_template(session, kernel.clock, PHARMACIST, ELDERLY_NSAID)
        await service.set_template_status(session, kernel.clock, PHARMACIST, "NSAID-75", active=True)
    async with kernel.db.transaction() as session:
        await service.sync_signed_prescriptions(session, kernel.clock)
        await service.run_screening(session, kernel.clock, PHARMACIST, state.engine, trigger="command")
