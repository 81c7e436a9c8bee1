"""Shared fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from his.app import create_app, installed_modules
from his.kernel.auth.service import create_user, sync_roles
from his.kernel.demo import DEMO_PASSWORD, demo_users
from his.kernel.migrate import upgrade
from his.kernel.runtime import Kernel, build_kernel
from his.settings import SecuritySettings, Settings
from tests.pg import PostgresUnavailable, throwaway_cluster

BACKENDS = ("sqlite", "postgresql")


def _split(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name


async def _pg_admin(server: str, admin_db: str, *statements: str) -> None:
    dsn = server.replace("postgresql+asyncpg://", "postgresql://") + "/" + admin_db
    connection = await asyncpg.connect(dsn)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[tuple[str, str]]:
    """(server URL without database, an existing database to connect to for CREATE DATABASE)."""
    configured = os.environ.get("HIS_TEST_DATABASE_URL")
    if configured:
        yield _split(configured)
        return
    try:
        with throwaway_cluster() as server:
            yield server, "postgres"
    except PostgresUnavailable as reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(f"PostgreSQL leg skipped: {reason}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server: tuple[str, str]) -> str:
    server, admin_db = postgres_server
    name = f"his_tpl_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(server, admin_db, f'CREATE DATABASE "{name}"'))
    upgrade(f"{server}/{name}")
    return name


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    if backend == "postgresql":
        request.applymarker(pytest.mark.postgres)
    return backend


@pytest.fixture
def database_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database for one test."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "his.db"
        shutil.copyfile(template, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    server, admin_db = request.getfixturevalue("postgres_server")
    template_name: str = request.getfixturevalue("postgres_template")
    name = f"his_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(server, admin_db, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(_pg_admin(server, admin_db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def make_settings(database_url: str, data_dir: Path, **security: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        log_level="WARNING",
        security=SecuritySettings(argon2_time_cost=1, argon2_memory_kib=8192, **security),
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path / "var")


async def seed_staff(settings: Settings) -> None:
    """One account per role (the demo accounts), without the rest of the demo hospital."""
    kernel = build_kernel(settings, installed_modules())
    try:
        async with kernel.db.transaction() as session:
            await sync_roles(session, kernel.registry)
            for username, full_name, roles in demo_users():
                await create_user(
                    session,
                    kernel.hasher,
                    kernel.clock,
                    kernel.settings.security,
                    username=username,
                    full_name=full_name,
                    password=DEMO_PASSWORD,
                    roles=roles,
                )
    finally:
        await kernel.db.dispose()


@pytest.fixture
def staff(settings: Settings) -> dict[str, str]:
    asyncio.run(seed_staff(settings))
    return {username: roles[0] for username, _, roles in demo_users()}


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar, staff: dict[str, str]) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app, base_url="http://testserver.local") as test_client:
        yield test_client


def login(client: TestClient[Litestar], username: str, password: str = DEMO_PASSWORD) -> str:
    """Signs in through the API; returns the CSRF token for unsafe requests."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    token: str = response.json()["csrf_token"]
    return token


@pytest.fixture
async def kernel(settings: Settings) -> AsyncIterator[Kernel]:
    built = build_kernel(settings, installed_modules())
    async with built.db.transaction() as session:
        await sync_roles(session, built.registry)
    try:
        yield built
    finally:
        await built.db.dispose()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: Playwright's sync API keeps an event loop running in the main thread until its
    # fixtures end, and the database fixtures of other tests call asyncio.run.
    items.sort(key=lambda item: item.nodeid.startswith("tests/e2e/"))
