"""The inpatient claim: a discharged stay becomes a signed MA_LOAI_KCB 03 file with XML7 that his.bhyt accepts."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree  # type: ignore[import-untyped]

from his.app import installed_modules
from his.bhyt import api as bhyt
from his.bhyt.api import SigningCredentials
from his.claims import api
from his.claims.schemas import RefusedClaim, WrittenClaim
from his.cli import build_cli
from his.inpatient import service as inpatient_service
from his.inpatient.schemas import AdmitIn, DischargeIn, SheetEntryIn
from his.kernel.clock import FixedClock
from his.kernel.runtime import Kernel, build_kernel
from his.settings import Settings
from tests.billing.visits import FACILITY, NOW, fixed_clock
from tests.claims.conftest import HEAD
from tests.inpatient.conftest import NURSE_ACTOR, WARD_DOCTOR, WARD_DOCTOR_ACTOR, build_wards

pytestmark = [pytest.mark.criterion(39), pytest.mark.parametrize("db_backend", ["sqlite"])]


async def _discharged_stay(kernel: Kernel, *, discharge: bool = True) -> str:
    ward = await build_wards(kernel)
    clock = kernel.clock
    assert isinstance(clock, FixedClock)
    async with kernel.db.transaction() as session:
        stay = await inpatient_service.admit(
            kernel,
            session,
            WARD_DOCTOR_ACTOR,
            WARD_DOCTOR,
            AdmitIn(
                source="direct",
                patient_id=ward.patients.insured,
                department_code="KNOI",
                icd10_code="J18.9",
                reason="Sốt cao, ho",
                weight_kg=Decimal("62.5"),
            ),
        )
        code = stay.code
        stay_id = stay.id
    clock.advance(timedelta(days=1))
    async with kernel.db.transaction() as session:
        row = await inpatient_service.get_stay_row(session, stay_id)
        await inpatient_service.add_sheet_entry(
            kernel, session, NURSE_ACTOR, WARD_DOCTOR, row, SheetEntryIn(progress="Đỡ sốt", pulse=82)
        )
        await inpatient_service.transfer(kernel, session, NURSE_ACTOR, row, "G1-01")
    clock.advance(timedelta(days=2))
    if discharge:
        async with kernel.db.transaction() as session:
            row = await inpatient_service.get_stay_row(session, stay_id)
            await inpatient_service.discharge(
                kernel,
                session,
                WARD_DOCTOR_ACTOR,
                WARD_DOCTOR,
                row,
                DischargeIn(icd10_code="J18.9", treatment_method="Kháng sinh, hạ sốt, bù dịch", outcome="1"),
            )
    return code


def _tables(data: bytes) -> dict[str, etree._Element]:
    root = etree.fromstring(data)
    return {
        f.findtext("LOAIHOSO"): etree.fromstring(base64.b64decode(f.findtext("NOIDUNGFILE")))
        for f in root.iter("FILEHOSO")
    }


async def test_a_discharged_stay_gives_a_signed_inpatient_claim_with_xml7(
    claims_kernel: Kernel, credentials: SigningCredentials, tmp_path: Path
) -> None:
    code = await _discharged_stay(claims_kernel)
    outcome = await api.export_stay(
        claims_kernel, stay_code=code, out_dir=tmp_path, credentials=credentials, actor=WARD_DOCTOR_ACTOR
    )
    assert isinstance(outcome, WrittenClaim), outcome
    data = Path(outcome.file).read_bytes()
    report = bhyt.validate_file(data=data, trusted_certificate_pem=credentials.certificate_pem, at=NOW)
    assert report.valid, report.violations
    tables = _tables(data)
    assert set(tables) == {"XML1", "XML2", "XML3", "XML5", "XML7"}
    summary = tables["XML1"]
    assert summary.findtext("MA_LOAI_KCB") == "03"
    assert summary.findtext("SO_NGAY_DTRI") == "4"  # 2 to 5 March: 5 - 2 + 1
    assert summary.findtext("NGAY_VAO_NOI_TRU") == "202603020900"
    assert summary.findtext("MA_KHOA") == "K02;K19"
    beds = [line for line in tables["XML3"].iter("CHI_TIET_DVKT") if line.findtext("MA_NHOM") == "15"]
    assert [b.findtext("MA_GIUONG") for b in beds] == ["G1-01", "G1-01", "G1-01"]
    paper = tables["XML7"]
    assert paper.tag == "CHI_TIEU_DU_LIEU_GIAY_RA_VIEN"
    assert paper.findtext("MA_LK") == code
    assert paper.findtext("NGAY_RA") == "202603050900"
    assert paper.findtext("PP_DIEUTRI") == "Kháng sinh, hạ sốt, bù dịch"
    assert paper.findtext("TEN_BS") == "BS. Lê Văn An"
    assert paper.findtext("MA_DINH_CHI_THAI") == "0"


async def test_a_stay_not_discharged_is_refused(
    claims_kernel: Kernel, credentials: SigningCredentials, tmp_path: Path
) -> None:
    code = await _discharged_stay(claims_kernel, discharge=False)
    outcome = await api.export_stay(
        claims_kernel, stay_code=code, out_dir=tmp_path / "out", credentials=credentials, actor=WARD_DOCTOR_ACTOR
    )
    assert isinstance(outcome, RefusedClaim)
    assert ("XML1", "NGAY_RA") in {(r.table, r.field) for r in outcome.refusals}
    assert list((tmp_path / "out").iterdir()) == []


async def _stay_in_its_own_kernel(settings: Settings) -> str:
    kernel = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        return await _discharged_stay(kernel)
    finally:
        await kernel.db.dispose()


def test_the_command_writes_the_stay_claim_and_it_validates(
    settings: Settings, key_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = asyncio.run(_stay_in_its_own_kernel(settings))
    monkeypatch.setenv("HIS_HOSPITAL__FACILITY_CODE", FACILITY)
    monkeypatch.setenv("HIS_CLAIMS__HEAD_INSURANCE_NUMBER", HEAD)
    monkeypatch.setenv("HIS_BHYT__PRIVATE_KEY_PATH", str(key_dir / "facility-key.pem"))
    monkeypatch.setenv("HIS_BHYT__CERTIFICATE_PATH", str(key_dir / "facility-cert.pem"))
    base = ["--database-url", settings.database_url, "bhyt"]
    written = CliRunner().invoke(build_cli(), [*base, "export-stay", "--stay", code, "--out", str(tmp_path / "out")])
    assert written.exit_code == 0, written.output
    assert f"written {tmp_path / 'out' / code}.xml" in " ".join(written.output.split())
    checked = CliRunner().invoke(build_cli(), [*base, "validate", str(tmp_path / "out" / f"{code}.xml")])
    assert checked.exit_code == 0, checked.output
    unknown = CliRunner().invoke(build_cli(), [*base, "export-stay", "--stay", "NO-SUCH", "--out", str(tmp_path / "x")])
    assert unknown.exit_code != 0 and not (tmp_path / "x" / "NO-SUCH.xml").exists()
