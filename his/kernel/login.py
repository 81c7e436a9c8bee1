"""The login use case shared by the JSON API and the login page: throttle, verify, audit, open a session."""

from __future__ import annotations

from dataclasses import replace

from his.kernel.audit.service import AuditEntry, append_audit
from his.kernel.auth.service import LoginResult, hit_rate_limit, login, user_roles
from his.kernel.errors import AuthenticationRequired, TooManyRequests
from his.kernel.runtime import Kernel
from his.kernel.web.context import RequestContext


async def perform_login(kernel: Kernel, ctx: RequestContext, username: str, password: str) -> LoginResult:
    security = kernel.settings.security
    async with kernel.db.transaction() as session:
        retry_after = await hit_rate_limit(
            session,
            kernel.clock,
            bucket=f"login:{ctx.client_ip}",
            limit=security.login_attempts_per_minute,
            window_seconds=60,
        )
    if retry_after is not None:
        await kernel.audit(
            ctx.audit_actor(), AuditEntry(action="auth.login", outcome="throttled", detail=username[:64])
        )
        raise TooManyRequests(
            "Too many sign-in attempts; try again in {seconds} seconds",
            retry_after=retry_after,
            seconds=retry_after,
        )
    async with kernel.db.transaction() as session:
        result = await login(
            session,
            kernel.hasher,
            kernel.clock,
            security,
            username=username,
            password=password,
            client_ip=ctx.client_ip,
            user_agent=ctx.user_agent,
        )
        roles = await user_roles(session, result.user_id) if result.user_id is not None else []
        actor = replace(
            ctx.audit_actor(),
            user_id=result.user_id,
            username=username.strip().lower()[:64],
            role=",".join(roles) or None,
        )
        await append_audit(
            session,
            kernel.clock,
            actor,
            AuditEntry(action="auth.login", outcome="success" if result.outcome == "ok" else result.outcome),
        )
    if result.outcome == "locked":
        raise AuthenticationRequired(
            "This account is locked after repeated failed sign-ins; try again in {minutes} minutes",
            minutes=security.lockout_minutes,
        )
    if result.outcome != "ok":
        # One message for unknown user, wrong password and disabled account: no account enumeration.
        raise AuthenticationRequired("Wrong user name or password")
    return result
