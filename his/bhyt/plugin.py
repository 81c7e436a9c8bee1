"""The BHYT module (criterion 36): claims XML per QĐ 130/QĐ 4750, built, signed and validated; CLI only for now."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from his.kernel.modules import ModulePlugin


def _routes() -> Sequence[Any]:
    return []


def _cli_commands() -> Sequence[Any]:
    from his.bhyt.cli import bhyt

    return [bhyt]


async def _demo_seed(kernel: Any, rng: Any) -> None:
    from his.bhyt.demo import seed

    await seed(kernel, rng)


def plugin() -> ModulePlugin:
    return ModulePlugin(
        name="bhyt",
        package="his.bhyt",
        route_handlers=_routes,
        translations=True,
        cli_commands=_cli_commands,
        demo_seed=_demo_seed,
    )
