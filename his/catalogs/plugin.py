"""The shared catalogs module (criterion 31): routes, permissions, navigation, CLI, demo data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin, NavItem
from his.kernel.permissions import ROLE_CODES, PermissionDef

CATALOG_PERMISSIONS = (
    PermissionDef("catalog.read", "Look up the shared catalogs (ICD-10, services, drugs, ...)", ROLE_CODES),
    PermissionDef("catalog.write", "Import catalog files", ("admin",)),
)


def _routes() -> Sequence[Any]:
    from his.catalogs.http import catalog_api_router, catalog_page_handlers

    return [catalog_api_router(), *catalog_page_handlers()]


def _cli_commands() -> Sequence[Any]:
    from his.catalogs.cli import catalog

    return [catalog]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.catalogs.demo import seed_catalogs

    await seed_catalogs(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="catalogs",
        package="his.catalogs",
        route_handlers=_routes,
        permissions=CATALOG_PERMISSIONS,
        nav=(NavItem("Catalogs", "/catalogs", "catalog.read"),),
        templates=True,
        translations=True,
        cli_commands=_cli_commands,
        demo_seed=_demo_seed,
    )
