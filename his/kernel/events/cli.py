"""`his events deliver` and `his events status`: the outbox from the command line."""

from __future__ import annotations

import asyncio
from typing import Any

import click


@click.group()
def events() -> None:
    """The event outbox."""


@events.command("deliver")
@click.option("--once", is_flag=True, help="Deliver what is pending now, then exit.")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls when idle.")
@click.pass_context
def deliver_cmd(ctx: click.Context, once: bool, interval: float) -> None:
    """Deliver outbox events to every module's handlers (any number of these may run at once)."""
    from his.cli import run_async, with_kernel
    from his.kernel.events.dispatcher import deliver_once, deliver_until_idle

    async def work(kernel: Any) -> int:
        if once:
            return await deliver_until_idle(kernel)
        total = 0
        while True:
            delivered = await deliver_once(kernel)
            total += delivered
            if not delivered:
                await asyncio.sleep(interval)

    delivered = run_async(lambda: with_kernel(ctx.obj, work))
    click.echo(f"{delivered} events delivered")


@events.command("status")
@click.pass_context
def status_cmd(ctx: click.Context) -> None:
    """Each consumer's position, pending events and last error."""
    from his.cli import run_async, with_kernel
    from his.kernel.events.dispatcher import consumer_states, ensure_cursors
    from his.kernel.events.outbox import handlers_of

    async def work(kernel: Any) -> Any:
        await ensure_cursors(kernel, handlers_of(kernel.modules))
        return await consumer_states(kernel)

    for state in run_async(lambda: with_kernel(ctx.obj, work)):
        line = f"{state.consumer}: at {state.position}, {state.pending} pending"
        if state.failing_event_id is not None:
            line += f", event {state.failing_event_id} failed {state.attempts}x: {state.last_error}"
        click.echo(line)
