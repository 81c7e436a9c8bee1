"""Alembic, driven from code: one script folder, one version branch per module (versions/<module>/)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from his.kernel.db import make_engine

# One alembic branch per module, in dependency order; a module without tables has no migrations folder content.
KNOWN_BRANCHES = (
    "kernel",
    "catalogs",
    "patients",
    "pharmacy",
    "reception",
    "outpatient",
    "billing",
    "bhyt",
    "orders",
    "decision",
    "appointments",
    "queues",
    "inpatient",
    "statistics",
)


def module_branches() -> tuple[str, ...]:
    """The branches that have at least one revision."""
    versions = migrations_dir() / "versions"
    return tuple(b for b in KNOWN_BRANCHES if any((versions / b).glob("*.py")))


def migrations_dir() -> Path:
    # The repository layout keeps migrations/ beside the his/ package (installed in editable mode).
    return Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> Config:
    root = migrations_dir()
    config = Config()
    config.set_main_option("script_location", str(root))
    config.set_main_option(
        "version_locations", " ".join(str(root / "versions" / branch) for branch in module_branches())
    )
    config.set_main_option("path_separator", "space")
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, target: str = "heads") -> None:
    command.upgrade(alembic_config(database_url), target)


def downgrade(database_url: str, target: str) -> None:
    command.downgrade(alembic_config(database_url), target)


async def stored_revisions(database_url: str) -> set[str]:
    """The revisions alembic recorded in the database (only the tips of the revision graph)."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            stored = await connection.run_sync(lambda sync: MigrationContext.configure(sync).get_current_heads())
            return set(stored)
    finally:
        await engine.dispose()


async def current_heads(database_url: str) -> set[str]:
    """The head of every module branch that the database has reached.

    Alembic stores only the tips: a branch that depends on another module's head hides that head, so the
    reached revisions are walked back through the script graph.
    """
    stored = await stored_revisions(database_url)
    if not stored:
        return set()
    script = ScriptDirectory.from_config(alembic_config(database_url))
    reached = {
        revision.revision for revision in script.revision_map.iterate_revisions(tuple(stored), "base") if revision
    }
    branch_heads = set()
    for branch in module_branches():
        head = script.get_revision(f"{branch}@head")
        if head is not None:
            branch_heads.add(head.revision)
    return branch_heads & reached
