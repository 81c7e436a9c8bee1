"""Database kernel: SQLite settings, migrations that match the models, down and up again."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import text

from his.cli import build_cli
from his.kernel.db import Base, Database
from his.kernel.migrate import current_heads, migrations_dir, module_branches
from his.kernel.model_registry import import_all_models

pytestmark = pytest.mark.criterion(99)


async def _diff(database_url: str) -> list[object]:
    import_all_models()
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                )
            )
    finally:
        await database.dispose()


def test_migrations_create_exactly_the_models(database_url: str) -> None:
    assert asyncio.run(_diff(database_url)) == []


def test_every_module_branch_is_at_its_head(database_url: str) -> None:
    heads = asyncio.run(current_heads(database_url))
    assert {head.split("_")[0] for head in heads} == set(module_branches())


def test_downgrade_to_base_and_upgrade_again(database_url: str) -> None:
    cli = build_cli()
    runner = CliRunner()
    down = runner.invoke(cli, ["--database-url", database_url, "db", "downgrade", "base"])
    assert down.exit_code == 0, down.output
    assert asyncio.run(current_heads(database_url)) == set()
    up = runner.invoke(cli, ["--database-url", database_url, "db", "upgrade"])
    assert up.exit_code == 0, up.output
    current = runner.invoke(cli, ["--database-url", database_url, "db", "current"])
    newest_kernel = max(path.name[:11] for path in (migrations_dir() / "versions" / "kernel").glob("kernel_*.py"))
    assert newest_kernel in current.output


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    async def pragmas() -> tuple[str, int]:
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/p.db")
        try:
            async with database.engine.connect() as connection:
                mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar_one()
                keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar_one()
                return str(mode), int(keys)
        finally:
            await database.dispose()

    assert asyncio.run(pragmas()) == ("wal", 1)


def test_in_memory_sqlite_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Database("sqlite+aiosqlite:///:memory:")
