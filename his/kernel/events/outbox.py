"""Publishing into the outbox inside the writer's transaction, and the shapes handlers receive."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from his.kernel.events.models import OutboxRecord

if TYPE_CHECKING:
    from his.kernel.runtime import Kernel

# Held to the end of the publishing transaction on PostgreSQL: ids are then handed out in commit order, so a
# consumer cursor that passed id N never meets a smaller id committed later. (SQLite: BEGIN IMMEDIATE already
# serialises writers.)
_PUBLISH_LOCK_KEY = 0x4F7574626F78  # "Outbox"
_TAG = re.compile(r"^(?P<topic>[a-z_]+)\.(?P<name>[A-Za-z]+)\.v(?P<version>[1-9][0-9]*)$")

E = TypeVar("E", bound=msgspec.Struct)


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """One event as a handler receives it; `decode(event, TheStruct)` gives the typed event."""

    id: int
    topic: str
    event_type: str  # "orders.OrderPlaced"
    version: int
    payload: str  # JSON
    created_at: datetime


Handle = Callable[["Kernel", AsyncSession, OutboxEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class EventHandler:
    """A consumer of events, registered by a module (ModulePlugin.event_handlers).

    `name` identifies its delivery cursor: keep it stable ("billing.order_charges"). The handler runs inside the
    transaction that advances its cursor, so its own database writes and the delivery commit together; effects
    outside the database (an HL7 message) may happen twice after a crash, so handlers must be idempotent.
    """

    name: str
    event_types: Sequence[str]  # "orders.OrderPlaced"; every version of the type is delivered
    handle: Handle


def event_type_of(event: msgspec.Struct) -> tuple[str, str, int]:
    """(topic, event type, version) from the Struct's tag "<topic>.<Name>.v<N>"."""
    tag = type(event).__struct_config__.tag
    match = _TAG.match(tag) if isinstance(tag, str) else None
    if match is None:
        raise TypeError(f"{type(event).__name__} needs a tag like 'orders.OrderPlaced.v1' to be published")
    topic = match["topic"]
    return topic, f"{topic}.{match['name']}", int(match["version"])


async def publish(session: AsyncSession, event: msgspec.Struct, *, at: datetime | None = None) -> int:
    """Writes `event` to the outbox in the caller's transaction (it leaves only if that commits); returns its id."""
    topic, event_type, version = event_type_of(event)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUBLISH_LOCK_KEY})
    record = OutboxRecord(
        topic=topic,
        event_type=event_type,
        version=version,
        payload=msgspec.json.encode(event).decode(),
        created_at=at or datetime.now(UTC),
    )
    session.add(record)
    await session.flush()
    return record.id


def decode(event: OutboxEvent, kind: type[E]) -> E:
    """The typed event; a handler written for version N decodes later versions that only added fields."""
    return msgspec.json.decode(event.payload, type=kind)


def as_event(record: OutboxRecord) -> OutboxEvent:
    return OutboxEvent(
        id=record.id,
        topic=record.topic,
        event_type=record.event_type,
        version=record.version,
        payload=record.payload,
        created_at=record.created_at,
    )


def handlers_of(modules: Sequence[Any]) -> list[EventHandler]:
    """Every module's registered handlers; names must be unique (each owns a cursor)."""
    found: list[EventHandler] = []
    for module in modules:
        found.extend(module.event_handlers())
    names = [h.name for h in found]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"event handler names used twice: {duplicated}")
    return found
