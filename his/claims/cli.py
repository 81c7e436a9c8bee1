"""`his claims export --from DATE --to DATE --out DIR`: the signed BHYT claim files of finished visits.

Exit codes: 0 every claim written (or none to write), 1 at least one visit refused (each reason printed),
2 the key or certificate cannot be read.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from his.cli import console, run_async, with_kernel
from his.kernel.audit.service import AuditActor


def _cli_actor() -> AuditActor:
    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        console.print(f"[red]{path}[/red]: cannot read the {what}: {error.strerror or error}", highlight=False)
        raise click.exceptions.Exit(2) from None


@click.group("claims")
def claims() -> None:
    """BHYT claims of finished visits (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT)."""


@click.group("bhyt")
def bhyt_export_group() -> None:
    """Adds `his bhyt export` (the name the issue and the BHYT staff use) to the bhyt module's group."""


@claims.command("export")
@click.option("--from", "date_from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--to", "date_to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export(ctx: click.Context, date_from: datetime, date_to: datetime, out_dir: Path) -> None:
    """Write one signed claim file <MA_LK>.xml into OUT for each finished visit between the two days (both
    included); a visit whose claim would not validate is refused with its reasons and gets no file."""
    from his.bhyt.api import SigningCredentials
    from his.claims.api import export_claims

    settings = ctx.find_root().obj
    if date_to < date_from:
        raise click.BadParameter("--to comes before --from", param_hint="--to")
    password = settings.bhyt.private_key_password.get_secret_value()
    credentials = SigningCredentials(
        private_key_pem=_read(settings.bhyt.private_key_path, "private key"),
        certificate_pem=_read(settings.bhyt.certificate_path, "certificate"),
        password=password.encode() if password else None,
    )
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:
        task = bar.add_task("claims", total=None)

        def advance(position: int, count: int, visit: Any) -> None:
            bar.update(task, total=count, completed=position - 1, description=visit.code)

        async def work(kernel: Any) -> Any:
            return await export_claims(
                kernel,
                date_from=date_from.date(),
                date_to=date_to.date(),
                out_dir=out_dir,
                credentials=credentials,
                actor=_cli_actor(),
                progress=advance,
            )

        report = run_async(lambda: with_kernel(settings, work))
        bar.update(task, completed=bar.tasks[0].total or 0)
    for written in report.written:
        click.echo(f"written {written.file}")
    for skipped in report.skipped:
        click.echo(f"skipped {skipped.visit_code}: {skipped.reason}")
    for refused in report.refused:
        click.echo(f"refused {refused.visit_code}:", err=True)
        for refusal in refused.refusals:
            click.echo(f"  {refusal.label()}: {refusal.message()}", err=True)
    click.echo(
        f"{len(report.written)} written, {len(report.refused)} refused, {len(report.skipped)} skipped "
        f"({date_from.date().isoformat()}..{date_to.date().isoformat()})"
    )
    if report.refused:
        ctx.exit(1)


bhyt_export_group.add_command(export)
