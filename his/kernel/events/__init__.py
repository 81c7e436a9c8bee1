"""The kernel's event outbox: facts cross modules as events written in the writer's transaction and delivered,
in order and at least once, to idempotent handlers registered by modules (see docs/orders.md, "Events")."""

from his.kernel.events.outbox import EventHandler, OutboxEvent, decode, publish

__all__ = ["EventHandler", "OutboxEvent", "decode", "publish"]
