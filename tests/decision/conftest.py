"""A small clinic for decision-support tests: the outpatient clinic plus drugs whose substances interact."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import installed_modules
from his.catalogs import service as catalogs_service
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import login
from tests.outpatient.conftest import DESK, ROOM, Clinic, build_clinic

OUTPATIENT = "/api/v1/outpatient"
DECISION = "/api/v1/decision"
# Clarithromycin + fluconazole: QĐ 5948/QĐ-BYT contraindicated pair (QT prolongation). Ibuprofen + diclofenac: two
# NSAIDs (duplicate class). Metformin, enalapril, amlodipine: the protocols.
EXTRA_DRUGS = (
    "code,name,substances,strengths,form,route,unit,bhyt_code,price\n"
    "T0101,Clarithromycin 500 mg,Clarithromycin,500 mg,Viên nén bao phim,Uống,Viên,,3000\n"
    "T0102,Fluconazol 150 mg,Fluconazol,150 mg,Viên nang,Uống,Viên,,4000\n"
    "T0103,Ibuprofen 400 mg,Ibuprofen,400 mg,Viên nén bao phim,Uống,Viên,,900\n"
    "T0104,Diclofenac 50 mg,Diclofenac,50 mg,Viên nén bao tan trong ruột,Uống,Viên,,700\n"
    "T0105,Metformin 500 mg,Metformin,500 mg,Viên nén bao phim,Uống,Viên,,600\n"
    "T0106,Amlodipin 5 mg,Amlodipin,5 mg,Viên nén,Uống,Viên,,500\n"
    "T0107,Klacid 250 mg,Clarithromycin,250 mg,Viên nén bao phim,Uống,Viên,,3500\n"
)
EXTRA_ICD10 = (
    "code,code_plain,name_vi,name_en,chapter_code,group_code,type_code,sex,min_age_days,max_age_days,"
    "is_asterisk,is_dagger,never_main\n"
    "E11.9,E119,Đái tháo đường típ 2 không biến chứng,Type 2 diabetes without complications,"
    "E00-E90,E10-E14,E11,,,,0,0,0\n"
    "J18.9,J189,Viêm phổi không đặc hiệu,Pneumonia unspecified,J00-J99,J09-J18,J18,,,,0,0,0\n"
)


async def add_drugs(settings: Settings) -> None:
    kernel = build_kernel(settings, installed_modules())
    try:
        async with kernel.db.transaction() as session:
            for kind, text in (("drugs", EXTRA_DRUGS), ("icd10", EXTRA_ICD10)):
                await catalogs_service.import_catalog(
                    kernel, session, DESK, kind=kind, source=text.encode(), effective=date(2020, 1, 1)
                )
    finally:
        await kernel.db.dispose()


@pytest.fixture
def clinic(client: TestClient[Litestar], settings: Settings) -> Clinic:
    async def build() -> Clinic:
        kernel = build_kernel(settings, installed_modules())
        try:
            built = await build_clinic(kernel)
        finally:
            await kernel.db.dispose()
        await add_drugs(settings)
        return built

    return asyncio.run(build())


def as_user(client: TestClient[Litestar], username: str) -> dict[str, str]:
    client.cookies.clear()
    return {"x-csrf-token": login(client, username)}


def open_visit(client: TestClient[Litestar], headers: dict[str, str], codes: tuple[str, ...] = ("J06.9",)) -> int:
    """Calls the next patient in and records the diagnoses (first one main); returns the visit id."""
    opened = client.post(f"{OUTPATIENT}/rooms/{ROOM}/call-next", headers=headers)
    assert opened.status_code == 200, opened.text
    visit_id: int = opened.json()["visit_id"]
    body = {"items": [{"code": code, "is_main": index == 0} for index, code in enumerate(codes)]}
    saved = client.put(f"{OUTPATIENT}/visits/{visit_id}/encounter/diagnoses", json=body, headers=headers)
    assert saved.status_code == 200, saved.text
    return visit_id


def line(code: str, dose: str = "1", times: int = 2, days: int = 5) -> dict[str, Any]:
    return {"drug_code": code, "dose_per_time": dose, "times_per_day": times, "days": days}


def audit_actions(client: TestClient[Litestar], **filters: str) -> list[dict[str, Any]]:
    client.cookies.clear()
    login(client, "kiemtoan")
    rows: list[dict[str, Any]] = client.get("/api/v1/audit", params={**filters, "limit": "200"}).json()["items"]
    return rows
