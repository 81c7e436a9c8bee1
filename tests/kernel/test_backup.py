"""Backup and restore (Circular 54 criteria 121 and 146), on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import re
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from his.app import installed_modules
from his.cli import build_cli
from his.kernel.audit.service import AuditActor, AuditEntry, append_audit
from his.kernel.auth.models import User
from his.kernel.auth.service import create_user
from his.kernel.backup import (
    MANIFEST_NAME,
    BackupError,
    Manifest,
    MemberDigest,
    archive_name,
    check_compatible,
    checksum_line,
    libpq_target,
    parse_checksum_file,
    read_archive,
    tables_in_pg_listing,
    unknown_revisions,
    write_archive,
)
from his.kernel.clock import SystemClock
from his.kernel.db import Base, Database, make_engine
from his.kernel.hospital import HospitalConfig
from his.kernel.model_registry import import_all_models
from his.kernel.runtime import build_kernel
from his.settings import Settings
from tests.conftest import _pg_admin, seed_staff

pytestmark = [pytest.mark.criterion(121), pytest.mark.criterion(146)]

ARCHIVE_NAME = re.compile(r"^his-backup-\d{8}T\d{6}Z-(sqlite|postgresql)\.tar\.gz$")
KERNEL_TABLES = {"kernel_user", "kernel_role", "kernel_user_role", "kernel_role_permission", "kernel_audit"}


# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[str, ...]
    rows: dict[str, list[tuple[Any, ...]]]


async def _snapshot(url: str) -> Snapshot:
    """Every row of every table of the models (ordered by primary key), plus the schema revision."""
    import_all_models()
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            existing = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            rows: dict[str, list[tuple[Any, ...]]] = {}
            # A module whose migration is still being written has models but no table yet:
            # compare what exists.
            for table in Base.metadata.sorted_tables:
                if table.name in existing:
                    result = await connection.execute(select(table).order_by(*table.primary_key.columns))
                    rows[table.name] = [tuple(row) for row in result]
            result = await connection.execute(text("SELECT version_num FROM alembic_version ORDER BY 1"))
            rows["alembic_version"] = [tuple(row) for row in result]
            return Snapshot(tables=tuple(sorted(existing)), rows=rows)
    finally:
        await engine.dispose()


def snapshot(url: str) -> Snapshot:
    return asyncio.run(_snapshot(url))


ACTOR = AuditActor(user_id=1, username="admin", role="admin", client_ip="10.0.0.1", request_id="req-1")


async def _audit(url: str, *actions: str) -> None:
    database = Database(url)
    try:
        async with database.transaction() as session:
            for index, action in enumerate(actions):
                await append_audit(
                    session,
                    SystemClock(),
                    ACTOR,
                    AuditEntry(
                        action=action,
                        object_type="patient",
                        object_id=f"BN{index:04d}",
                        patient_id=f"BN{index:04d}",
                        detail="Nguyễn Văn Bệnh nhân",
                    ),
                )
    finally:
        await database.dispose()


async def _change_everything(url: str) -> None:
    """What a bad day looks like: rows deleted, rows changed, rows added (the audit trail only grows)."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            await session.execute(delete(User).where(User.username == "bacsi"))
            await session.execute(update(User).where(User.username == "admin").values(full_name="Kẻ xâm nhập"))
            session.add(HospitalConfig(id=1, name="Sai", facility_code="99999", address="", phone=""))
    finally:
        await database.dispose()
    await _audit(url, "patient.delete")


def fill(settings: Settings) -> None:
    asyncio.run(seed_staff(settings))
    asyncio.run(_audit(settings.database_url, "patient.view", "patient.update", "emr.sign"))


def cli(*args: str) -> Result:
    return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)


def back_up(settings: Settings, out: Path) -> Path:
    result = cli("--database-url", settings.database_url, "backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    archive = Path(result.stdout.strip().splitlines()[-1])
    assert archive.parent == out and ARCHIVE_NAME.match(archive.name)
    return archive


def restore(settings: Settings, archive: Path, *extra: str) -> Result:
    return cli("--database-url", settings.database_url, "restore", str(archive), *extra)


def repack(archive: Path, change: Any) -> None:
    """Rewrites the archive with `change(name, data) -> data` applied to each member."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            stream = tar.extractfile(info)
            assert stream is not None
            members.append((info, change(info.name, stream.read())))
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def refresh_checksum(archive: Path) -> None:
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    archive.with_name(archive.name + ".sha256").write_text(checksum_line(digest, archive.name))


def edit_manifest(archive: Path, edit: Any) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST_NAME:
            return data
        document = json.loads(data)
        edit(document)
        return json.dumps(document).encode()

    repack(archive, change)
    refresh_checksum(archive)


@pytest.fixture
def backups(tmp_path: Path) -> Path:
    return tmp_path / "backups"


# ---------------------------------------------------------------- the round trip


def test_restore_gives_back_exactly_the_database_backed_up(settings: Settings, backups: Path) -> None:
    url = settings.database_url
    fill(settings)
    original = snapshot(url)
    assert set(original.tables) >= KERNEL_TABLES
    assert original.rows["kernel_user"] and len(original.rows["kernel_audit"]) == 3

    archive = back_up(settings, backups)
    assert archive.with_name(archive.name + ".sha256").exists()
    with tarfile.open(archive, "r:gz") as tar:
        assert tar.getnames()[0] == MANIFEST_NAME
        manifest = Manifest.from_json(tar.extractfile(MANIFEST_NAME).read())  # type: ignore[union-attr]
    assert manifest.dialect == ("sqlite" if url.startswith("sqlite") else "postgresql")
    assert manifest.alembic_heads == tuple(row[0] for row in original.rows["alembic_version"])

    asyncio.run(_change_everything(url))
    changed = snapshot(url)
    assert changed != original

    refused = restore(settings, archive)
    assert refused.exit_code == 1
    assert "--yes" in refused.output
    assert snapshot(url) == changed

    done = restore(settings, archive, "--yes")
    assert done.exit_code == 0, done.output
    assert snapshot(url) == original

    verified = cli("--database-url", url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "3 records" in verified.output


def test_restored_database_keeps_working_and_stays_append_only(settings: Settings, backups: Path) -> None:
    url = settings.database_url
    fill(settings)
    archive = back_up(settings, backups)
    asyncio.run(_change_everything(url))
    assert restore(settings, archive, "--yes").exit_code == 0

    async def use_it() -> None:
        kernel = build_kernel(settings, installed_modules())
        try:
            # New ids after a restore must not collide (PostgreSQL sequences come back with the dump).
            async with kernel.db.transaction() as session:
                await create_user(
                    session,
                    kernel.hasher,
                    kernel.clock,
                    kernel.settings.security,
                    username="moi",
                    full_name="Người Mới",
                    password="mat-khau-dai-1",
                    roles=["doctor"],
                )
            await kernel.audit(ACTOR, AuditEntry(action="user.create", object_id="moi"))
            # The trigger that forbids rewriting history is back too.
            with pytest.raises(DBAPIError, match="append-only"):
                async with kernel.db.transaction() as session:
                    await session.execute(text("DELETE FROM kernel_audit"))
        finally:
            await kernel.db.dispose()

    asyncio.run(use_it())
    verified = cli("--database-url", url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "4 records" in verified.output


@pytest.mark.parametrize("db_backend", ["sqlite"])  # pg_dump takes its own consistent snapshot
def test_sqlite_backup_runs_while_the_application_writes(settings: Settings, backups: Path, tmp_path: Path) -> None:
    fill(settings)
    committed = snapshot(settings.database_url)
    # Another process mid-transaction (WAL mode, as the application runs): the backup neither waits
    # for it nor sees its uncommitted row.
    writer = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None)
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO kernel_hospital (id, name, facility_code, address, phone) "
            "VALUES (1, 'Chưa lưu', '12345', '', '')"
        )
        archive = back_up(settings, backups)
        writer.execute("COMMIT")
    finally:
        writer.close()

    elsewhere = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere' / 'his.db'}"
    assert cli("--database-url", elsewhere, "restore", str(archive)).exit_code == 0
    assert snapshot(elsewhere) == committed


def test_backup_goes_to_the_data_directory_by_default(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    monkeypatch.setenv("HIS_DATA_DIR", str(data_dir))
    result = cli("--database-url", settings.database_url, "backup")
    assert result.exit_code == 0, result.output
    archive = Path(result.stdout.strip().splitlines()[-1])
    assert archive.parent == data_dir / "backups"
    assert ARCHIVE_NAME.match(archive.name)


# ---------------------------------------------------------------- refusals leave the database untouched


def _flip_archive_byte(archive: Path) -> None:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))


def _flip_payload_byte(archive: Path) -> None:
    def change(name: str, data: bytes) -> bytes:
        if name == MANIFEST_NAME:
            return data
        flipped = bytearray(data)
        flipped[len(flipped) // 2] ^= 0x01
        return bytes(flipped)

    repack(archive, change)
    # Without the archive's own checksum file, only the manifest's member checksums stand guard.
    archive.with_name(archive.name + ".sha256").unlink()


def _edit_member_checksum(archive: Path) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["members"][0]["sha256"] = "0" * 64

    edit_manifest(archive, edit)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_flip_archive_byte, "does not match its checksum file"),
        (_flip_payload_byte, "checksum mismatch for database."),
        (_edit_member_checksum, "checksum mismatch for database."),
    ],
    ids=["archive-byte", "payload-byte", "manifest-checksum"],
)
def test_a_tampered_archive_is_refused_before_the_database_is_touched(
    settings: Settings, backups: Path, tamper: Any, message: str
) -> None:
    url = settings.database_url
    fill(settings)
    archive = back_up(settings, backups)
    asyncio.run(_change_everything(url))
    before = snapshot(url)
    tamper(archive)

    result = restore(settings, archive, "--yes")

    assert result.exit_code == 1
    assert message in result.output
    assert snapshot(url) == before


def test_an_archive_from_newer_software_is_refused(settings: Settings, backups: Path) -> None:
    fill(settings)
    archive = back_up(settings, backups)
    edit_manifest(archive, lambda document: document["alembic_heads"].append("kernel_9999"))
    before = snapshot(settings.database_url)

    result = restore(settings, archive, "--yes")

    assert result.exit_code == 1
    assert "newer than this software knows (kernel_9999)" in result.output
    assert snapshot(settings.database_url) == before


def test_an_archive_of_the_other_database_kind_is_refused(settings: Settings, backups: Path) -> None:
    fill(settings)
    archive = back_up(settings, backups)
    other = "postgresql" if settings.database_url.startswith("sqlite") else "sqlite"
    edit_manifest(archive, lambda document: document.update(dialect=other))
    before = snapshot(settings.database_url)

    result = restore(settings, archive, "--yes")

    assert result.exit_code == 1
    assert f"holds a {other} database" in result.output
    assert snapshot(settings.database_url) == before


# ---------------------------------------------------------------- restoring into an empty database


@pytest.fixture
def empty_database_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database: a SQLite file not made yet, or a migrated PostgreSQL database with no rows."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'elsewhere' / 'his.db'}"
        return
    server, admin_db = request.getfixturevalue("postgres_server")
    template: str = request.getfixturevalue("postgres_template")
    name = f"his_r_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(server, admin_db, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(_pg_admin(server, admin_db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_restore_into_an_empty_database_needs_no_confirmation(
    settings: Settings, backups: Path, empty_database_url: str
) -> None:
    fill(settings)
    original = snapshot(settings.database_url)
    archive = back_up(settings, backups)

    result = cli("--database-url", empty_database_url, "restore", str(archive))

    assert result.exit_code == 0, result.output
    assert snapshot(empty_database_url) == original
    assert cli("--database-url", empty_database_url, "audit", "verify").exit_code == 0


@pytest.mark.parametrize("db_backend", ["postgresql"])  # an SQLite restore replaces the whole file
def test_postgres_restore_refuses_a_target_with_tables_the_backup_lacks(settings: Settings, backups: Path) -> None:
    fill(settings)
    archive = back_up(settings, backups)

    async def add_table() -> None:
        database = Database(settings.database_url)
        try:
            async with database.transaction() as session:
                await session.execute(text("CREATE TABLE later_module_thing (id integer PRIMARY KEY)"))
        finally:
            await database.dispose()

    asyncio.run(add_table())
    before = snapshot(settings.database_url)
    result = restore(settings, archive, "--yes")
    assert result.exit_code == 1
    assert "public.later_module_thing" in result.output
    assert snapshot(settings.database_url) == before


# ---------------------------------------------------------------- pure helpers


def _manifest(**changes: Any) -> Manifest:
    values: dict[str, Any] = {
        "created_at": datetime(2026, 3, 1, 2, 30, 0, tzinfo=UTC),
        "dialect": "sqlite",
        "alembic_heads": ("kernel_0001",),
        "app_version": "0.1.0",
        "members": (MemberDigest(name="database.sqlite3", sha256="a" * 64, size=4),),
    }
    values.update(changes)
    return Manifest(**values)


def test_manifest_round_trips_and_refuses_paths() -> None:
    manifest = _manifest()
    assert Manifest.from_json(manifest.to_json()) == manifest
    for bad in ("../etc/passwd", "/abs", "a/b", MANIFEST_NAME, ""):
        document = json.loads(manifest.to_json())
        document["members"][0]["name"] = bad
        with pytest.raises(BackupError, match="manifest is invalid"):
            Manifest.from_json(json.dumps(document).encode())
    document = json.loads(manifest.to_json())
    document["format_version"] = 99
    with pytest.raises(BackupError, match="newer version"):
        Manifest.from_json(json.dumps(document).encode())


def test_archive_is_deterministic_and_verified_member_by_member(tmp_path: Path) -> None:
    payload_dir = tmp_path / "payload"
    payload_dir.mkdir()
    data = b"SQLite format 3\x00" + bytes(range(256)) * 10
    (payload_dir / "database.sqlite3").write_bytes(data)
    manifest = _manifest(members=(MemberDigest("database.sqlite3", hashlib.sha256(data).hexdigest(), len(data)),))
    first, second = tmp_path / "one.tar.gz", tmp_path / "two.tar.gz"
    write_archive(first, manifest, payload_dir)
    write_archive(second, manifest, payload_dir)
    assert first.read_bytes() == second.read_bytes()

    staging = tmp_path / "staging"
    staging.mkdir()
    assert read_archive(first, staging) == manifest
    assert (staging / "database.sqlite3").read_bytes() == data


def test_names_and_checksum_lines() -> None:
    moment = datetime(2026, 3, 1, 2, 30, 5, tzinfo=UTC)
    assert archive_name(moment, "postgresql") == "his-backup-20260301T023005Z-postgresql.tar.gz"
    line = checksum_line("ab" * 32, "x.tar.gz")
    assert line == "ab" * 32 + "  x.tar.gz\n"
    assert parse_checksum_file(line) == "ab" * 32
    with pytest.raises(BackupError):
        parse_checksum_file("not a checksum\n")


def test_libpq_target_keeps_the_password_off_the_command_line() -> None:
    target = libpq_target("postgresql+asyncpg://his:s3cr%27et@db.example:5433/his_prod?ssl=require")
    assert target.conninfo == "host='db.example' port='5433' user='his' dbname='his_prod'"
    assert target.env == {"PGPASSWORD": "s3cr'et", "PGSSLMODE": "require"}
    socket = libpq_target("postgresql+asyncpg://postgres@/his?host=/var/run/postgresql")
    assert socket.conninfo == "host='/var/run/postgresql' user='postgres' dbname='his'"
    assert socket.env == {}
    quoted = libpq_target("postgresql+asyncpg://u@h/we%27ird")
    assert quoted.conninfo.endswith("dbname='we\\'ird'")


def test_compatibility_rules() -> None:
    assert unknown_revisions(["kernel_0001", "catalogs_0042"], ["kernel_0001"]) == ["catalogs_0042"]
    check_compatible(_manifest(), target_dialect="sqlite", known_revisions={"kernel_0001"})
    with pytest.raises(BackupError, match="holds a sqlite database but the target is postgresql"):
        check_compatible(_manifest(), target_dialect="postgresql", known_revisions={"kernel_0001"})
    with pytest.raises(BackupError, match="newer than this software knows"):
        check_compatible(_manifest(), target_dialect="sqlite", known_revisions=set())


def test_pg_restore_listing_is_read_for_tables() -> None:
    listing = (
        ";\n; Archive created at 2026-03-01 02:30:05 UTC\n"
        "215; 1259 16385 TABLE public kernel_audit postgres\n"
        "216; 1259 16394 SEQUENCE public kernel_user_id_seq postgres\n"
        "3350; 0 16385 TABLE DATA public kernel_audit postgres\n"
        "217; 1259 16400 TABLE public alembic_version postgres\n"
    )
    assert tables_in_pg_listing(listing) == {("public", "kernel_audit"), ("public", "alembic_version")}
