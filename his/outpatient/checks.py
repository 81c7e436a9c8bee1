"""The decision-support hook on prescribing: where a later CDSS module plugs its checks in.

A check is an async callable taking a `PrescriptionDraft` (the facts about the patient and the prescription
about to be signed) and answering a list of `CheckAlert`. Checks are registered on the outpatient plugin
(`OutpatientPlugin.prescription_checks`), one registry per application: `his/app.py`, the one file that knows
every module, wires a CDSS module's checks in. With no check registered, prescribing works and says nothing.

A `hard_stop` blocks signing unless the doctor overrides it with a reason; the override is stored on the
prescription and audited. Warnings and information are shown and kept with the prescription's audit record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

import msgspec

from his.kernel.errors import Conflict
from his.kernel.i18n import lazy

Severity = Literal["hard_stop", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("hard_stop", "warning", "info")
log = logging.getLogger("his.outpatient.checks")
MSG_CHECK_FAILED = lazy("A decision-support check failed; review this prescription yourself")


class PatientFacts(msgspec.Struct, frozen=True):
    patient_id: int
    sex: Literal["M", "F"]
    age_days: int | None  # None when only the birth year is known
    age_years: int | None
    weight_kg: Decimal | None
    pregnant: bool | None  # None: not recorded
    allergies: list[str] | None  # None: not known (no allergy record yet), [] known to have none


class DiagnosisFact(msgspec.Struct, frozen=True):
    code: str  # ICD-10
    is_main: bool


class DraftLine(msgspec.Struct, frozen=True):
    drug_code: str
    drug_name: str
    substances: list[str]
    route: str
    unit: str
    dose_per_time: Decimal
    times_per_day: int
    days: int
    quantity: int


class ActiveDrug(msgspec.Struct, frozen=True):
    """A drug of an earlier prescription of this patient whose days have not run out."""

    drug_code: str
    drug_name: str
    substances: list[str]
    prescription_code: str
    until: date


class PrescriptionDraft(msgspec.Struct, frozen=True):
    patient: PatientFacts
    diagnoses: list[DiagnosisFact]
    active_drugs: list[ActiveDrug]
    lines: list[DraftLine]
    on: date


class CheckAlert(msgspec.Struct, frozen=True):
    severity: Severity
    kind: str  # "interaction", "allergy", "dose", "duplicate_therapy", "contraindication", ...
    # For the doctor: an English msgid the application translates (a CDSS module ships its catalog) or text
    # already in the doctor's language; an unknown msgid is shown as it is.
    message: str
    source: str  # which check (and which knowledge base) says so
    key: str = ""  # stable identity of this alert, to which an override refers; default: kind
    # When `message` was filled in for storage (the hospital's language), the msgid and its values let a page
    # show the alert in the reader's language; values that are msgids themselves (drug class names) translate too.
    msgid: str = ""
    params: dict[str, str] = msgspec.field(default_factory=dict)

    @property
    def ref(self) -> str:
        return self.key or self.kind


class PrescriptionCheck(Protocol):
    async def __call__(self, draft: PrescriptionDraft, /) -> list[CheckAlert]: ...


class PrescriptionChecks:
    """The registered checks, in registration order. Built per application (no module-level state)."""

    def __init__(self) -> None:
        self._checks: dict[str, PrescriptionCheck] = {}

    def register(self, name: str, check: PrescriptionCheck) -> None:
        if name in self._checks:
            raise ValueError(f"prescription check {name} registered twice")
        self._checks[name] = check

    def __iter__(self) -> Iterator[tuple[str, PrescriptionCheck]]:
        return iter(list(self._checks.items()))

    def __len__(self) -> int:
        return len(self._checks)

    async def run(self, draft: PrescriptionDraft) -> list[CheckAlert]:
        """Every check's alerts, hard stops first. A check that fails says so as a warning instead of silently
        passing: the doctor must know that the prescription was not checked."""
        alerts: list[CheckAlert] = []
        for name, check in self:
            try:
                alerts.extend(await check(draft))
            except Exception:
                log.exception("prescription check failed", extra={"check": name})
                alerts.append(
                    CheckAlert(
                        severity="warning",
                        kind="check_failed",
                        message=MSG_CHECK_FAILED,
                        source=name,
                        key=f"check_failed:{name}",
                    )
                )
        return sorted(alerts, key=lambda alert: SEVERITIES.index(alert.severity))


def localized(
    alerts: Sequence[CheckAlert], gettext: Callable[[str, Mapping[str, str] | None], str]
) -> list[CheckAlert]:
    """The alerts in a reader's language (`gettext` bound to it): one filled in by its check is translated again from
    its msgid and values (values that are msgids themselves, drug class names, translate too), the others by their
    message."""

    def text(alert: CheckAlert) -> str:
        if alert.msgid:
            return gettext(alert.msgid, {name: gettext(value, None) for name, value in alert.params.items()})
        return gettext(alert.message, None)

    return [CheckAlert(a.severity, a.kind, text(a), a.source, a.key, a.msgid, a.params) for a in alerts]


class BlockedByChecks(Conflict):
    """Refused (409): decision support raised hard stops that carry no override reason. `message` is the caller's
    msgid with a {count} placeholder; `alerts` are all the alerts seen, `blocking` the hard stops without a reason."""

    def __init__(self, message: str, alerts: list[CheckAlert], blocking: list[CheckAlert]) -> None:
        super().__init__(message, count=len(blocking))
        self.alerts = alerts
        self.blocking = blocking


def unresolved_hard_stops(alerts: list[CheckAlert], overrides: dict[str, str]) -> list[CheckAlert]:
    """Hard stops with no override reason (blank reasons do not count)."""
    return [a for a in alerts if a.severity == "hard_stop" and not overrides.get(a.ref, "").strip()]
