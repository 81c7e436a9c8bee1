"""ASGI middleware: request id, language, identity (cookie session or bearer token), rate limit, metrics."""

from __future__ import annotations

import logging
import re
import secrets
import time
from typing import Any

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

from his.kernel.auth.service import hit_rate_limit, resolve_api_token, resolve_session
from his.kernel.runtime import Kernel
from his.kernel.web.context import SCOPE_KEY, RequestContext
from his.kernel.web.metrics import Metrics

SESSION_COOKIE = "his_session"
LANG_COOKIE = "his_lang"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_NO_IDENTITY_PREFIXES = ("/static/", "/health/", "/favicon")

log = logging.getLogger("his.http")


def _cookies(headers: Headers) -> dict[str, str]:
    jar: dict[str, str] = {}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            jar[name] = value
    return jar


def _query_lang(scope: Scope) -> str | None:
    query = scope.get("query_string", b"").decode("latin-1")
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "lang" and value:
            return value
    return None


def request_context_middleware(kernel: Kernel, metrics: Metrics) -> Any:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            await _handle(kernel, metrics, app, scope, receive, send)  # type: ignore[arg-type]

        return middleware

    return factory


async def _handle(
    kernel: Kernel, metrics: Metrics, app: ASGIApp, scope: HTTPScope, receive: Receive, send: Send
) -> None:
    started = time.perf_counter()
    headers = Headers.from_scope(scope)
    incoming_id = headers.get("x-request-id", "")
    request_id = incoming_id if _REQUEST_ID_OK.match(incoming_id) else secrets.token_hex(8)
    path: str = scope["path"]
    is_api = path.startswith("/api/")
    cookies = _cookies(headers)
    wanted_lang = _query_lang(scope) or cookies.get(LANG_COOKIE)
    if wanted_lang is None and is_api:
        wanted_lang = headers.get("accept-language")
    client = scope.get("client")
    ctx = RequestContext(
        request_id=request_id,
        client_ip=client[0] if client else None,
        user_agent=headers.get("user-agent"),
        locale=kernel.translator.resolve(wanted_lang),
        is_api=is_api,
    )
    scope[SCOPE_KEY] = ctx  # type: ignore[literal-required]
    status_holder = {"status": 500}

    async def send_wrapper(message: Message) -> None:
        if message["type"] == "http.response.start":
            status_holder["status"] = message["status"]
            extra = [(b"x-request-id", request_id.encode())]
            message["headers"] = list(message.get("headers", [])) + extra
        await send(message)

    try:
        if not path.startswith(_NO_IDENTITY_PREFIXES):
            retry_after = await _identify(kernel, ctx, headers, cookies)
            if retry_after is not None:
                ctx.extra["rate_limited"] = retry_after
        await app(scope, receive, send_wrapper)
    finally:
        elapsed = time.perf_counter() - started
        route = str(scope.get("path_template") or ("/static" if path.startswith("/static/") else "unmatched"))
        metrics.observe(scope["method"], route, status_holder["status"], elapsed, kernel.db)
        log.info(
            "request",
            extra={
                "request_id": request_id,
                "method": scope["method"],
                "path": path,
                "status": status_holder["status"],
                "duration_ms": round(elapsed * 1000, 2),
                "user": ctx.actor.username if ctx.actor else None,
            },
        )


async def _identify(kernel: Kernel, ctx: RequestContext, headers: Headers, cookies: dict[str, str]) -> int | None:
    """Sets ctx.actor; returns seconds to wait when the caller is over the API rate limit."""
    authorization = headers.get("authorization", "")
    security = kernel.settings.security
    async with kernel.db.transaction() as session:
        if authorization.lower().startswith("bearer "):
            ctx.actor = await resolve_api_token(session, kernel.clock, authorization[7:].strip())
            ctx.extra["auth"] = "token"
        elif SESSION_COOKIE in cookies:
            ctx.actor = await resolve_session(session, kernel.clock, security, cookies[SESSION_COOKIE])
            ctx.extra["auth"] = "session"
        if ctx.is_api:
            who = f"user:{ctx.actor.user_id}" if ctx.actor else f"ip:{ctx.client_ip}"
            return await hit_rate_limit(
                session,
                kernel.clock,
                bucket=f"api:{who}",
                limit=security.api_requests_per_minute,
                window_seconds=60,
            )
    return None
