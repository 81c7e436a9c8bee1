"""The demo hospital's billing: the packaged BHYT policy, a receipt book, and a few accounts with charges.

Card numbers, names and prices are invented for the demo.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from his.billing import service
from his.billing.schemas import AccountIn, ChargeIn, PayerFacts, SourceKind
from his.kernel.audit.service import AuditActor
from his.kernel.runtime import Kernel

_ACTOR = AuditActor(user_id=None, username="demo-seed", role="system", client_ip=None, request_id=None)

# (code, name, kind, hospital price, BHYT price or None when outside the list)
_ITEMS: tuple[tuple[str, str, SourceKind, int, int | None], ...] = (
    ("KB01", "Khám Nội", "service", 50_500, 50_500),
    ("XN01", "Tổng phân tích tế bào máu ngoại vi", "service", 46_200, 46_200),
    ("XN02", "Định lượng Glucose [Máu]", "service", 25_000, 21_500),
    ("CDHA01", "Chụp X-quang ngực thẳng", "service", 65_400, 65_400),
    ("SA01", "Siêu âm ổ bụng", "service", 43_900, 43_900),
    ("T01", "Paracetamol 500 mg viên nén", "drug", 350, 350),
    ("T02", "Amoxicillin 500 mg viên nang", "drug", 1_200, 1_200),
    ("VT01", "Bơm tiêm nhựa 5 ml", "supply", 1_500, 1_500),
    ("DV99", "Khám theo yêu cầu", "service", 150_000, None),
)


def _card(rng: random.Random, level: int) -> str:
    prefix = {1: "TE1", 2: "CK2", 3: "HT3", 4: "DN4", 5: "QN5"}[level]
    return f"{prefix}79{rng.randrange(10**10):010d}"


async def seed_billing(kernel: Kernel, rng: random.Random) -> None:
    local = random.Random(35)  # same demo accounts whatever seed the other modules use
    day = service.today(kernel.clock)
    async with kernel.db.transaction() as session:
        await service.import_policy(
            kernel,
            session,
            _ACTOR,
            text=service.packaged_policy_path().read_text(encoding="utf-8"),
            source_name="bhyt_policy.csv",
        )
        await service.create_book(kernel, session, _ACTOR, code=service.DEFAULT_BOOK, symbol="BL/25")
        for index in range(1, 6):
            level = (4, 4, 3, 1, 2)[index - 1]
            payer = PayerFacts(
                route="registered" if index != 2 else "wrong",
                hospital_level="provincial",
                care_type="outpatient",
                card_number=_card(local, level),
                benefit_level=level,
                card_valid_from=date(day.year, 1, 1),
                card_valid_to=date(day.year, 12, 31),
                registered_facility="79999" if index != 2 else "79001",
            )
            ref = f"DEMO{day:%y%m%d}{index:04d}"
            await service.open_account(
                kernel,
                session,
                _ACTOR,
                AccountIn(
                    encounter_ref=ref,
                    patient_id=index,
                    patient_code=f"BN{index:06d}",
                    patient_name=("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Bé Dung", "Hoàng Văn Em")[
                        index - 1
                    ],
                    payer=payer,
                ),
            )
            for code, name, kind, price, bhyt in local.sample(_ITEMS, 4):
                quantity = Decimal(local.choice((1, 1, 2, 10))) if kind == "drug" else Decimal(1)
                await service.post_charge(
                    kernel,
                    session,
                    _ACTOR,
                    encounter_ref=ref,
                    data=ChargeIn(
                        source_kind=kind,
                        code=code,
                        name=name,
                        quantity=quantity,
                        unit_price_hospital=price,
                        unit_price_bhyt=bhyt,
                        in_bhyt_list=bhyt is not None,
                        service_date=day,
                    ),
                )
