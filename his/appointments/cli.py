"""`his appointments close-day --date D` (missed appointments of a past day become no-shows) and
`his appointments generate --from D --to D` (slots of the schedules). Meant for a nightly job."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta
from typing import Any

import click

from his.cli import console, run_async, with_kernel
from his.kernel.audit.service import AuditActor
from his.kernel.clock import local_date


def _cli_actor() -> AuditActor:
    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


@click.group("appointments")
def appointments() -> None:
    """Appointments: slots from the schedules, and no-shows after the day."""


@appointments.command("close-day")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD (default: yesterday)")
@click.pass_context
def close_day(ctx: click.Context, day: datetime | None) -> None:
    """Every appointment of DATE still booked (the patient did not come) becomes a no-show."""
    from his.appointments import service

    settings = ctx.find_root().obj

    async def work(kernel: Any) -> tuple[Any, int]:
        on = day.date() if day else local_date(kernel.clock.now()) - timedelta(days=1)
        async with kernel.db.transaction() as session:
            return on, await service.close_day(session, kernel.clock, _cli_actor(), on)

    on, count = run_async(lambda: with_kernel(settings, work))
    console.print(f"{on.isoformat()}: {count} no-shows")


@appointments.command("generate")
@click.option("--from", "first", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--to", "last", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.pass_context
def generate(ctx: click.Context, first: datetime, last: datetime) -> None:
    """The slots of every active schedule for the days FROM..TO (both included); existing slots are kept."""
    from his.appointments import service

    settings = ctx.find_root().obj

    async def work(kernel: Any) -> Any:
        async with kernel.db.transaction() as session:
            return await service.generate_slots(
                session, kernel.clock, _cli_actor(), first=first.date(), last=last.date()
            )

    done = run_async(lambda: with_kernel(settings, work))
    console.print(f"{done.created} slots created, {done.already_there} already there, {done.closed_days} closed")
