"""`his billing policy import|list`: the BHYT coverage policy table from the command line."""

from __future__ import annotations

import getpass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from his.cli import console, run_async, with_kernel
from his.kernel.audit.service import AuditActor


def _cli_actor() -> AuditActor:
    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


@click.group("billing")
def billing() -> None:
    """Hospital fees and BHYT coverage."""


@billing.group("policy")
def policy() -> None:
    """The versioned BHYT coverage policy (rules with legal sources and effective dates)."""


@policy.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, file: Path | None) -> None:
    """Import FILE (CSV: rule_key,value,unit,effective_from,effective_to,source,note); default: the packaged one.

    New versions are added and changed ones updated; nothing is deleted. All or nothing.
    """
    from his.billing import rules, service

    source = file or service.packaged_policy_path()
    text = source.read_text(encoding="utf-8")

    async def work(kernel: Any) -> service.PolicyImportReport:
        async with kernel.db.transaction() as session:
            return await service.import_policy(kernel, session, _cli_actor(), text=text, source_name=source.name)

    try:
        report = run_async(lambda: with_kernel(click.get_current_context().find_root().obj, work))
    except rules.PolicyFileError as rejected:
        for problem in rejected.problems:
            where = f"line {problem.line}" if problem.line else "file"
            console.print(f"[red]{where}[/red]: {problem.message.format(**problem.params)}", highlight=False)
        raise click.ClickException(f"{source.name}: nothing imported") from None
    console.print(
        f"[green]BHYT policy[/green] {source.name}: {report.rows} rules read, {report.added} added, "
        f"{report.changed} changed, {report.unchanged} unchanged",
        highlight=False,
    )


@policy.command("list")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Day (default: today).")
@click.option("--all", "show_all", is_flag=True, help="Every stored version, not only those in force.")
@click.pass_context
def list_command(ctx: click.Context, on: datetime | None, show_all: bool) -> None:
    """Print the rules in force on a day: key, value, unit, period, legal source."""
    from his.billing import api, service

    async def work(kernel: Any) -> tuple[date, list[Any]]:
        day = on.date() if on is not None else service.today(kernel.clock)
        async with kernel.db.transaction() as session:
            return day, await api.policy_rules(session, on=None if show_all else day)

    day, found = run_async(lambda: with_kernel(ctx.find_root().obj, work))
    if not show_all:
        click.echo(f"# BHYT policy in force on {day.isoformat()}")
    for rule in found:
        period = f"{rule.effective_from.isoformat()}..{rule.effective_to.isoformat() if rule.effective_to else ''}"
        click.echo(f"{rule.rule_key:<40}{rule.value:>10} {rule.unit:<8} {period:<24} {rule.source}")
