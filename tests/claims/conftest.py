"""The claims export's test hospital: tests/billing/visits.py with the claims settings and throwaway credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from his.app import installed_modules
from his.bhyt.api import SigningCredentials
from his.bhyt.signing import facility_certificate
from his.kernel.runtime import Kernel, build_kernel
from his.settings import ClaimsSettings, HospitalDefaults, Settings
from tests.billing.visits import FACILITY, NOW, Patients, build_hospital, fixed_clock

HEAD = "7901234567"  # MA_TTDV


@pytest.fixture(scope="session")
def credentials() -> SigningCredentials:
    """What `his bhyt keygen` makes, smaller (2048 bits) to keep the suite quick."""
    return facility_certificate(
        facility_code=FACILITY, facility_name="Bệnh viện Đa khoa Tỉnh (Test)", now=NOW, days=3650, key_size=2048
    )


@pytest.fixture
def key_dir(tmp_path: Path, credentials: SigningCredentials) -> Path:
    folder = tmp_path / "bhyt"
    folder.mkdir()
    (folder / "facility-key.pem").write_bytes(credentials.private_key_pem)
    (folder / "facility-cert.pem").write_bytes(credentials.certificate_pem)
    return folder


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.hospital = HospitalDefaults(name="Bệnh viện Đa khoa Tỉnh (Test)", facility_code=FACILITY)
    settings.claims = ClaimsSettings(head_insurance_number=HEAD)
    return settings


@pytest.fixture
async def claims_kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules(), fixed_clock())
    try:
        yield built
    finally:
        await built.db.dispose()


@pytest.fixture
async def patients(claims_kernel: Kernel) -> Patients:
    return await build_hospital(claims_kernel)
