"""The deterministic demo hospital: staff accounts of every role from the kernel, then each module's part."""

from __future__ import annotations

import random

from rich.console import Console
from sqlalchemy import func, select

from his.kernel.auth.models import User
from his.kernel.auth.service import create_user
from his.kernel.hospital import update_hospital
from his.kernel.runtime import Kernel

# A demo-only password, printed by `make run`; it satisfies the password policy.
DEMO_PASSWORD = "Demo@2026!"
DEMO_FACILITY_CODE = "79999"


def demo_users() -> list[tuple[str, str, list[str]]]:
    """(username, full name, roles): one account per role, with invented Vietnamese names."""
    return [
        ("admin", "Nguyễn Quản Trị", ["admin"]),
        ("letan", "Trần Thị Lễ Tân", ["receptionist"]),
        ("bacsi", "BS. Lê Văn An", ["doctor"]),
        ("dieuduong", "ĐD. Phạm Thị Bình", ["nurse"]),
        ("duocsi", "DS. Hoàng Minh Châu", ["pharmacist"]),
        ("ktvxn", "KTV. Võ Thị Dung", ["lab_technician"]),
        ("bscdha", "BS. Đặng Quốc Hùng", ["radiologist"]),
        ("thungan", "Bùi Thị Giang", ["cashier"]),
        ("kiemtoan", "Đỗ Văn Kiểm", ["auditor"]),
    ]


async def database_has_users(kernel: Kernel) -> bool:
    async with kernel.db.transaction() as session:
        return bool(await session.scalar(select(func.count()).select_from(User)))


async def seed_kernel(kernel: Kernel, rng: random.Random) -> None:
    async with kernel.db.transaction() as session:
        await update_hospital(
            session,
            kernel.clock,
            kernel.settings.hospital,
            name="Bệnh viện Đa khoa Tỉnh Demo",
            facility_code=DEMO_FACILITY_CODE,
            address="01 Đường Hùng Vương, Phường 1, Thành phố Demo",
            phone="0270 3822 000",
            # Invented, in the shape of a social-insurance number: the demo's claims name a signer.
            head_insurance_number="7999900001",
        )
        for index, (username, full_name, roles) in enumerate(demo_users(), start=1):
            await create_user(
                session,
                kernel.hasher,
                kernel.clock,
                kernel.settings.security,
                username=username,
                full_name=full_name,
                password=DEMO_PASSWORD,
                roles=roles,
                staff_code=f"NV{index:04d}",
            )


async def run_demo_seed(kernel: Kernel, *, seed: int, if_empty: bool, console: Console | None = None) -> bool:
    """Returns False when skipped because the database already has users."""
    if if_empty and await database_has_users(kernel):
        return False
    rng = random.Random(seed)
    await seed_kernel(kernel, rng)
    for module in kernel.modules:
        if module.demo_seed is not None:
            if console is not None:
                console.print(f"seeding {module.name} …")
            await module.demo_seed(kernel, rng)
    return True
