"""Kernel pages: sign-in, home, language switch, logo, health and metrics."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect
from sqlalchemy import text

from his.kernel.audit.service import AuditEntry
from his.kernel.auth import service as auth
from his.kernel.errors import AuthenticationRequired, TooManyRequests
from his.kernel.hospital import get_logo
from his.kernel.http_api import session_cookie
from his.kernel.login import perform_login
from his.kernel.runtime import Kernel
from his.kernel.web.context import context_of
from his.kernel.web.guard import AUTHENTICATED, public, requires
from his.kernel.web.metrics import Metrics
from his.kernel.web.middleware import LANG_COOKIE
from his.kernel.web.render import render_page


def safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect after sign-in would help phishing."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@get("/login", opt=public(), include_in_schema=False)
async def login_page(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Response[str]:
    return await render_page(request, "login.html", next=safe_next(next), error=None)


@post("/login", opt=public(), include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
    kernel: Kernel = request.app.state["kernel"]
    ctx = context_of(request)
    target = safe_next(data.get("next"))
    try:
        result = await perform_login(kernel, ctx, data.get("username", ""), data.get("password", ""))
    except (AuthenticationRequired, TooManyRequests) as refused:
        message = kernel.translator.gettext(ctx.locale, refused.message, refused.params or None)
        status = refused.status_code
        return await render_page(
            request,
            "login.html",
            status_code=status,
            next=target,
            error=message,
            username=data.get("username", ""),
        )
    assert result.session_token is not None
    return Redirect(target, cookies=[session_cookie(kernel, result.session_token)])


@post("/logout", opt=requires(AUTHENTICATED), include_in_schema=False)
async def logout_submit(request: Request[Any, Any, Any], data: URLEncodedBody[dict[str, str]]) -> Response[Any]:
    kernel: Kernel = request.app.state["kernel"]
    ctx = context_of(request)
    actor = ctx.require_actor()
    everywhere = data.get("everywhere") == "1"
    async with kernel.db.transaction() as session:
        if everywhere:
            await auth.revoke_all_sessions(session, kernel.clock, actor.user_id)
        elif actor.session_id is not None:
            await auth.logout(session, kernel.clock, actor.session_id)
        await kernel.audit(
            ctx.audit_actor(), AuditEntry(action="auth.logout_all" if everywhere else "auth.logout"), session
        )
    return Redirect("/login", cookies=[session_cookie(kernel, "", expire=True)])


@get("/", opt=requires(AUTHENTICATED), include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Response[str]:
    return await render_page(request, "home.html")


@get("/lang/{code:str}", opt=public(), include_in_schema=False)
async def switch_language(
    request: Request[Any, Any, Any], code: FromPath[str], next: FromQuery[str | None] = None
) -> Response[Any]:
    kernel: Kernel = request.app.state["kernel"]
    locale = kernel.translator.resolve(code)
    cookie = Cookie(key=LANG_COOKIE, value=locale, samesite="lax", path="/", max_age=365 * 86400, httponly=True)
    return Redirect(safe_next(next or request.headers.get("referer-path")), cookies=[cookie])


@get("/hospital/logo", opt=public(), include_in_schema=False)
async def hospital_logo(request: Request[Any, Any, Any]) -> Response[bytes]:
    kernel: Kernel = request.app.state["kernel"]
    async with kernel.db.transaction() as session:
        logo = await get_logo(session)
    if logo is None:
        return Response(b"", status_code=404)
    content, content_type = logo
    return Response(content, media_type=content_type, headers={"Cache-Control": "max-age=300"})


@get("/health/live", opt=public(), tags=["operations"], summary="Liveness: the process answers")
async def health_live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", opt=public(), tags=["operations"], summary="Readiness: the database answers")
async def health_ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    kernel: Kernel = request.app.state["kernel"]
    try:
        async with kernel.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return Response({"status": "unavailable", "database": "down"}, status_code=503)
    return Response({"status": "ok", "database": kernel.db.dialect})


@get(
    "/metrics",
    opt=requires("system.monitor"),
    media_type=MediaType.TEXT,
    tags=["operations"],
    summary="Prometheus metrics (needs an API token with system.monitor)",
)
async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
    kernel: Kernel = request.app.state["kernel"]
    metrics: Metrics = request.app.state["metrics"]
    return Response(metrics.render(kernel.db), media_type="text/plain; version=0.0.4; charset=utf-8")


PAGE_HANDLERS = (
    login_page,
    login_submit,
    logout_submit,
    home,
    switch_language,
    hospital_logo,
    health_live,
    health_ready,
    metrics_endpoint,
)
