"""The kernel as a module: its routes, permissions and navigation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import KERNEL_PERMISSIONS


def _routes() -> Sequence[Any]:
    from his.kernel.http_admin import ADMIN_PAGE_HANDLERS
    from his.kernel.http_api import api_router
    from his.kernel.http_pages import PAGE_HANDLERS

    return [api_router(), *PAGE_HANDLERS, *ADMIN_PAGE_HANDLERS]


def _cli_commands() -> Sequence[Any]:
    from his.kernel.events.cli import events

    return [events]


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="kernel",
        package="his.kernel",
        route_handlers=_routes,
        permissions=KERNEL_PERMISSIONS,
        nav=(
            NavItem("Users", "/admin/users", "admin.users", group="admin"),
            NavItem("Roles", "/admin/roles", "admin.roles", group="admin"),
            NavItem("API tokens", "/admin/tokens", "admin.tokens", group="admin"),
            NavItem("Hospital", "/admin/hospital", "admin.config", group="admin"),
            NavItem("Audit history", "/audit", "audit.read", group="admin"),
        ),
        templates=True,
        static=True,
        cli_commands=_cli_commands,
    )
