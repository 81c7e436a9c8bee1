"""Pure queue rules: call order, people ahead, labels, and the waiting-time estimate."""

from __future__ import annotations

import pytest

from his.queues import rules
from his.queues.rules import CallOrder

pytestmark = pytest.mark.criterion(44)


def test_lower_rank_first_then_first_come() -> None:
    waiting = [CallOrder(9, 1), CallOrder(9, 2), CallOrder(1, 5), CallOrder(0, 7), CallOrder(1, 3)]
    assert rules.next_to_call(waiting) == CallOrder(0, 7)
    assert sorted(waiting) == [CallOrder(0, 7), CallOrder(1, 3), CallOrder(1, 5), CallOrder(9, 1), CallOrder(9, 2)]
    assert rules.next_to_call([]) is None


def test_people_ahead_counts_only_those_called_earlier() -> None:
    waiting = [CallOrder(9, 1), CallOrder(9, 2), CallOrder(1, 5), CallOrder(9, 6)]
    assert rules.people_ahead(CallOrder(9, 6), waiting) == 3
    assert rules.people_ahead(CallOrder(1, 5), waiting) == 0
    assert rules.people_ahead(CallOrder(9, 2), waiting) == 2


def test_labels_for_paper_and_for_the_voice() -> None:
    assert rules.ticket_label("A", 12) == "A012"
    assert rules.ticket_label("", 1234) == "1234"
    assert rules.spoken_number("A", 12) == "A 12"
    assert rules.spoken_number("", 7) == "7"


def test_actions_allowed_by_status() -> None:
    assert rules.allowed("waiting", "call") and not rules.allowed("waiting", "serve")
    assert rules.allowed("called", "skip") and rules.allowed("called", "recall") and rules.allowed("called", "serve")
    assert rules.allowed("skipped", "recall") and not rules.allowed("skipped", "serve")
    assert not any(rules.allowed("served", action) for action in ("call", "recall", "skip", "serve"))


def test_estimate_uses_the_median_of_plausible_recent_durations() -> None:
    # 3, 4 and 5 minutes, plus a ticket closed after 2 s and one left open for 3 hours: both ignored.
    durations = [180.0, 2.0, 240.0, 3 * 3600.0, 300.0]
    assert rules.typical_service_seconds(durations) == 240.0
    assert rules.estimated_wait_minutes(ahead=5, recent_durations=durations, open_counters=1) == 20
    # Two counters share the line; the result is rounded up to whole minutes.
    assert rules.estimated_wait_minutes(ahead=5, recent_durations=durations, open_counters=2) == 10
    assert rules.estimated_wait_minutes(ahead=1, recent_durations=[90.0], open_counters=2) == 1
    assert rules.estimated_wait_minutes(ahead=0, recent_durations=durations, open_counters=1) == 0


def test_estimate_before_anyone_was_served_uses_the_default() -> None:
    assert rules.typical_service_seconds([]) == rules.DEFAULT_SERVICE_SECONDS
    assert rules.estimated_wait_minutes(ahead=3, recent_durations=[], open_counters=0) == 15


def test_only_the_recent_sample_counts() -> None:
    old_slow = [1200.0] * 30
    recent_fast = [60.0] * rules.RECENT_SAMPLE
    assert rules.typical_service_seconds(old_slow + recent_fast) == 60.0
