"""Security headers on every response (criterion 114: output control)."""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from his.settings import Settings

# Pages and answers with personal data must not be kept by browsers or proxies.
_NO_STORE = ("/api/", "/admin", "/audit", "/login")

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def security_headers_middleware(settings: Settings) -> Any:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if settings.security.cookie_secure:
        headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            # The Swagger page loads its own scripts; every other page is held to a strict policy.
            csp = [] if scope["path"].startswith("/schema") else [(b"content-security-policy", _CSP.encode())]

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    extra = [(b"cache-control", b"no-store")] if scope["path"].startswith(_NO_STORE) else []
                    message["headers"] = [*message.get("headers", []), *headers, *csp, *extra]
                await send(message)

            await app(scope, receive, send_with_headers)

        return middleware

    return factory
