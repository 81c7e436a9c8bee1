"""Writing and verifying the audit trail. Every module audits through `append_audit`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.audit.chain import GENESIS_HASH, AuditFields, ChainBreak, ChainVerifier, record_hash
from his.kernel.audit.models import AuditRecord
from his.kernel.clock import Clock

# Any constant works; it only has to be the same in every worker.
_AUDIT_LOCK_KEY = 5_402_017


@dataclass(frozen=True, slots=True)
class AuditActor:
    user_id: int | None
    username: str | None
    role: str | None
    client_ip: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    action: str
    outcome: str = "success"
    object_type: str | None = None
    object_id: str | None = None
    patient_id: str | None = None
    detail: str | None = None


async def append_audit(session: AsyncSession, clock: Clock, actor: AuditActor, entry: AuditEntry) -> int:
    """Appends one record in the caller's transaction; returns its id."""
    if session.get_bind().dialect.name == "postgresql":
        # Serialises appenders until commit so that the chain has one head and ids no gaps.
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_LOCK_KEY})
    last = (
        await session.execute(select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    ).first()
    next_id = 1 if last is None else last[0] + 1
    prev_hash = GENESIS_HASH if last is None else last[1]
    fields = AuditFields(
        id=next_id,
        # Stored as UTC: hashing the same instant in another zone would not verify when read back.
        at=clock.now().astimezone(UTC),
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        patient_id=entry.patient_id,
        client_ip=actor.client_ip,
        request_id=actor.request_id,
        outcome=entry.outcome,
        detail=entry.detail,
    )
    session.add(
        AuditRecord(
            id=fields.id,
            at=fields.at,
            user_id=fields.user_id,
            username=fields.username,
            role=fields.role,
            action=fields.action,
            object_type=fields.object_type,
            object_id=fields.object_id,
            patient_id=fields.patient_id,
            client_ip=fields.client_ip,
            request_id=fields.request_id,
            outcome=fields.outcome,
            detail=fields.detail,
            prev_hash=prev_hash,
            hash=record_hash(prev_hash, fields),
        )
    )
    await session.flush()
    return next_id


def _fields_of(row: AuditRecord) -> AuditFields:
    return AuditFields(
        id=row.id,
        at=row.at,
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        patient_id=row.patient_id,
        client_ip=row.client_ip,
        request_id=row.request_id,
        outcome=row.outcome,
        detail=row.detail,
    )


async def _stream(session: AsyncSession) -> AsyncIterator[tuple[AuditFields, str, str]]:
    result = await session.stream_scalars(
        select(AuditRecord).order_by(AuditRecord.id).execution_options(yield_per=2000)
    )
    async for row in result:
        yield _fields_of(row), row.prev_hash, row.hash


async def verify_audit_chain(
    session: AsyncSession, anchor: tuple[int, str] | None = None
) -> tuple[int, ChainBreak | None]:
    """Returns (records checked, first break or None).

    `anchor` is a (record id, hash) pair kept outside the database (see `his audit head`): the chain must still
    reach that record with that hash, which exposes deletion of the newest records too.
    """
    verifier = ChainVerifier()
    async for fields, prev_hash, stored_hash in _stream(session):
        broken = verifier.feed(fields, prev_hash, stored_hash)
        if broken is not None:
            return verifier.checked, broken
        if anchor is not None and fields.id == anchor[0] and stored_hash != anchor[1]:
            return verifier.checked, ChainBreak(fields.id, "anchor_mismatch")
    if anchor is not None and verifier.checked < anchor[0]:
        return verifier.checked, ChainBreak(verifier.checked + 1, "truncated")
    return verifier.checked, None


async def audit_head(session: AsyncSession) -> tuple[int, str]:
    """The newest record's id and hash (0 and the genesis hash for an empty trail)."""
    last = (
        await session.execute(select(AuditRecord.id, AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))
    ).first()
    return (0, GENESIS_HASH) if last is None else (int(last[0]), str(last[1]))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    username: str | None = None
    patient_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[AuditRecord], flt: AuditFilter) -> Select[AuditRecord]:
    if flt.username:
        query = query.where(AuditRecord.username == flt.username)
    if flt.patient_id:
        query = query.where(AuditRecord.patient_id == flt.patient_id)
    if flt.action:
        query = query.where(AuditRecord.action.startswith(flt.action))
    if flt.since:
        query = query.where(AuditRecord.at >= flt.since)
    if flt.until:
        query = query.where(AuditRecord.at < flt.until)
    return query


async def search_audit(
    session: AsyncSession, flt: AuditFilter, *, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    base = _filtered(select(AuditRecord), flt)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (await session.scalars(base.order_by(AuditRecord.id.desc()).limit(limit).offset(offset))).all()
    return list(rows), total
