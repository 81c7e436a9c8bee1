"""The per-request context every handler receives: who, from where, which language, which request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar.connection import ASGIConnection

from his.kernel.audit.service import AuditActor
from his.kernel.auth.service import Actor
from his.kernel.errors import AuthenticationRequired

SCOPE_KEY = "his_context"


@dataclass(slots=True)
class RequestContext:
    request_id: str
    client_ip: str | None
    user_agent: str | None
    locale: str
    is_api: bool
    actor: Actor | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def audit_actor(self) -> AuditActor:
        actor = self.actor
        return AuditActor(
            user_id=actor.user_id if actor else None,
            username=actor.username if actor else None,
            role=",".join(actor.roles) if actor else None,
            client_ip=self.client_ip,
            request_id=self.request_id,
        )

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise AuthenticationRequired("Please sign in")
        return self.actor


def context_of(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestContext:
    ctx = connection.scope.get(SCOPE_KEY)  # type: ignore[misc]
    if not isinstance(ctx, RequestContext):
        raise RuntimeError("request context middleware is not installed")
    return ctx
