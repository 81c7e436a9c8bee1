"""`his cdss check|screen`: the engine's check from the command line, and the whole-hospital screening."""

from __future__ import annotations

import getpass
from typing import Any

import click

from his.cli import run_async, with_kernel
from his.kernel.audit.service import AuditActor


def _cli_actor() -> AuditActor:
    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


def _settings(ctx: click.Context) -> Any:
    return ctx.find_root().obj


@click.group("cdss")
def cdss() -> None:
    """Clinical decision support: check prescriptions, screen the hospital."""


def _engine_check() -> click.Command | None:
    """The pure engine's `check` command (cdss.command), when the engine ships it."""
    try:
        from cdss.command import check
    except ImportError:  # pragma: no cover - the engine without its command line
        return None
    return check if isinstance(check, click.Command) else None


@cdss.command("screen")
@click.option("--quiet", is_flag=True, help="Print only the summary line.")
@click.pass_context
def screen(ctx: click.Context, quiet: bool) -> None:
    """Screen every patient's active medication list with the current knowledge and store the run."""
    from his.decision import api, service

    async def work(kernel: Any) -> tuple[Any, list[Any]]:
        state = api.state_of(kernel)
        async with kernel.db.transaction() as session:
            await service.run_screening(session, kernel.clock, _cli_actor(), state.engine, trigger="command")
        async with kernel.db.transaction() as session:
            return await service.last_screening(session)

    run, findings = run_async(lambda: with_kernel(_settings(ctx), work))
    click.echo(
        f"run {run.id}: {run.patients} patients, {run.drugs} drugs, {run.findings} findings "
        f"({run.hard_stops} hard stops) in {run.duration_ms} ms; knowledge {run.knowledge_version}"
    )
    if not quiet:
        for finding in findings:
            click.echo(f"patient {finding.patient_id}\t{finding.severity}\t{finding.drugs}\t{finding.message}")


def mount_engine_check() -> None:
    """Adds the engine's `check` under `his cdss` (idempotent)."""
    command = _engine_check()
    if command is not None and "check" not in cdss.commands:
        cdss.add_command(command, "check")
