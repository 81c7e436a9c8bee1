"""The claims module (criterion 36): finished visits mapped to BHYT claims (his.bhyt) and exported, signed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def _cli_commands() -> Sequence[Any]:
    from his.claims.cli import bhyt_export_group, claims

    return [claims, bhyt_export_group]


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="claims",
        package="his.claims",
        route_handlers=_routes,
        translations=True,
        cli_commands=_cli_commands,
    )
