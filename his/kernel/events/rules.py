"""Pure rules of delivery."""

from __future__ import annotations

from datetime import timedelta

FIRST_RETRY = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=10)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after `attempts` failures in a row: 2 s, 4 s, 8 s ... at most 10 minutes."""
    if attempts < 1:
        return timedelta(0)
    wait: timedelta = FIRST_RETRY * (2 ** min(attempts - 1, 20))
    return min(wait, LONGEST_WAIT)
