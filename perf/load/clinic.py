"""What passes between desks: the patient carries a ticket from reception to the cashier and a prescription from
the doctor to the pharmacy. Virtual users of one Locust process share one Clinic (gevent switches only at I/O, so
plain deques need no lock); with `--processes` each process has its own, which is as good for load."""

from __future__ import annotations

import functools
import itertools
from collections import deque
from dataclasses import dataclass, field

HANDOFF_LIMIT = 2_000  # a run that outpaces the next desk forgets the oldest tickets rather than grow


@dataclass(frozen=True, slots=True)
class ExamService:
    code: str
    name: str
    hospital_price: int
    bhyt_price: int | None


@dataclass(frozen=True, slots=True)
class Ticket:
    """A registered visit, for the cashier."""

    visit_id: int
    visit_code: str
    patient_id: int
    day: str  # the ticket's day, ISO
    route: str
    card_number: str | None
    benefit_level: int | None
    service: ExamService


@dataclass(frozen=True, slots=True)
class Prescribed:
    """A signed prescription, for the pharmacist."""

    code: str
    patient_id: int
    lines: tuple[tuple[str, int], ...]  # (drug code, quantity in dispensing units)


@dataclass(slots=True)
class Clinic:
    staffed_rooms: list[str] = field(default_factory=list)  # rooms a doctor works in, in order of opening
    to_cashier: deque[Ticket] = field(default_factory=lambda: deque(maxlen=HANDOFF_LIMIT))
    to_pharmacy: deque[Prescribed] = field(default_factory=lambda: deque(maxlen=HANDOFF_LIMIT))
    _workstations: itertools.count[int] = field(default_factory=itertools.count)

    def workstation(self) -> str:
        """The address of a new virtual user's computer (sent as X-Forwarded-For, which the server trusts from
        127.0.0.1): per-address limits such as sign-in attempts then apply per workstation, as in a hospital."""
        number = next(self._workstations)
        return f"10.54.{number // 250}.{number % 250 + 1}"

    def open_room(self, rooms: list[str]) -> str:
        """The room a new doctor takes: the first one nobody works in yet, else the least staffed."""
        free = [room for room in rooms if room not in self.staffed_rooms]
        room = free[0] if free else min(rooms, key=self.staffed_rooms.count)
        self.staffed_rooms.append(room)
        return room


@functools.cache
def clinic() -> Clinic:
    """The clinic of this Locust process, made at the first call (not at import)."""
    return Clinic()
