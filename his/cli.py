"""The `his` command: serve, db, user, catalog, demo, audit, backup, restore."""

from __future__ import annotations

import asyncio
import getpass
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from his.kernel.errors import DomainError
from his.settings import Settings

T = TypeVar("T")
console = Console(stderr=True)


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def run_async(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    try:
        return asyncio.run(factory())
    except DomainError as error:
        # Messages are English msgids; the CLI speaks English to administrators.
        raise click.ClickException(str(error)) from error


async def with_kernel(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from his.app import installed_modules
    from his.kernel.auth.service import sync_roles
    from his.kernel.runtime import build_kernel

    kernel = build_kernel(settings, installed_modules())
    try:
        async with kernel.db.transaction() as session:
            await sync_roles(session, kernel.registry)
        return await work(kernel)
    finally:
        await kernel.db.dispose()


@click.group()
@click.option("--database-url", envvar="HIS_DATABASE_URL", default=None, help="Any SQLAlchemy async URL.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """Hospital information system for Viet Nam."""
    settings = Settings()
    if database_url:
        settings.database_url = database_url
    if settings.database_url.startswith("sqlite"):
        db_path = settings.database_url.split(":///", 1)[-1]
        Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    ctx.obj = settings


# ---------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes (PostgreSQL only).")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int) -> None:
    """Serve the web application."""
    import uvicorn

    settings = _settings(ctx)
    if workers > 1 and settings.database_url.startswith("sqlite"):
        raise click.ClickException("several workers need PostgreSQL (HIS_DATABASE_URL)")
    import os

    os.environ["HIS_DATABASE_URL"] = settings.database_url
    config = uvicorn.Config(
        "his.app:create_app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="warning",
        # Live displays hold their streams open; they reconnect and replay, so a restart need not wait for them.
        timeout_graceful_shutdown=5,
        factory=True,
        access_log=False,
    )
    try:
        sock = listening_socket(host, port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None
    if workers > 1:
        from uvicorn.supervisors import Multiprocess

        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run(sockets=[sock])


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, made with proto IPPROTO_TCP: asyncio turns Nagle's algorithm off only on connections of
    such a socket, and uvicorn makes its multi-worker socket with proto 0. With Nagle on, a response written in two
    parts waits for the client's delayed ACK: 40 ms more on every request of a keep-alive connection."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


# ---------------------------------------------------------------- db


@main.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.argument("target", default="heads")
@click.pass_context
def db_upgrade(ctx: click.Context, target: str) -> None:
    """Migrate the database up to TARGET (default: every module's head)."""
    from his.kernel.migrate import upgrade

    upgrade(_settings(ctx).database_url, target)
    console.print(f"[green]database at {target}[/green]")


@db.command("downgrade")
@click.argument("target")
@click.pass_context
def db_downgrade(ctx: click.Context, target: str) -> None:
    """Migrate down to TARGET (a revision, 'base', or e.g. catalogs@-1)."""
    from his.kernel.migrate import downgrade

    downgrade(_settings(ctx).database_url, target)
    console.print(f"[yellow]database at {target}[/yellow]")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the revisions the database is at."""
    from his.kernel.migrate import current_heads

    heads = asyncio.run(current_heads(_settings(ctx).database_url))
    for head in sorted(heads) or ["(empty database)"]:
        click.echo(head)


# ---------------------------------------------------------------- user


@main.group()
def user() -> None:
    """User accounts."""


def _read_password(password: str | None) -> str:
    if password:
        return password
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Password: ")


@user.command("add")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True, help="Role code; repeat for several.")
@click.option("--password", default=None, help="Read from standard input or a prompt when omitted.")
@click.option("--staff-code", default=None)
@click.pass_context
def user_add(
    ctx: click.Context,
    username: str,
    full_name: str,
    roles: tuple[str, ...],
    password: str | None,
    staff_code: str | None,
) -> None:
    """Create a user account."""
    from his.kernel import administration

    secret = _read_password(password)

    async def work(kernel: Any) -> None:
        await administration.create_user(
            kernel,
            _cli_actor(),
            username=username,
            full_name=full_name,
            password=secret,
            roles=list(roles),
            staff_code=staff_code,
        )

    run_async(lambda: with_kernel(_settings(ctx), work))
    console.print(f"[green]user {username} created[/green]")


def _cli_actor() -> Any:
    from his.kernel.audit.service import AuditActor

    return AuditActor(user_id=None, username=f"cli:{getpass.getuser()}", role="cli", client_ip=None, request_id=None)


@user.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable instead.")
@click.pass_context
def user_disable(ctx: click.Context, username: str, enable: bool) -> None:
    """Disable (or re-enable) an account; disabling closes its sessions."""
    from his.kernel import administration

    async def work(kernel: Any) -> None:
        await administration.update_user(kernel, _cli_actor(), username, active=enable)

    run_async(lambda: with_kernel(_settings(ctx), work))
    console.print(f"user {username} {'enabled' if enable else 'disabled'}")


@user.command("reset-password")
@click.argument("username")
@click.option("--password", default=None, help="Read from standard input or a prompt when omitted.")
@click.pass_context
def user_reset_password(ctx: click.Context, username: str, password: str | None) -> None:
    """Set a new password, unlock the account and close its sessions."""
    from his.kernel import administration

    secret = _read_password(password)

    async def work(kernel: Any) -> None:
        await administration.reset_password(kernel, _cli_actor(), username, secret)

    run_async(lambda: with_kernel(_settings(ctx), work))
    console.print(f"password of {username} reset")


@user.command("roles")
@click.argument("username")
@click.option("--set", "new_roles", multiple=True, help="Replace the roles; repeat for several.")
@click.pass_context
def user_roles_cmd(ctx: click.Context, username: str, new_roles: tuple[str, ...]) -> None:
    """Show a user's roles, or replace them with --set."""
    from his.kernel import administration
    from his.kernel.auth.service import get_user, user_roles

    async def work(kernel: Any) -> list[str]:
        if new_roles:
            return (await administration.update_user(kernel, _cli_actor(), username, roles=list(new_roles))).roles
        async with kernel.db.transaction() as session:
            return await user_roles(session, (await get_user(session, username)).id)

    for role in run_async(lambda: with_kernel(_settings(ctx), work)):
        click.echo(role)


# ---------------------------------------------------------------- audit


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("head")
@click.pass_context
def audit_head_cmd(ctx: click.Context) -> None:
    """Print the newest record's id and hash; keep them where the database administrator cannot write."""
    from his.kernel.audit.service import audit_head

    async def work(kernel: Any) -> tuple[int, str]:
        async with kernel.db.transaction() as session:
            return await audit_head(session)

    record_id, digest = run_async(lambda: with_kernel(_settings(ctx), work))
    click.echo(f"{record_id} {digest}")


def _read_anchor(path: Path) -> tuple[int, str]:
    lines = [line.split() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not lines or len(lines[-1]) != 2 or not lines[-1][0].isdigit() or len(lines[-1][1]) != 64:
        raise click.ClickException(f"{path}: the last line must be 'RECORD_ID HASH' as printed by 'his audit head'")
    return int(lines[-1][0]), lines[-1][1]


@audit.command("verify")
@click.option(
    "--anchor",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File whose last line is the output of an earlier 'his audit head'.",
)
@click.pass_context
def audit_verify(ctx: click.Context, anchor: Path | None) -> None:
    """Check the hash chain; exit 1 naming the first changed or deleted record."""
    from his.kernel.audit.service import verify_audit_chain

    expected = _read_anchor(anchor) if anchor else None

    async def work(kernel: Any) -> tuple[int, Any]:
        async with kernel.db.transaction() as session:
            return await verify_audit_chain(session, expected)

    checked, broken = run_async(lambda: with_kernel(_settings(ctx), work))
    if broken is None:
        console.print(f"[green]audit chain intact: {checked} records[/green]")
        return
    reasons = {
        "changed": "was changed after it was written",
        "deleted_before": "follows a deleted record",
        "relinked": "does not link to the record before it",
        "anchor_mismatch": "differs from the hash recorded in the anchor",
        "truncated": "and the records after it are missing (the anchor says they existed)",
    }
    console.print(f"[red]audit record {broken.record_id} {reasons[broken.reason]}[/red]")
    sys.exit(1)


@main.group()
def demo() -> None:
    """The demo hospital."""


@demo.command("seed")
@click.option(
    "--seed",
    "seed_value",
    default=54,
    show_default=True,
    type=int,
    help="Random seed (same seed, same data).",
)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.pass_context
def demo_seed(ctx: click.Context, seed_value: int, if_empty: bool) -> None:
    """Fill the database with the deterministic demo hospital (every module adds its part)."""
    from his.kernel.demo import run_demo_seed

    async def work(kernel: Any) -> bool:
        return await run_demo_seed(kernel, seed=seed_value, if_empty=if_empty, console=console)

    seeded = run_async(lambda: with_kernel(_settings(ctx), work))
    from his.kernel.demo import DEMO_PASSWORD, demo_users

    if seeded:
        console.print("[green]demo hospital ready[/green]")
    else:
        console.print("the database already has users: demo seed skipped")
    console.print(f"demo sign-ins (unless changed since), password [bold]{DEMO_PASSWORD}[/bold]:")
    for username, _, roles in demo_users():
        console.print(f"  {username:<12} {', '.join(roles)}")


# ---------------------------------------------------------------- backup


@main.command("backup")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for the archive (default: <data dir>/backups).",
)
@click.pass_context
def backup_cmd(ctx: click.Context, out_dir: Path | None) -> None:
    """Write a checksummed backup archive of the whole database (and its .sha256)."""
    from his.kernel.backup import create_backup

    settings = _settings(ctx)
    target = out_dir if out_dir is not None else settings.data_dir / "backups"
    with console.status("backing up") as status:

        def report(step: str) -> None:
            status.update(step)
            console.print(f"[dim]{step}[/dim]")

        result = run_async(lambda: create_backup(settings.database_url, target, report=report))
    console.print(
        f"[green]backup written[/green]: {result.archive} ({result.size:,} bytes, "
        f"sha256 {result.sha256[:16]}…, schema {', '.join(result.manifest.alembic_heads) or 'empty'})"
    )
    # The path alone on standard output, for scripts (cron, off-site copy).
    click.echo(str(result.archive))


@main.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite a database that already holds data.")
@click.pass_context
def restore_cmd(ctx: click.Context, archive: Path, yes: bool) -> None:
    """Verify ARCHIVE completely, then replace the database with its content."""
    from his.kernel.backup import restore_backup

    settings = _settings(ctx)

    def confirm_overwrite() -> bool:
        # Without a terminal nobody can answer: only --yes may overwrite data (cron, scripts, CI).
        if yes:
            return True
        if not sys.stdin.isatty():
            return False
        # The URL may carry a password: name only the archive.
        return click.confirm(f"Replace all data in the database with {archive.name}?", default=False)

    def report(step: str) -> None:
        console.print(f"[dim]{step}[/dim]")

    result = run_async(
        lambda: restore_backup(settings.database_url, archive, confirm_overwrite=confirm_overwrite, report=report)
    )
    manifest = result.manifest
    console.print(
        f"[green]restored[/green] the backup of {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC "
        f"(schema {', '.join(manifest.alembic_heads) or 'empty'}, version {manifest.app_version})"
    )
    if not result.archive_checksum_checked:
        console.print(f"[yellow]no {archive.name}.sha256 beside the archive; member checksums were checked[/yellow]")
    console.print("run [bold]his db upgrade[/bold] if this software is newer than the backup")


def build_cli() -> click.Group:
    """The command with every module's command groups added (catalog, backup, ...)."""
    from his.app import installed_modules

    for module in installed_modules():
        for command in module.cli_commands():
            _mount(main, command)
    return main


def _mount(main: click.Group, command: click.Command) -> None:
    """Adds a module's command; a group named like an existing one adds its subcommands to it (so a module can
    offer `his bhyt export` while another module owns `his bhyt`). The first module to name a command keeps it."""
    existing = main.commands.get(command.name or "")
    if existing is None:
        main.add_command(command)
    elif isinstance(existing, click.Group) and isinstance(command, click.Group):
        for name, sub in command.commands.items():
            if name not in existing.commands:
                existing.add_command(sub, name)


def run() -> None:
    build_cli()()
