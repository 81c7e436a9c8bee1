from __future__ import annotations

from datetime import date

import pytest

from his.reception.rules import CardOnDay, Referral, claimed_route, referral_problems, visit_code

pytestmark = pytest.mark.criterion(32)

DAY = date(2026, 11, 22)
HERE = "79999"


def card(facility: str = HERE, valid_to: date = date(2026, 12, 31)) -> CardOnDay:
    return CardOnDay("DN4797912345678", 4, facility, date(2026, 1, 1), valid_to)


@pytest.mark.parametrize(
    ("kind", "the_card", "referral", "route"),
    [
        ("outpatient", None, None, "none"),
        ("outpatient", card(valid_to=date(2026, 11, 21)), None, "none"),
        ("emergency", card(facility="01001"), None, "emergency"),
        ("outpatient", card(), None, "registered"),
        ("outpatient", card(facility="01001"), Referral("01001", "CT-15"), "referral"),
        ("outpatient", card(facility="01001"), None, "wrong"),
    ],
)
def test_claimed_route(kind: str, the_card: CardOnDay | None, referral: Referral | None, route: str) -> None:
    claim = claimed_route(kind=kind, card=the_card, day=DAY, facility_code=HERE, referral=referral)  # type: ignore[arg-type]
    assert claim.route == route and claim.reason


def test_referral_paper_problems() -> None:
    assert referral_problems(None, HERE) == []
    assert referral_problems(Referral("01001", "CT-1"), HERE) == []
    assert [f for f, _ in referral_problems(Referral("1001", ""), HERE)] == ["referral_from", "referral_number"]
    assert referral_problems(Referral(HERE, "CT-1"), HERE)[0][0] == "referral_from"


def test_visit_code_fits_the_claim_key() -> None:
    code = visit_code(HERE, DAY, 42)
    assert code == "79999202611220000042" and len(code) <= 100
