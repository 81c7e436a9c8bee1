"""`his orders load-definitions`: order sets and analytes from a JSON file (default: the packaged demo set)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import click
import msgspec

from his.orders.schemas import DefinitionsIn


def packaged_definitions() -> DefinitionsIn:
    raw = (resources.files("his.orders") / "data" / "definitions.json").read_bytes()
    return msgspec.json.decode(raw, type=DefinitionsIn)


@click.group()
def orders() -> None:
    """Orders and results."""


@orders.command("load-definitions")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def load_definitions_cmd(ctx: click.Context, path: Path | None) -> None:
    """Create or replace order sets and analytes (reference ranges) from PATH (JSON, see docs/orders.md)."""
    from his.cli import _cli_actor, run_async, with_kernel
    from his.orders import service

    try:
        data = msgspec.json.decode(path.read_bytes(), type=DefinitionsIn) if path else packaged_definitions()
    except msgspec.DecodeError as error:
        raise click.ClickException(f"{path}: {error}") from error

    async def work(kernel: Any) -> tuple[int, int]:
        async with kernel.db.transaction() as session:
            return await service.load_definitions(kernel, session, _cli_actor(), data)

    panels, analytes = run_async(lambda: with_kernel(ctx.obj, work))
    click.echo(f"{panels} order sets, {analytes} analytes loaded")
