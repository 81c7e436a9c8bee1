"""Alembic environment: async engines, every module's models, one branch per module."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from his.kernel.db import Base, make_engine
from his.kernel.model_registry import import_all_models

config = context.config
import_all_models()
target_metadata = Base.metadata


def _include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    # `-x module=catalogs` restricts autogenerate to one module's tables (prefix = module name).
    module = context.get_x_argument(as_dictionary=True).get("module")
    if module and type_ == "table" and name is not None:
        return name.startswith(module + "_")
    return True


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("no database URL: set HIS_DATABASE_URL")
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_async(url))


run()
