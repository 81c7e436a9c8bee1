"""Time comes from a clock object so that rules about expiry and lockout are testable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests can move forward by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def vietnam_zone() -> tzinfo:
    """Viet Nam time: UTC+7 all year (no daylight saving since 1975), so a fixed offset is exact."""
    return timezone(timedelta(hours=7), "ICT")


def local_date(moment: datetime) -> date:
    """The calendar day in Viet Nam: queues, tickets and daily reports turn over at local midnight."""
    return moment.astimezone(vietnam_zone()).date()
