"""Public, versioned events of the patient registry.

Published through the kernel's outbox (his.kernel.events) in the transaction that makes the fact. Modules
that keep patient ids (visits, orders, results, claims) register a handler: on `PatientMerged`, a consumer
re-points its rows from `source_id` to `target_id` (idempotently: a second delivery finds nothing left to move).
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class PatientMerged(msgspec.Struct, frozen=True, tag="patients.PatientMerged.v1"):
    """`source` was found to be the same person as `target` and now redirects to it."""

    merge_id: int
    source_id: int
    source_code: str
    target_id: int
    target_code: str
    merged_at: datetime
