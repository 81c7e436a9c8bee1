"""`his catalog import|export|list`: the shared catalogs from the command line, with progress bars."""

from __future__ import annotations

import getpass
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from his.catalogs.specs import CATALOG_KINDS
from his.cli import console, run_async, with_kernel
from his.kernel.audit.service import AuditActor, AuditEntry

_PHASES = {"check": "Checking rows", "write": "Writing versions"}


def _cli_actor() -> AuditActor:
    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


def _settings(ctx: click.Context) -> Any:
    root = ctx.find_root()
    return root.obj


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@click.group("catalog")
def catalog() -> None:
    """Shared catalogs: ICD-10, departments, clinic rooms, staff, services, drugs, supplies."""


@catalog.command("list")
@click.option("--as-of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Day (default: today).")
@click.pass_context
def list_catalogs(ctx: click.Context, as_of: datetime | None) -> None:
    """Count the entries of each catalog in force on a day."""
    from his.catalogs import service

    async def work(kernel: Any) -> dict[str, int]:
        async with kernel.db.transaction() as session:
            day = _day(as_of) or service.today(kernel.clock)
            return await service.count_in_force(session, as_of=day)

    for kind, count in run_async(lambda: with_kernel(_settings(ctx), work)).items():
        click.echo(f"{kind:<14}{count:>8}")


@catalog.command("import")
@click.argument("kind", type=click.Choice(CATALOG_KINDS))
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--effective",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Day the file's content takes effect, YYYY-MM-DD (default: today).",
)
@click.option(
    "--retire-missing",
    is_flag=True,
    help="End, on the effective day, every code of the catalog that the file does not list.",
)
@click.pass_context
def import_command(
    ctx: click.Context, kind: str, file: Path | None, effective: datetime | None, retire_missing: bool
) -> None:
    """Import FILE (CSV, UTF-8, or .csv.gz) into catalog KIND, as one transaction.

    For icd10, FILE may be the national QĐ 4469 CSV (validity lists applied) or an export of this
    catalog; without FILE the packaged national list is imported.
    """
    from his.catalogs import service
    from his.catalogs.icd10 import packaged_icd10_path

    if file is None:
        if kind != "icd10":
            raise click.UsageError("FILE is required for every catalog but icd10")
        file = packaged_icd10_path()
    source: Path = file
    started = time.perf_counter()

    async def work(kernel: Any) -> service.ImportReport:
        day = _day(effective) or service.today(kernel.clock)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar:
            tasks: dict[str, Any] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_PHASES.get(phase, phase), total=max(total, 1))
                bar.update(tasks[phase], completed=done, total=max(total, 1))

            try:
                async with kernel.db.transaction() as session:
                    return await service.import_catalog(
                        kernel,
                        session,
                        _cli_actor(),
                        kind=kind,
                        source=source,
                        effective=day,
                        retire_missing=retire_missing,
                        progress=progress,
                    )
            except service.ImportRejected as rejected:
                await kernel.audit(
                    _cli_actor(),
                    AuditEntry(
                        action="catalog.import",
                        outcome="rejected",
                        object_type=kind,
                        detail=f"{source.name}: {len(rejected.problems)} problems",
                    ),
                )
                bar.stop()
                for problem in rejected.problems:
                    where = f"line {problem.line}" if problem.line else "file"
                    if problem.column:
                        where += f", column {problem.column}"
                    console.print(f"[red]{where}[/red]: {problem.describe()}", highlight=False, soft_wrap=True)
                raise

    report = run_async(lambda: with_kernel(_settings(ctx), work))
    elapsed = time.perf_counter() - started
    console.print(
        f"[green]{kind}[/green] effective {report.effective.isoformat()}: {report.rows} rows read, "
        f"{report.added} added, {report.changed} changed, {report.unchanged} unchanged, "
        f"{report.retired} retired, "
        f"{report.duplicates} duplicate rows skipped ({elapsed:.1f} s)",
        highlight=False,
        soft_wrap=True,
    )


@catalog.command("export")
@click.argument("kind", type=click.Choice(CATALOG_KINDS))
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Export the versions in force on this day, YYYY-MM-DD (default: today).",
)
@click.pass_context
def export_command(ctx: click.Context, kind: str, file: Path, as_of: datetime | None) -> None:
    """Write catalog KIND to FILE ("-" for standard output) in its import format."""
    from his.catalogs import service

    async def work(kernel: Any) -> str:
        async with kernel.db.transaction() as session:
            day = _day(as_of) or service.today(kernel.clock)
            with console.status(f"exporting {kind} …"):
                return await service.export_catalog(session, kind=kind, as_of=day)

    content = run_async(lambda: with_kernel(_settings(ctx), work))
    if str(file) == "-":
        sys.stdout.write(content)
        return
    file.write_text(content, encoding="utf-8", newline="")
    rows = max(content.count("\n") - 1, 0)
    console.print(f"[green]{kind}[/green]: {file} written ({rows} lines after the header)", soft_wrap=True)
