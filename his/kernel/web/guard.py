"""Deny by default: every route declares `public` or a `permission` in its opt; CSRF for cookie sessions."""

from __future__ import annotations

import hmac
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from his.kernel.audit.service import AuditEntry
from his.kernel.errors import AuthenticationRequired, PermissionDenied, TooManyRequests
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of

AUTHENTICATED = "authenticated"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public() -> dict[str, Any]:
    return {"public": True}


def requires(permission: str, *, reads_patient: str | None = None, object_type: str = "patient") -> dict[str, Any]:
    """Route options. `reads_patient` names the path parameter holding a patient id: every granted request to
    such a route is audited as a read of that patient's data before the handler runs (criterion 116)."""
    opts: dict[str, Any] = {"permission": permission}
    if reads_patient:
        opts["reads_patient"] = (object_type, reads_patient)
    return opts


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    ctx = context_of(connection)
    kernel: Kernel = connection.app.state["kernel"]
    retry_after = ctx.extra.get("rate_limited")
    if retry_after is not None:
        raise TooManyRequests(
            "Too many requests; try again in {seconds} seconds", retry_after=retry_after, seconds=retry_after
        )
    if handler.opt.get("public"):
        return
    actor = ctx.actor
    if actor is None:
        raise AuthenticationRequired("Please sign in")
    permission = handler.opt.get("permission")
    if permission is None or (permission != AUTHENTICATED and not actor.can(permission)):
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action="access.denied",
                outcome="denied",
                object_type="route",
                object_id=connection.scope["path"][:64],
                detail=f"needs {permission or 'an undeclared permission'}",
            ),
        )
        raise PermissionDenied("You do not have permission to do this")
    if connection.scope.get("method", "GET") not in SAFE_METHODS and actor.session_id is not None:
        await _check_csrf(connection, actor.csrf_token or "")
    reads = handler.opt.get("reads_patient")
    if reads:
        # Audited before any data leaves: if the audit cannot be written, the read does not happen.
        object_type, parameter = reads
        patient_id = str(connection.path_params.get(parameter, ""))[:64]
        await kernel.audit(
            ctx.audit_actor(),
            AuditEntry(
                action=f"{object_type}.read",
                outcome="allowed",
                object_type=object_type,
                object_id=patient_id,
                patient_id=patient_id,
                detail=connection.scope["path"][:200],
            ),
        )


async def _check_csrf(connection: ASGIConnection[Any, Any, Any, Any], expected: str) -> None:
    supplied = connection.headers.get(CSRF_HEADER)
    if not supplied:
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await connection.form()  # type: ignore[attr-defined]
            value = form.get(CSRF_FIELD)
            supplied = value if isinstance(value, str) else None
    if not supplied or not hmac.compare_digest(supplied, expected):
        raise PermissionDenied("The form has expired or did not come from this site; reload the page and try again")
