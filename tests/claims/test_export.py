"""The claims export over finished visits (criterion 36), on both databases: files the BHYT validator accepts,
refusals that name the field, and the command line."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from his.app import installed_modules
from his.bhyt import api as bhyt
from his.bhyt.api import SigningCredentials
from his.bhyt.xml import parse_document
from his.billing import api as billing
from his.catalogs import service as catalogs_service
from his.claims import api, mapping, service
from his.cli import build_cli
from his.kernel.audit.models import AuditRecord
from his.kernel.hospital import get_hospital, update_hospital
from his.kernel.runtime import Kernel, build_kernel
from his.reception import api as reception
from his.settings import Settings
from tests.billing.visits import (
    AUGMENTIN_ROW,
    CASHIER,
    CERTIFICATE,
    DESK,
    DRUGS_HEADER,
    FACILITY,
    NOW,
    TODAY,
    Patients,
    build_hospital,
    finish_without_exam,
    fixed_clock,
    full_visit,
    register_visit,
)
from tests.claims.conftest import HEAD

pytestmark = pytest.mark.criterion(36)


async def export(kernel: Kernel, out_dir: Path, credentials: SigningCredentials) -> api.ExportReport:
    return await api.export_claims(
        kernel, date_from=TODAY, date_to=TODAY, out_dir=out_dir, credentials=credentials, actor=CASHIER
    )


async def test_a_finished_visit_becomes_one_signed_file_the_validator_accepts(
    claims_kernel: Kernel, patients: Patients, credentials: SigningCredentials, tmp_path: Path
) -> None:
    code, _dispensing = await full_visit(claims_kernel, patients.insured)
    uninsured, _other = await full_visit(claims_kernel, patients.uninsured)
    out_dir = tmp_path / "out"
    report = await export(claims_kernel, out_dir, credentials)
    assert report.refused == []
    assert [w.visit_code for w in report.written] == [code]
    assert [(s.visit_code, s.patient_id) for s in report.skipped] == [(uninsured, patients.uninsured)]
    assert sorted(p.name for p in out_dir.iterdir()) == [f"{code}.xml"]

    data = (out_dir / f"{code}.xml").read_bytes()
    checked = bhyt.validate_file(data=data, trusted_certificate_pem=credentials.certificate_pem, at=NOW)
    assert checked.violations == [] and checked.signature_verified and checked.valid
    tables = parse_document(data, bhyt.load_rulebook()).claims[0].tables
    summary = tables["XML1"][0]
    assert summary["MA_LK"] == code and summary["MA_CSKCB"] == FACILITY and summary["MA_TTDV"] == HEAD
    assert (summary["MA_BENH_CHINH"], summary["MA_BENH_KT"], summary["MA_LOAI_KCB"]) == ("J06.9", "I10", "01")
    assert (summary["KET_QUA_DTRI"], summary["MA_LOAI_RV"], summary["SO_NGAY_DTRI"]) == ("2", "1", "0")
    assert summary["MA_THE_BHYT"] == "DN4797912345678" and summary["MA_DKBD"] == FACILITY
    assert summary["NGAY_VAO"] == "202603020900" and summary["NGAY_SINH"] == "198005170000"
    assert summary["CAN_NANG"] == "62.50" and summary["MA_KHOA"] == "K01"
    # The fund's 80% of 388,500 dong at BHYT prices; the patient's 20% and the exam's price difference.
    assert (summary["T_TONGCHI_BV"], summary["T_BHTT"], summary["T_BNCCT"], summary["T_BNTT"]) == (
        "391400.00",
        "310800.00",
        "77700.00",
        "2900.00",
    )
    drugs, services = tables["XML2"], tables["XML3"]
    assert [(d["MA_THUOC"], d["SO_LUONG"], d["MUC_HUONG"]) for d in drugs] == [
        ("40.3", "20", "80"),
        ("40.106", "10", "80"),
    ]
    assert (
        drugs[0]["LIEU_DUNG"] == "1 viên/lần * 2 lần/ngày * 10 ngày [2 viên/ngày]" and drugs[0]["DUONG_DUNG"] == "1.01"
    )
    assert drugs[0]["MA_BAC_SI"] == CERTIFICATE and drugs[0]["TT_THAU"] == "123/QĐ-SYT;G1;N1;2025"
    assert [(s["MA_DICH_VU"], s["MA_NHOM"], s["DON_GIA_BH"]) for s in services] == [("02.1896", "13", "42100")]
    assert "XML5" not in tables  # an examination (MA_LOAI_KCB 01) sends no progress notes

    async with claims_kernel.db.transaction() as session:
        audited = (await session.scalars(select(AuditRecord).where(AuditRecord.action == "claims.export"))).all()
    assert [(r.object_id, r.patient_id) for r in audited] == [(code, str(patients.insured))]


async def test_exporting_again_rewrites_the_same_claim(
    claims_kernel: Kernel, patients: Patients, credentials: SigningCredentials, tmp_path: Path
) -> None:
    code, _dispensing = await full_visit(claims_kernel, patients.insured)
    first = await export(claims_kernel, tmp_path / "a", credentials)
    second = await export(claims_kernel, tmp_path / "b", credentials)
    assert [w.visit_code for w in first.written] == [w.visit_code for w in second.written] == [code]
    tables = [
        parse_document((folder / f"{code}.xml").read_bytes(), bhyt.load_rulebook()).claims[0].tables
        for folder in (tmp_path / "a", tmp_path / "b")
    ]
    assert tables[0] == tables[1]  # the account was synced twice and nothing doubled


async def test_a_visit_without_a_main_diagnosis_is_refused_naming_the_field(
    claims_kernel: Kernel, patients: Patients, credentials: SigningCredentials, tmp_path: Path
) -> None:
    visit_id, code = await register_visit(claims_kernel, patients.insured)
    await finish_without_exam(claims_kernel, visit_id)
    out_dir = tmp_path / "out"
    report = await export(claims_kernel, out_dir, credentials)
    assert report.written == [] and [r.visit_code for r in report.refused] == [code]
    fields = {(r.table, r.field) for r in report.refused[0].refusals}
    assert ("XML1", "MA_BENH_CHINH") in fields
    assert {("XML1", "NGAY_RA"), ("XML1", "CAN_NANG"), ("XML1", "LY_DO_VV")} <= fields
    assert list(out_dir.iterdir()) == []
    async with claims_kernel.db.transaction() as session:
        actions = (await session.scalars(select(AuditRecord.action).where(AuditRecord.object_id == code))).all()
    assert "claims.refuse" in actions and "claims.export" not in actions


async def test_a_drug_without_its_tender_is_refused_on_its_line(
    claims_kernel: Kernel, patients: Patients, credentials: SigningCredentials, tmp_path: Path
) -> None:
    # A later version of the drug catalog in which Augmentin has lost its tender.
    async with claims_kernel.db.transaction() as session:
        await catalogs_service.import_catalog(
            claims_kernel,
            session,
            DESK,
            kind="drugs",
            source=(DRUGS_HEADER + AUGMENTIN_ROW.format(tender="")).encode(),
            effective=date(2026, 1, 1),
        )
    code, _dispensing = await full_visit(claims_kernel, patients.insured)
    report = await export(claims_kernel, tmp_path / "out", credentials)
    assert [r.visit_code for r in report.refused] == [code]
    assert [(r.table, r.field, r.line) for r in report.refused[0].refusals] == [("XML2", "TT_THAU", 1)]


async def test_progress_notes_come_from_the_exam_notes_for_treatment_visits_only(
    claims_kernel: Kernel, patients: Patients
) -> None:
    code, _dispensing = await full_visit(claims_kernel, patients.insured)
    async with claims_kernel.db.transaction() as session:
        visit = await reception.get_visit_by_code(session, code=code)
        account = await billing.sync_visit(session, kernel=claims_kernel, actor=CASHIER, visit_code=code)
        facts = await service.visit_facts(session, claims_kernel, visit, account)
    codes = mapping.load_codes()
    assert mapping.map_claim(facts, codes).claim.progress_notes == []
    notes = mapping.map_claim(facts, codes, kind="02").claim.progress_notes
    assert [(n.dien_bien_ls, n.nguoi_thuc_hien) for n in notes] == [
        ("Họng đỏ, phổi không ran. CSST<M88>", [CERTIFICATE])
    ]


async def test_the_signer_comes_from_the_hospital_configuration(claims_kernel: Kernel, patients: Patients) -> None:
    code, _dispensing = await full_visit(claims_kernel, patients.insured)
    async with claims_kernel.db.transaction() as session:
        visit = await reception.get_visit_by_code(session, code=code)
        account = await billing.sync_visit(session, kernel=claims_kernel, actor=CASHIER, visit_code=code)
        before = await service.visit_facts(session, claims_kernel, visit, account)
        hospital = await get_hospital(session, claims_kernel.settings.hospital)
        await update_hospital(
            session,
            claims_kernel.clock,
            claims_kernel.settings.hospital,
            name=hospital.name,
            facility_code=hospital.facility_code,
            address="",
            phone="",
            head_insurance_number="7900000002",
        )
        after = await service.visit_facts(session, claims_kernel, visit, account)
    # The older setting counts only while the configuration has none.
    assert (before.head_insurance_number, after.head_insurance_number) == (HEAD, "7900000002")


async def _visits(settings: Settings, *, with_refused: bool) -> tuple[str, str | None]:
    """A good visit and, when asked, one finished at the desk without a diagnosis."""
    kernel = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        patients = await build_hospital(kernel)
        good, _dispensing = await full_visit(kernel, patients.insured)
        if not with_refused:
            return good, None
        visit_id, bad = await register_visit(kernel, patients.insured)
        await finish_without_exam(kernel, visit_id)
        return good, bad
    finally:
        await kernel.db.dispose()


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings, key_dir: Path) -> None:
    monkeypatch.setenv("HIS_HOSPITAL__FACILITY_CODE", FACILITY)
    monkeypatch.setenv("HIS_CLAIMS__HEAD_INSURANCE_NUMBER", HEAD)
    monkeypatch.setenv("HIS_BHYT__PRIVATE_KEY_PATH", str(key_dir / "facility-key.pem"))
    monkeypatch.setenv("HIS_BHYT__CERTIFICATE_PATH", str(key_dir / "facility-cert.pem"))


def _command(
    settings: Settings, out_dir: Path, day_from: str = "2026-03-01", day_to: str = "2026-03-02", group: str = "claims"
) -> list[str]:
    return [
        "--database-url",
        settings.database_url,
        group,
        "export",
        "--from",
        day_from,
        "--to",
        day_to,
        "--out",
        str(out_dir),
    ]


def test_the_command_writes_the_files_and_exits_1_listing_each_refusal(
    settings: Settings, key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, bad = asyncio.run(_visits(settings, with_refused=True))
    _env(monkeypatch, settings, key_dir)
    out_dir = tmp_path / "claims"
    result = CliRunner().invoke(build_cli(), _command(settings, out_dir))
    assert result.exit_code == 1, result.output
    assert f"written {out_dir / f'{good}.xml'}" in result.output
    assert f"refused {bad}:" in result.output and "XML1 / MA_BENH_CHINH: A value is required" in result.output
    assert "1 written, 1 refused, 0 skipped" in result.output
    assert sorted(p.name for p in out_dir.iterdir()) == [f"{good}.xml"]


def test_the_command_exits_0_when_every_claim_is_written_and_2_without_a_key(
    settings: Settings, key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good, _none = asyncio.run(_visits(settings, with_refused=False))
    _env(monkeypatch, settings, key_dir)
    result = CliRunner().invoke(build_cli(), _command(settings, tmp_path / "claims"))
    assert result.exit_code == 0, result.output
    assert "1 written, 0 refused, 0 skipped" in result.output and (tmp_path / "claims" / f"{good}.xml").exists()
    # A day without finished visits: nothing written, nothing refused (`his bhyt export` is the same command).
    quiet = CliRunner().invoke(
        build_cli(), _command(settings, tmp_path / "none", "2026-03-01", "2026-03-01", group="bhyt")
    )
    assert quiet.exit_code == 0 and "0 written, 0 refused, 0 skipped" in quiet.output
    monkeypatch.setenv("HIS_BHYT__PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))
    missing = CliRunner().invoke(build_cli(), _command(settings, tmp_path / "x"))
    # Rich wraps long lines at the terminal width (the path length varies): compare words.
    assert missing.exit_code == 2 and "cannot read the private key" in " ".join(missing.output.split())
    assert not (tmp_path / "x").exists()
