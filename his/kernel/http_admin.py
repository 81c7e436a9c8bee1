"""Administration pages (users, roles, tokens, hospital configuration) and the audit history page."""

from __future__ import annotations

ADMIN_PAGE_HANDLERS: tuple[object, ...] = ()
