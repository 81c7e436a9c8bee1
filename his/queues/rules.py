"""Pure queue rules: who is called next, how tickets read aloud and on paper, and how long the wait is."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import median
from typing import Literal

from his.kernel.i18n import lazy

TicketStatus = Literal["waiting", "called", "skipped", "served"]
Action = Literal["call", "recall", "skip", "serve"]
SERVICE_POINT_KINDS: tuple[str, ...] = ("reception", "cashier", "pharmacy", "clinic", "other")
CODE_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"

# Which actions each status allows. A skipped ticket is not lost: recalling it brings it back to a counter.
_ALLOWED: dict[str, frozenset[str]] = {
    "waiting": frozenset({"call"}),
    "called": frozenset({"recall", "skip", "serve"}),
    "skipped": frozenset({"recall"}),
    "served": frozenset(),
}

# Service durations outside these bounds are mistakes (a ticket closed at once, or left open over lunch).
MIN_PLAUSIBLE_SECONDS = 10.0
MAX_PLAUSIBLE_SECONDS = 2 * 3600.0
DEFAULT_SERVICE_SECONDS = 300.0
RECENT_SAMPLE = 20

ANNOUNCEMENT = lazy("Number {number}, please come to {counter}")


def allowed(status: str, action: Action) -> bool:
    return action in _ALLOWED.get(status, frozenset())


@dataclass(frozen=True, slots=True, order=True)
class CallOrder:
    """Sorts tickets the way they are called: lower priority rank first, then first come first served."""

    rank: int
    number: int


def next_to_call(waiting: Iterable[CallOrder]) -> CallOrder | None:
    return min(waiting, default=None)


def people_ahead(ticket: CallOrder, waiting: Iterable[CallOrder]) -> int:
    """Waiting tickets that will be called before this one (as things stand: a later priority ticket may pass)."""
    return sum(1 for other in waiting if other < ticket)


def ticket_label(prefix: str, number: int) -> str:
    """How the number is printed and displayed: the service point's letter and at least three digits (A012)."""
    return f"{prefix}{number:03d}"


def spoken_number(prefix: str, number: int) -> str:
    """How the number is read aloud: without leading zeros, the letter apart ("A 12")."""
    return f"{prefix} {number}".strip()


def typical_service_seconds(recent_durations: Sequence[float]) -> float:
    """The median of the plausible recent service times; the default when there are none yet."""
    plausible = [d for d in recent_durations[-RECENT_SAMPLE:] if MIN_PLAUSIBLE_SECONDS <= d <= MAX_PLAUSIBLE_SECONDS]
    return float(median(plausible)) if plausible else DEFAULT_SERVICE_SECONDS


def estimated_wait_minutes(*, ahead: int, recent_durations: Sequence[float], open_counters: int) -> int:
    """Minutes until a ticket with `ahead` people before it is called, rounded up; counters work in parallel."""
    if ahead <= 0:
        return 0
    per_ticket = typical_service_seconds(recent_durations)
    return math.ceil(ahead * per_ticket / max(1, open_counters) / 60)


# The names of the priority groups the first migration creates, so that they are extracted for translation.
DEFAULT_PRIORITY_NAMES: dict[str, str] = {
    "normal": lazy("Normal"),
    "elderly": lazy("Over 80 years old"),
    "child": lazy("Child under 6"),
    "disabled": lazy("Person with a disability"),
    "emergency": lazy("Emergency"),
}

SERVICE_POINT_KIND_NAMES: dict[str, str] = {
    "reception": lazy("Reception"),
    "cashier": lazy("Cashier"),
    "pharmacy": lazy("Pharmacy"),
    "clinic": lazy("Clinic room"),
    "other": lazy("Other"),
}
