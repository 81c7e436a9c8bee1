"""`his claims export --from DATE --to DATE --out DIR`: the signed BHYT claim files of finished visits;
`his claims export-stay --stay CODE --out DIR`: the inpatient claim of one discharged stay. Both also under `his bhyt`.

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


def _credentials(settings: Any) -> Any:
    from his.bhyt.api import SigningCredentials

    password = settings.bhyt.private_key_password.get_secret_value()
    return SigningCredentials(
        private_key_pem=_read(settings.bhyt.private_key_path, "private key"),
        certificate_pem=_read(settings.bhyt.certificate_path, "certificate"),
        password=password.encode() if password else None,
    )


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
    from his.claims.api import export_claims

    settings = ctx.find_root().obj
    if date_to < date_from:
        raise click.BadParameter("--to comes before --from", param_hint="--to")
    credentials = _credentials(settings)
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


@claims.command("export-stay")
@click.option("--stay", "stay_code", required=True, help="The stay's code (MA_LK of the inpatient claim).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
def export_stay_command(ctx: click.Context, stay_code: str, out_dir: Path) -> None:
    """Write the signed inpatient claim <MA_LK>.xml (MA_LOAI_KCB 03, with XML7) of one discharged stay into OUT;
    exit 1 with every reason when it would not validate."""
    from his.claims.api import export_stay
    from his.claims.schemas import RefusedClaim, WrittenClaim

    settings = ctx.find_root().obj
    credentials = _credentials(settings)

    async def work(kernel: Any) -> Any:
        return await export_stay(
            kernel, stay_code=stay_code.strip(), out_dir=out_dir, credentials=credentials, actor=_cli_actor()
        )

    outcome = run_async(lambda: with_kernel(settings, work))
    if isinstance(outcome, WrittenClaim):
        click.echo(f"written {outcome.file}")
    elif isinstance(outcome, RefusedClaim):
        click.echo(f"refused {outcome.visit_code}:", err=True)
        for refusal in outcome.refusals:
            click.echo(f"  {refusal.label()}: {refusal.message()}", err=True)
        ctx.exit(1)
    else:
        click.echo(f"skipped {outcome.visit_code}: {outcome.reason}")


bhyt_export_group.add_command(export_stay_command)
