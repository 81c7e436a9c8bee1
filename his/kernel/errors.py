"""Domain errors carry a translatable message and an HTTP status; the web layer renders them as RFC 9457."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status_code: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, message: str, /, **params: Any) -> None:
        # `message` is an English gettext msgid with {named} placeholders; translated at the edge.
        super().__init__(message.format(**params) if params else message)
        self.message = message
        self.params = params
        self.field_errors: list[dict[str, str]] = []


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"

    def __init__(self, message: str, /, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)
        self.field = field


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class AuthenticationRequired(DomainError):
    status_code = 401
    title = "Authentication required"


class PermissionDenied(DomainError):
    status_code = 403
    title = "Forbidden"


class TooManyRequests(DomainError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, /, *, retry_after: int, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_after = retry_after
