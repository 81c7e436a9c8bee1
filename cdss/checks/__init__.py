"""The checks of decision support, pure functions of the compiled knowledge and a check request.

`pairs` (interaction, duplicate therapy, allergy) runs on the interaction kernel; `dose` (dose range, renal
adjustment, age) and `patient` (drug–diagnosis, pregnancy and lactation) walk the knowledge tables directly.
"""

from __future__ import annotations

from cdss.checks.common import Resolved, resolve, sort_alerts
from cdss.checks.dose import dose_alerts
from cdss.checks.pairs import pair_alerts, screen_alerts
from cdss.checks.patient import diagnosis_alerts, pregnancy_alerts

__all__ = [
    "Resolved",
    "diagnosis_alerts",
    "dose_alerts",
    "pair_alerts",
    "pregnancy_alerts",
    "resolve",
    "screen_alerts",
    "sort_alerts",
]
