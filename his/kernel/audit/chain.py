"""Pure hash-chain rules: how a record's hash is computed and where a chain first breaks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditFields:
    id: int
    at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    patient_id: str | None
    client_ip: str | None
    request_id: str | None
    outcome: str
    detail: str | None


def record_hash(prev_hash: str, fields: AuditFields) -> str:
    payload = {
        "id": fields.id,
        "at": fields.at.isoformat(timespec="microseconds"),
        "user_id": fields.user_id,
        "username": fields.username,
        "role": fields.role,
        "action": fields.action,
        "object_type": fields.object_type,
        "object_id": fields.object_id,
        "patient_id": fields.patient_id,
        "client_ip": fields.client_ip,
        "request_id": fields.request_id,
        "outcome": fields.outcome,
        "detail": fields.detail,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainBreak:
    record_id: int
    reason: str  # "changed", "deleted_before", "relinked"


class ChainVerifier:
    """Checks records one at a time, in id order, so that a long trail needs no memory."""

    def __init__(self) -> None:
        self.expected_prev = GENESIS_HASH
        self.expected_id = 1
        self.checked = 0

    def feed(self, fields: AuditFields, prev_hash: str, stored_hash: str) -> ChainBreak | None:
        # Ids are assigned consecutively from 1 under the append lock, so a gap means a deletion.
        if fields.id != self.expected_id:
            return ChainBreak(fields.id, "deleted_before")
        if prev_hash != self.expected_prev:
            return ChainBreak(fields.id, "relinked")
        if record_hash(prev_hash, fields) != stored_hash:
            return ChainBreak(fields.id, "changed")
        self.expected_prev = stored_hash
        self.expected_id += 1
        self.checked += 1
        return None


def find_first_break(rows: Iterable[tuple[AuditFields, str, str]]) -> ChainBreak | None:
    """rows: (fields, prev_hash, hash) in id order."""
    verifier = ChainVerifier()
    for fields, prev_hash, stored_hash in rows:
        broken = verifier.feed(fields, prev_hash, stored_hash)
        if broken is not None:
            return broken
    return None
