"""The demo makes a self-signed facility certificate once, and never replaces a key in place."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from cryptography import x509

from his.app import installed_modules
from his.bhyt.demo import seed
from his.kernel.runtime import build_kernel
from his.settings import BhytSettings, Settings

pytestmark = pytest.mark.criterion(36)


@pytest.mark.parametrize("db_backend", ["sqlite"])  # no database work beyond reading the hospital name
async def test_demo_key_is_made_once(settings: Settings, tmp_path: Path) -> None:
    paths = BhytSettings(certificate_path=tmp_path / "k" / "cert.pem", private_key_path=tmp_path / "k" / "key.pem")
    kernel = build_kernel(settings.model_copy(update={"bhyt": paths}), installed_modules())
    try:
        await seed(kernel, random.Random(1))
        certificate = x509.load_pem_x509_certificate(paths.certificate_path.read_bytes())
        assert (paths.private_key_path.stat().st_mode & 0o777) == 0o600
        first = paths.private_key_path.read_bytes()
        await seed(kernel, random.Random(2))
        assert paths.private_key_path.read_bytes() == first
        assert certificate.subject.rfc4514_string()
    finally:
        await kernel.db.dispose()
