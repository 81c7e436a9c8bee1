"""`his bhyt keygen|build|validate` through click's CliRunner: exit 0 valid, 1 violations, 2 unreadable input."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from his.cli import build_cli
from tests.bhyt.conftest import Tamper, example_claim_bytes

pytestmark = pytest.mark.criterion(36)

Invoke = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    cli = build_cli()
    runner = CliRunner()
    database = f"sqlite+aiosqlite:///{tmp_path}/unused.db"

    def invoke(*arguments: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, ["--database-url", database, "bhyt", *arguments], env=env)

    return invoke


@pytest.fixture
def keys(run: Invoke, tmp_path: Path) -> Path:
    folder = tmp_path / "keys"
    result = run("keygen", "--out", str(folder), "--facility-code", "79001", "--name", "Bệnh viện Demo")
    assert result.exit_code == 0, result.output
    return folder


def signing_options(keys: Path) -> list[str]:
    return ["--key", str(keys / "facility-key.pem"), "--cert", str(keys / "facility-cert.pem")]


def test_keygen_writes_a_private_key_only_its_owner_reads(run: Invoke, keys: Path) -> None:
    assert stat.S_IMODE((keys / "facility-key.pem").stat().st_mode) == 0o600
    assert (keys / "facility-cert.pem").read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    again = run("keygen", "--out", str(keys))
    assert again.exit_code == 1
    assert "--force" in again.stderr


def test_build_then_validate(run: Invoke, keys: Path, tmp_path: Path) -> None:
    claim = tmp_path / "claim.json"
    claim.write_bytes(example_claim_bytes())
    out, checkin = tmp_path / "out" / "claim.xml", tmp_path / "out" / "checkin.xml"
    built = run(
        "build",
        str(claim),
        "--out",
        str(out),
        "--checkin-out",
        str(checkin),
        "--created-on",
        "2024-03-16",
        *signing_options(keys),
    )
    assert built.exit_code == 0, built.output
    assert b"<NGAYLAP>20240316</NGAYLAP>" in out.read_bytes()
    for path in (out, checkin):
        checked = run("validate", str(path))
        assert checked.exit_code == 0, checked.output
        assert "valid, signature verified" in checked.stdout
    trusted = run("validate", str(out), "--trusted-cert", str(keys / "facility-cert.pem"))
    assert trusted.exit_code == 0, trusted.output


def test_build_uses_the_configured_key_and_certificate(run: Invoke, keys: Path, tmp_path: Path) -> None:
    claim = tmp_path / "claim.json"
    claim.write_bytes(example_claim_bytes())
    env = {
        "HIS_BHYT__PRIVATE_KEY_PATH": str(keys / "facility-key.pem"),
        "HIS_BHYT__CERTIFICATE_PATH": str(keys / "facility-cert.pem"),
    }
    built = run("build", str(claim), "--out", str(tmp_path / "claim.xml"), env=env)
    assert built.exit_code == 0, built.output
    missing = run("build", str(claim), "--out", str(tmp_path / "x.xml"), env={"HIS_BHYT__PRIVATE_KEY_PATH": "/nope"})
    assert missing.exit_code == 2
    assert "cannot read the private key" in missing.stderr


def test_build_refuses_an_invalid_claim_and_says_why(run: Invoke, keys: Path, tmp_path: Path) -> None:
    document = json.loads(example_claim_bytes())
    document["drugs"][0]["don_vi_tinh"] = ""
    document["summary"]["ma_cskcb"] = "790011"
    claim = tmp_path / "claim.json"
    claim.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "claim.xml"
    refused = run("build", str(claim), "--out", str(out), *signing_options(keys))
    assert refused.exit_code == 1
    assert "XML2 / DON_VI_TINH (line 1): A value is required" in refused.stderr
    assert "XML1 / MA_CSKCB: 6 characters, at most 5 allowed" in refused.stderr
    assert "nothing written" in refused.stderr
    assert not out.exists()


def test_build_says_which_input_is_not_a_claim(run: Invoke, keys: Path, tmp_path: Path) -> None:
    claim = tmp_path / "claim.json"
    claim.write_text('{"summary": {"ma_lk": 5}}', encoding="utf-8")
    result = run("build", str(claim), "--out", str(tmp_path / "x.xml"), *signing_options(keys))
    assert result.exit_code == 2
    assert "not a claim" in result.stderr and "$.summary" in result.stderr


def test_validate_prints_each_violation_and_exits_1(run: Invoke, keys: Path, tmp_path: Path, tamper: Tamper) -> None:
    claim, out = tmp_path / "claim.json", tmp_path / "claim.xml"
    claim.write_bytes(example_claim_bytes())
    assert run("build", str(claim), "--out", str(out), *signing_options(keys)).exit_code == 0
    changed = tmp_path / "changed.xml"
    changed.write_bytes(tamper(out.read_bytes(), "XML2", "THANH_TIEN_BV", "7252.50", line=2))
    result = run("validate", str(changed))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "XML1 / T_THUOC: 11252.50 differs from 12252.50, the sum of XML2 THANH_TIEN_BV" in lines
    assert any(line.startswith("XML2 / THANH_TIEN_BV (line 2): ") for line in lines)
    assert any(line.startswith("CHUKYDONVI / Signature: The signature does not verify") for line in lines)


def test_validate_exits_2_on_unreadable_input(run: Invoke, tmp_path: Path) -> None:
    not_xml = tmp_path / "claim.xml"
    not_xml.write_text("hello", encoding="utf-8")
    result = run("validate", str(not_xml))
    assert (result.exit_code, "unreadable: not XML" in result.stderr) == (2, True)
    other = tmp_path / "other.xml"
    other.write_text("<ClinicalDocument/>", encoding="utf-8")
    result = run("validate", str(other))
    assert (result.exit_code, "neither a GIAMDINHHS envelope" in result.stderr) == (2, True)
    result = run("validate", str(tmp_path / "missing.xml"))
    assert (result.exit_code, "cannot read the file" in result.stderr) == (2, True)
