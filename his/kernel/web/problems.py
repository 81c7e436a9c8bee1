"""Errors as RFC 9457 problem details (API) or a friendly page (browser), in the user's language."""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect

from his.kernel.errors import AuthenticationRequired, DomainError, InvalidInput, TooManyRequests
from his.kernel.runtime import Kernel
from his.kernel.web.context import SCOPE_KEY, RequestContext
from his.kernel.web.metrics import Metrics


def context_of(request: Request[Any, Any, Any]) -> RequestContext:
    """The request's context; for requests that matched no route, Litestar runs no middleware, so build one."""
    ctx = request.scope.get(SCOPE_KEY)  # type: ignore[misc]
    if isinstance(ctx, RequestContext):
        return ctx
    kernel: Kernel = request.app.state["kernel"]
    path = request.url.path
    wanted = request.query_params.get("lang") or request.cookies.get("his_lang")
    if wanted is None and path.startswith("/api/"):
        wanted = request.headers.get("accept-language")
    ctx = RequestContext(
        request_id=secrets.token_hex(8),
        client_ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
        locale=kernel.translator.resolve(wanted),
        is_api=path.startswith("/api/"),
        extra={"unrouted": True},
    )
    request.scope[SCOPE_KEY] = ctx  # type: ignore[literal-required]
    return ctx


PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("his.errors")


def _wants_html(request: Request[Any, Any, Any], ctx: RequestContext) -> bool:
    if ctx.is_api:
        return False
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def _respond(
    request: Request[Any, Any, Any], status: int, title: str, detail: str, extra: dict[str, Any] | None = None
) -> Response[Any]:
    ctx = context_of(request)
    kernel: Kernel = request.app.state["kernel"]
    tr = kernel.translator
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": tr.gettext(ctx.locale, title),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": ctx.request_id,
    }
    if extra:
        body.update(extra)
    headers: dict[str, str] = {"Content-Language": ctx.locale}
    if _wants_html(request, ctx):
        from his.kernel.web.render import default_hospital, render_page_with

        if request.headers.get("hx-request") == "true":
            html = f'<div class="problem" role="alert">{_escape(detail)}</div>'
            return Response(html, status_code=status, media_type=MediaType.HTML, headers=headers)
        response = render_page_with(request, "error.html", default_hospital(kernel), status_code=status, problem=body)
        response.headers.update(headers)
        return response
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    ctx = context_of(request)
    kernel: Kernel = request.app.state["kernel"]
    if isinstance(exc, AuthenticationRequired) and _wants_html(request, ctx):
        return Redirect(f"/login?next={quote(request.url.path)}")
    detail = kernel.translator.gettext(ctx.locale, exc.message, exc.params or None)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput) and exc.field:
        extra["errors"] = [{"field": exc.field, "message": detail}]
    response = _respond(request, exc.status_code, exc.title, detail, extra)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    ctx = context_of(request)
    kernel: Kernel = request.app.state["kernel"]
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append({"field": str(item.get("key") or ""), "message": str(item.get("message") or "")})
    detail = kernel.translator.gettext(ctx.locale, "The request is not valid: {reason}", {"reason": exc.detail})
    return _respond(request, 400, "Invalid input", detail, {"errors": errors})


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    ctx = context_of(request)
    kernel: Kernel = request.app.state["kernel"]
    titles = {404: "Not found", 405: "Method not allowed", 401: "Authentication required", 403: "Forbidden"}
    title = titles.get(exc.status_code, "Error")
    messages = {
        404: "There is nothing at this address",
        405: "This address does not accept this method",
    }
    detail = kernel.translator.gettext(ctx.locale, messages.get(exc.status_code, "The request could not be served"))
    if ctx.extra.get("unrouted"):
        # No route matched, so no middleware ran: count the answer here so that scans and broken links show up.
        metrics: Metrics = request.app.state["metrics"]
        metrics.observe(request.method, "unmatched", exc.status_code, 0.0, kernel.db)
    if exc.status_code >= 500:
        log.error("http error", extra={"request_id": ctx.request_id, "status": exc.status_code, "error": exc.detail})
    return _respond(request, exc.status_code, title, detail)


def unhandled_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    ctx = context_of(request)
    kernel: Kernel = request.app.state["kernel"]
    # Full detail goes to the log only; the user sees the request id to quote to IT.
    log.exception("unhandled error", extra={"request_id": ctx.request_id, "path": request.url.path})
    detail = kernel.translator.gettext(
        ctx.locale,
        "Something went wrong on our side. Quote request {request_id} to IT support.",
        {"request_id": ctx.request_id},
    )
    return _respond(request, 500, "Internal error", detail)
