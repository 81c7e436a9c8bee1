"""Catalog service: versioning by effective date, all-or-nothing imports, export round trip, search."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from his.catalogs import api, service
from his.catalogs.demo import DEMO_EFFECTIVE, seed_catalogs
from his.catalogs.models import Department, DrugSubstance, Service
from his.catalogs.schemas import DrugEntry, ServiceEntry
from his.kernel.audit.models import AuditRecord
from his.kernel.audit.service import AuditActor
from his.kernel.errors import NotFound
from his.kernel.runtime import Kernel

pytestmark = pytest.mark.criterion(31)

ACTOR = AuditActor(user_id=None, username="test", role="admin", client_ip=None, request_id=None)
JAN, FEB, MAR = date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)
DEPARTMENTS = ("code,name,bhyt_code", "KNOI,Khoa Nội tổng hợp,K03", "KNHI,Khoa Nhi,", "KXN,Khoa Xét nghiệm,")
SERVICES_HEADER = "code,name,group,unit,hospital_price,bhyt_price,bhyt_code"


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


async def import_file(
    kernel: Kernel, kind: str, source: bytes | Path, effective: date, *, retire_missing: bool = False
) -> service.ImportReport:
    async with kernel.db.transaction() as session:
        return await service.import_catalog(
            kernel,
            session,
            ACTOR,
            kind=kind,
            source=source,
            effective=effective,
            retire_missing=retire_missing,
        )


async def export(kernel: Kernel, kind: str, as_of: date) -> str:
    async with kernel.db.transaction() as session:
        return await service.export_catalog(session, kind=kind, as_of=as_of)


async def count_rows(kernel: Kernel, model: type) -> int:
    async with kernel.db.transaction() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_import_adds_versions_and_the_same_file_twice_changes_nothing(kernel: Kernel) -> None:
    first = await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), JAN)
    assert (first.rows, first.added, first.changed, first.unchanged) == (3, 3, 0, 0)
    again = await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), FEB)
    assert (again.added, again.changed, again.unchanged, again.retired) == (0, 0, 3, 0)
    assert await count_rows(kernel, Department) == 3
    async with kernel.db.transaction() as session:
        entry = await api.get_department(session, code="KNOI", as_of=FEB)
        assert entry is not None and entry.valid_from == JAN and entry.valid_to is None
        assert entry.bhyt_code == "K03"
        assert await api.get_department(session, code="KNOI", as_of=date(2024, 12, 31)) is None
        audited = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "catalog.import"))).all()
    assert [(a.object_type, a.outcome) for a in audited] == [("departments", "success")] * 2
    assert audited[0].detail is not None and "3 added" in audited[0].detail


async def test_a_changed_row_ends_the_old_version_on_the_effective_day(kernel: Kernel) -> None:
    await import_file(
        kernel,
        "services",
        csv_bytes(
            SERVICES_HEADER,
            "DV1,Khám Nội,Khám bệnh,Lần,50000,42100,02.1896",
            "DV2,Định lượng Glucose [Máu],Xét nghiệm,Lần,25000,21500,",
        ),
        JAN,
    )
    report = await import_file(
        kernel,
        "services",
        csv_bytes(
            SERVICES_HEADER,
            "DV1,Khám Nội,Khám bệnh,Lần,55000,45000,02.1896",
            "DV2,Định lượng Glucose [Máu],Xét nghiệm,Lần,25000,21500,",
        ),
        MAR,
    )
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1)
    assert await count_rows(kernel, Service) == 3
    async with kernel.db.transaction() as session:
        before = await api.get_service(session, code="DV1", as_of=date(2025, 2, 28))
        on_the_day = await api.get_service(session, code="DV1", as_of=MAR)
        versions = await service.history(session, kind="services", code="DV1")
    assert isinstance(before, ServiceEntry) and before.hospital_price == 50000 and before.valid_to == MAR
    assert isinstance(on_the_day, ServiceEntry) and on_the_day.hospital_price == 55000
    assert on_the_day.bhyt_price == 45000 and on_the_day.valid_from == MAR and on_the_day.valid_to is None
    assert [(v.valid_from, v.valid_to) for v in versions] == [(JAN, MAR), (MAR, None)]


async def test_codes_missing_from_a_file_stay_unless_retired(kernel: Kernel) -> None:
    await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), JAN)
    partial = csv_bytes(DEPARTMENTS[0], DEPARTMENTS[1])
    kept = await import_file(kernel, "departments", partial, FEB)
    assert (kept.unchanged, kept.retired) == (1, 0)
    retired = await import_file(kernel, "departments", partial, MAR, retire_missing=True)
    assert (retired.unchanged, retired.retired) == (1, 2)
    async with kernel.db.transaction() as session:
        assert await api.get_department(session, code="KNHI", as_of=date(2025, 2, 28)) is not None
        assert await api.get_department(session, code="KNHI", as_of=MAR) is None
        assert (await service.count_in_force(session, as_of=MAR))["departments"] == 1
    # A retired code comes back with a new version from the day it is imported again.
    back = await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), date(2025, 4, 1))
    assert (back.added, back.unchanged) == (2, 1)


async def test_a_bad_file_imports_nothing_and_reports_every_bad_row(kernel: Kernel) -> None:
    await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), JAN)
    bad = csv_bytes(
        "code,name,bhyt_code",
        "KNOI,Khoa Nội (đổi tên),K03",  # 2: fine, but must not be written
        "KNGOAI,,",  # 3: no name
        "K NS,Khoa Ngoại thần kinh,",  # 4: space in the code
        "KSAN,Khoa Sản,K05,extra",  # 5: one field too many
        "",  # 6: blank lines are skipped
        '"KMAT","Khoa Mắt',  # 7-8: a quoted name running over a line
        'và Tai Mũi Họng",',
        "KNOI,Khoa Nội khác,K03",  # 9: same code as line 2 with other content
    )
    with pytest.raises(service.ImportRejected) as raised:
        await import_file(kernel, "departments", bad, FEB)
    problems = [(p.line, p.column, p.message) for p in raised.value.problems]
    assert problems == [
        (3, "name", "A value is required"),
        (4, "code", "A code must not contain spaces or any of / ? # % \\"),
        (5, None, "The row has {found} fields; the header has {expected}"),
        (9, "code", "The code {code} is already on line {first_line} with other content"),
    ]
    assert raised.value.problems[-1].describe() == "The code KNOI is already on line 2 with other content"
    assert raised.value.status_code == 422
    async with kernel.db.transaction() as session:
        knoi = await api.get_department(session, code="KNOI", as_of=FEB)
        assert knoi is not None and knoi.name == "Khoa Nội tổng hợp"
        assert await api.get_department(session, code="KMAT", as_of=FEB) is None
    assert await count_rows(kernel, Department) == 3


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", [(1, None, "The file is empty; its first line must name the columns")]),
        (b"code,name\n", [(0, None, "The file has no data rows")]),
        (
            b"code,nom,bhyt_code\nK1,X,\n",
            [(1, "name", "The column is missing"), (1, "nom", "Unknown column; the columns are: {columns}")],
        ),
        (b"code,name\xff\nK1,X\n", [(1, None, "The file is not UTF-8 text; save it as CSV UTF-8")]),
        (b"\x1f\x8b\x08broken", [(0, None, "The file is a damaged gzip archive")]),
    ],
)
async def test_file_level_problems(kernel: Kernel, content: bytes, expected: list[tuple[int, str | None, str]]) -> None:
    with pytest.raises(service.ImportRejected) as raised:
        await import_file(kernel, "departments", content, JAN)
    assert [(p.line, p.column, p.message) for p in raised.value.problems] == expected


async def test_references_must_be_in_force_on_the_effective_day(kernel: Kernel) -> None:
    await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), FEB)
    rooms = csv_bytes("code,name,department_code", "P1,Phòng khám Nội 1,KNOI", "P2,Phòng khám Mắt,KMAT")
    with pytest.raises(service.ImportRejected) as raised:
        await import_file(kernel, "clinic-rooms", rooms, FEB)
    assert [(p.line, p.column, p.describe()) for p in raised.value.problems] == [
        (3, "department_code", "The code KMAT is not in the departments catalog on 2025-02-01"),
    ]
    with pytest.raises(service.ImportRejected):  # KNOI is not in force yet on January 1
        await import_file(kernel, "clinic-rooms", csv_bytes("code,name,department_code", "P1,Phòng 1,KNOI"), JAN)


async def test_an_effective_day_before_the_open_version_is_refused(kernel: Kernel) -> None:
    await import_file(kernel, "departments", csv_bytes(*DEPARTMENTS), MAR)
    changed = csv_bytes("code,name,bhyt_code", "KNOI,Khoa Nội,K03")
    with pytest.raises(service.ImportRejected) as raised:
        await import_file(kernel, "departments", changed, FEB)
    assert [p.describe() for p in raised.value.problems] == [
        "The code KNOI has a version in force from 2025-03-01, later than the effective date 2025-02-01"
    ]


async def test_drugs_keep_their_substances_per_version(kernel: Kernel) -> None:
    header = "code,name,substances,strengths,form,route,unit,bhyt_code,price"
    await import_file(
        kernel,
        "drugs",
        csv_bytes(
            header,
            "T1,Amoxicilin + Acid clavulanic 875 mg + 125 mg,Amoxicilin + Acid clavulanic,875 mg + 125 mg,"
            "Viên nén bao phim,Uống,Viên,40.62,9850",
            "T2,Paracetamol 500 mg,Paracetamol,500 mg,Viên nén,Uống,Viên,,450",
        ),
        JAN,
    )
    await import_file(
        kernel,
        "drugs",
        csv_bytes(
            header,
            "T1,Amoxicilin + Acid clavulanic 875 mg + 125 mg,Amoxicilin + Acid clavulanic,875 mg + 125 mg,"
            "Viên nén bao phim,Uống,Viên,40.62,9850",
            'T2,Paracetamol 500 mg,Paracetamol,"0,5 g",Viên nén,Uống,Viên,,450',
        ),
        FEB,
    )
    async with kernel.db.transaction() as session:
        t1 = await api.get_drug(session, code="T1", as_of=FEB)
        old, new = (await api.get_drug(session, code="T2", as_of=JAN), await api.get_drug(session, code="T2"))
        found = await api.search(session, kind="drugs", q="acid CLAVULANIC", as_of=FEB)
    assert isinstance(t1, DrugEntry) and t1.valid_from == JAN
    assert [(s.substance, s.strength, s.strength_value, s.strength_unit) for s in t1.substances] == [
        ("Amoxicilin", "875 mg", 875, "mg"),
        ("Acid clavulanic", "125 mg", 125, "mg"),
    ]
    assert old is not None and [s.strength for s in old.substances] == ["500 mg"]
    assert new is not None and [(s.strength, s.strength_value, s.strength_unit) for s in new.substances] == [
        ("0,5 g", pytest.approx(0.5), "g")
    ]
    assert [e.code for e in found.items] == ["T1"]
    assert await count_rows(kernel, DrugSubstance) == 4


async def test_export_then_import_round_trips_every_demo_catalog(kernel: Kernel) -> None:
    kinds = ("departments", "clinic-rooms", "staff", "services", "drugs", "supplies")
    reports = await seed_catalogs(kernel, kinds=kinds)
    assert {kind: r.added for kind, r in reports.items()} == {
        "departments": 13,
        "clinic-rooms": 32,
        "staff": 72,
        "services": 199,
        "drugs": 329,
        "supplies": 51,
    }
    for kind in kinds:
        exported = await export(kernel, kind, MAR)
        again = await import_file(kernel, kind, exported.encode("utf-8"), MAR)
        assert (again.added, again.changed, again.unchanged) == (0, 0, reports[kind].added), kind
        assert await export(kernel, kind, MAR) == exported
    async with kernel.db.transaction() as session:
        found = await api.search(session, kind="drugs", q="acid clavulanic 875", as_of=MAR)
        [entry] = found.items
        drug = await api.get_drug(session, code=entry.code, as_of=MAR)
    assert drug is not None and drug.valid_from == DEMO_EFFECTIVE
    assert [(s.substance, s.strength, str(s.strength_value)) for s in drug.substances] == [
        ("Amoxicilin", "875 mg", "875"),
        ("Acid clavulanic", "125 mg", "125"),
    ]


async def test_search_is_accent_and_case_insensitive_with_code_prefixes_first(kernel: Kernel) -> None:
    await seed_catalogs(kernel, kinds=("services", "drugs"))
    async with kernel.db.transaction() as session:
        by_name = await api.search(session, kind="services", q="KHANG sinh do")
        assert [e.name for e in by_name.items] == ["Kháng sinh đồ"]
        glucose = await api.search(session, kind="services", q="dinh luong glucose")
        assert {e.name for e in glucose.items} == {"Định lượng Glucose [Máu]", "Định lượng Glucose [Dịch]"}
        by_substance = await api.search(session, kind="drugs", q="amoxicilin", limit=3)
        assert by_substance.total == 7 and len(by_substance.items) == 3
        assert all(
            any(s.substance == "Amoxicilin" for s in e.substances)
            for e in by_substance.items
            if isinstance(e, DrugEntry)
        )
        rest = await api.search(session, kind="drugs", q="amoxicilin", limit=3, offset=6)
        assert len(rest.items) == 1 and rest.total == 7
        # "dv04" is a code prefix (imaging services DV04…) and also inside names of nothing else.
        prefix = await api.search(session, kind="services", q="DV0400")
        assert [e.code for e in prefix.items][:3] == ["DV04001", "DV04002", "DV04003"]
        nothing = await api.search(session, kind="services", q="100%_")
        assert nothing.total == 0
        with pytest.raises(NotFound):
            await api.search(session, kind="nope")


@pytest.mark.criterion(109)
async def test_national_icd10_format_applies_the_validity_lists(kernel: Kernel, tmp_path: Path) -> None:
    """A small file in the national QĐ 4469 format: rules come from the packaged validity lists."""
    import gzip

    from his.catalogs.icd10 import packaged_icd10_path

    with gzip.open(packaged_icd10_path(), "rt", encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    wanted = ("A17.0†", "G01*", "N70.0", "E11", "O80", "P07.0", "N40")
    sample = [lines[0]] + [line for line in lines[1:] if any(f",{code},".replace("†", "†") in line for code in wanted)]
    path = tmp_path / "national.csv"
    path.write_text("\n".join(sample) + "\n", encoding="utf-8")
    report = await import_file(kernel, "icd10", path, JAN)
    assert report.added >= len(wanted)
    async with kernel.db.transaction() as session:
        a170 = await api.get_icd10(session, code="a170", as_of=JAN)
        g01 = await api.get_icd10(session, code="G01*", as_of=JAN)
        n700 = await api.get_icd10(session, code="N70.0", as_of=JAN)
        problems = await api.check_diagnosis(session, code="N70.0", sex="M", age_days=10000, is_main=True, as_of=JAN)
        asterisk = await api.check_diagnosis(session, code="G01*", sex=None, age_days=None, is_main=True, as_of=JAN)
    assert a170 is not None and a170.code == "A17.0†" and a170.is_dagger
    assert g01 is not None and g01.is_asterisk
    assert n700 is not None and n700.sex == "F"
    assert [p.rule for p in problems] == ["sex"]
    assert [p.rule for p in asterisk] == ["asterisk_main"]
    # The export of this catalog is our own format; importing it back changes nothing.
    exported = await export(kernel, "icd10", JAN)
    assert exported.splitlines()[0].endswith("sex,min_age_days,max_age_days,is_asterisk,is_dagger,never_main")
    again = await import_file(kernel, "icd10", exported.encode(), FEB)
    assert (again.added, again.changed) == (0, 0)
