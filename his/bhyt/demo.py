"""The demo hospital's claims-signing key: a self-signed facility certificate, made once."""

from __future__ import annotations

import random

from his.bhyt.signing import facility_certificate, write_credentials
from his.kernel.hospital import get_hospital
from his.kernel.runtime import Kernel


async def seed(kernel: Kernel, rng: random.Random) -> None:
    settings = kernel.settings.bhyt
    if settings.private_key_path.exists() or settings.certificate_path.exists():
        return  # a key in place is kept: it may be the hospital's real one
    async with kernel.db.transaction() as session:
        hospital = await get_hospital(session, kernel.settings.hospital)
    credentials = facility_certificate(
        facility_code=hospital.facility_code, facility_name=hospital.name, now=kernel.clock.now()
    )
    write_credentials(credentials, key_path=settings.private_key_path, cert_path=settings.certificate_path)
