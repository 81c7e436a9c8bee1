"""Pure reception rules: which route a visit claims, and whether a card can be used on the day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from his.kernel.i18n import lazy

VisitKind = Literal["outpatient", "emergency"]
ClaimedRoute = Literal["registered", "referral", "transfer", "emergency", "wrong", "none"]
VISIT_KINDS: tuple[str, ...] = ("outpatient", "emergency")
FACILITY_CODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True, slots=True)
class CardOnDay:
    card_number: str
    benefit_level: int
    initial_facility_code: str
    valid_from: date
    valid_to: date


@dataclass(frozen=True, slots=True)
class Referral:
    from_facility: str  # MACSKCB of the referring facility
    paper_number: str


@dataclass(frozen=True, slots=True)
class RouteClaim:
    route: ClaimedRoute
    reason: str  # English msgid shown at the desk


ROUTE_REASONS: dict[str, str] = {
    "none": lazy("No health insurance card valid today: the patient pays the hospital price"),
    "emergency": lazy("Emergency: counted as the right route"),
    "registered": lazy("This hospital is the card's registered facility"),
    "referral": lazy("Referred by another facility with a referral paper"),
    "transfer": lazy("Transferred from another facility"),
    "wrong": lazy("Not the registered facility and no referral paper: wrong route"),
}


def card_usable(card: CardOnDay | None, day: date) -> bool:
    return card is not None and card.valid_from <= day <= card.valid_to


def claimed_route(
    *, kind: VisitKind, card: CardOnDay | None, day: date, facility_code: str, referral: Referral | None
) -> RouteClaim:
    """The route the visit claims; billing's policy decides what each route is worth on the day."""
    if not card_usable(card, day):
        return _claim("none")
    assert card is not None
    if kind == "emergency":
        return _claim("emergency")
    if card.initial_facility_code == facility_code:
        return _claim("registered")
    if referral is not None:
        return _claim("referral")
    return _claim("wrong")


def _claim(route: ClaimedRoute) -> RouteClaim:
    return RouteClaim(route, ROUTE_REASONS[route])


def referral_problems(referral: Referral | None, facility_code: str) -> list[tuple[str, str]]:
    """(field, English msgid) for each problem of a referral paper."""
    if referral is None:
        return []
    problems: list[tuple[str, str]] = []
    if not FACILITY_CODE.match(referral.from_facility):
        problems.append(("referral_from", lazy("The referring facility code has exactly 5 digits")))
    elif referral.from_facility == facility_code:
        problems.append(("referral_from", lazy("A hospital cannot refer a patient to itself")))
    if not referral.paper_number.strip():
        problems.append(("referral_number", lazy("The referral paper number is required")))
    return problems


def visit_code(facility_code: str, day: date, visit_id: int) -> str:
    """MA_LK: unique across the hospital's claims, readable at the desk."""
    return f"{facility_code}{day:%Y%m%d}{visit_id:07d}"
