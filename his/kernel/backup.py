"""Backup and restore of the whole database as one checksummed archive (Circular 54 criteria 121 and 146).

An archive is a gzip-compressed tar holding `manifest.json` first and then the payload: a SQLite snapshot
made with the online backup API, or a `pg_dump --format=custom` dump. A `<archive>.sha256` file (sha256sum
format) sits next to it. Restore verifies every checksum and the schema revisions before it touches the
target database.

The pure helpers (manifest, checksums, names, URL conversion, compatibility) come first; file and subprocess
work follows; `create_backup` and `restore_backup` at the end are what the CLI calls.
"""

from __future__ import annotations

import asyncio
import glob
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from his.kernel.clock import Clock, SystemClock
from his.kernel.db import make_engine
from his.kernel.errors import DomainError

FORMAT = "his-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
PAYLOAD_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHECKSUM_SUFFIX = ".sha256"
_CHUNK = 1 << 20
_MAX_MANIFEST_BYTES = 1 << 20
_MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}

Report = Callable[[str], None]


class BackupError(DomainError):
    """A backup could not be made, or an archive cannot (or must not) be restored."""


def _silent(_step: str) -> None:
    return None


# ---------------------------------------------------------------- pure helpers


@dataclass(frozen=True, slots=True)
class MemberDigest:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class Manifest:
    created_at: datetime
    dialect: str
    alembic_heads: tuple[str, ...]
    app_version: str
    members: tuple[MemberDigest, ...]
    format_version: int = FORMAT_VERSION

    def member(self, name: str) -> MemberDigest | None:
        return next((m for m in self.members if m.name == name), None)

    def to_json(self) -> bytes:
        document = {
            "format": FORMAT,
            "format_version": self.format_version,
            "created_at": format_timestamp(self.created_at),
            "dialect": self.dialect,
            "alembic_heads": sorted(self.alembic_heads),
            "app_version": self.app_version,
            "members": [{"name": m.name, "sha256": m.sha256, "size": m.size} for m in self.members],
        }
        return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        """Parses and validates a manifest; anything unexpected is refused rather than guessed at."""
        try:
            document = json.loads(raw)
            if not isinstance(document, dict) or document.get("format") != FORMAT:
                raise ValueError("not a his-backup manifest")
            version = document["format_version"]
            if not isinstance(version, int) or version < 1:
                raise ValueError("bad format_version")
            if version > FORMAT_VERSION:
                raise BackupError(
                    "the archive was made by a newer version of the software (format {version})",
                    version=version,
                )
            members = tuple(_member_of(item) for item in document["members"])
            heads = document["alembic_heads"]
            if not isinstance(heads, list) or not all(isinstance(h, str) for h in heads):
                raise ValueError("bad alembic_heads")
            dialect = document["dialect"]
            if dialect not in PAYLOAD_NAMES:
                raise ValueError("unknown dialect")
            names = [m.name for m in members]
            if len(set(names)) != len(names):
                raise ValueError("duplicate member")
            return cls(
                created_at=parse_timestamp(str(document["created_at"])),
                dialect=dialect,
                alembic_heads=tuple(sorted(heads)),
                app_version=str(document["app_version"]),
                members=members,
                format_version=version,
            )
        except BackupError:
            raise
        except (ValueError, KeyError, TypeError) as error:
            raise BackupError("the archive's manifest is invalid: {reason}", reason=str(error)) from error


def _member_of(item: Any) -> MemberDigest:
    name, digest, size = item["name"], item["sha256"], item["size"]
    # Plain file names only: a manifest must never make us write outside the staging directory.
    if not isinstance(name, str) or not _MEMBER_NAME.match(name) or name == MANIFEST_NAME:
        raise ValueError(f"bad member name {name!r}")
    if not isinstance(digest, str) or not _HEX64.match(digest):
        raise ValueError(f"bad checksum for {name}")
    if not isinstance(size, int) or size < 0:
        raise ValueError(f"bad size for {name}")
    return MemberDigest(name=name, sha256=digest, size=size)


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def archive_name(created_at: datetime, dialect: str) -> str:
    return f"his-backup-{created_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{dialect}.tar.gz"


def checksum_line(digest: str, filename: str) -> str:
    """One line in the format of `sha256sum`, so that `sha256sum -c` checks it too."""
    return f"{digest}  {filename}\n"


def parse_checksum_file(content: str) -> str:
    """The digest of the first line of a `sha256sum` file."""
    first = content.strip().splitlines()[0] if content.strip() else ""
    digest = first.split(maxsplit=1)[0].lower() if first else ""
    if not _HEX64.match(digest):
        raise BackupError("the checksum file is not in sha256sum format")
    return digest


def unknown_revisions(heads: Iterable[str], known: Iterable[str]) -> list[str]:
    """Heads that no migration script of this code defines: the archive comes from newer code."""
    known_set = set(known)
    return sorted(head for head in heads if head not in known_set)


def check_compatible(manifest: Manifest, *, target_dialect: str, known_revisions: Iterable[str]) -> None:
    if manifest.dialect != target_dialect:
        raise BackupError(
            "the archive holds a {archive} database but the target is {target}",
            archive=manifest.dialect,
            target=target_dialect,
        )
    if manifest.member(PAYLOAD_NAMES[manifest.dialect]) is None:
        raise BackupError("the archive has no {name}", name=PAYLOAD_NAMES[manifest.dialect])
    unknown = unknown_revisions(manifest.alembic_heads, known_revisions)
    if unknown:
        raise BackupError(
            "the archive's schema is newer than this software knows ({revisions}); install the version that made it",
            revisions=", ".join(unknown),
        )


def dialect_of(database_url: str) -> str:
    backend = make_url(database_url).get_backend_name()
    if backend not in PAYLOAD_NAMES:
        raise BackupError("backup supports SQLite and PostgreSQL, not {backend}", backend=backend)
    return backend


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("backup needs a SQLite database file, not {url}", url=database_url)
    return Path(database)


@dataclass(frozen=True, slots=True)
class LibpqTarget:
    conninfo: str  # for --dbname; carries no password
    env: dict[str, str]


def _conninfo_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def libpq_target(database_url: str) -> LibpqTarget:
    """`postgresql+asyncpg://user:pw@host:port/db?ssl=require` -> a libpq conninfo and environment.

    The password travels in PGPASSWORD so that it never appears in a process listing.
    """
    url = make_url(database_url)
    if not url.database:
        raise BackupError("the database URL names no database")
    query = {key: value for key, value in url.query.items() if isinstance(value, str)}
    params: list[tuple[str, str]] = []
    host = url.host or query.get("host")
    if host:
        params.append(("host", host))
    if url.port:
        params.append(("port", str(url.port)))
    if url.username:
        params.append(("user", url.username))
    params.append(("dbname", url.database))
    env: dict[str, str] = {}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    ssl = query.get("sslmode") or query.get("ssl")
    if ssl in _SSL_MODES:
        env["PGSSLMODE"] = ssl
    elif ssl in {"true", "1"}:
        env["PGSSLMODE"] = "require"
    return LibpqTarget(conninfo=" ".join(f"{key}={_conninfo_value(value)}" for key, value in params), env=env)


def tables_in_pg_listing(listing: str) -> set[tuple[str, str]]:
    """(schema, table) of the TABLE entries in `pg_restore --list` output."""
    found: set[tuple[str, str]] = set()
    for line in listing.splitlines():
        match = re.match(r"^\s*\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+(\S+)\s", line)
        if match:
            found.add((match.group(1), match.group(2)))
    return found


# ---------------------------------------------------------------- files


def sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _copy_hashing(source: IO[bytes], target: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _fsync_dir(directory: Path) -> None:
    # Makes a rename durable; some filesystems refuse to open directories, which is harmless here.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _tar_info(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    # Fixed metadata: the same inputs give the same bytes, and no local user names leak into the archive.
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def write_archive(archive: Path, manifest: Manifest, payload_dir: Path) -> None:
    """Writes manifest.json then each member in manifest order; atomic (temp file, fsync, rename)."""
    partial = archive.with_name(archive.name + ".partial")
    mtime = int(manifest.created_at.timestamp())
    manifest_bytes = manifest.to_json()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            with (
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=6) as zipped,
                tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
            ):
                tar.addfile(_tar_info(MANIFEST_NAME, len(manifest_bytes), mtime), io.BytesIO(manifest_bytes))
                for member in manifest.members:
                    with (payload_dir / member.name).open("rb") as stream:
                        tar.addfile(_tar_info(member.name, member.size, mtime), stream)
            raw.flush()
            os.fsync(raw.fileno())
        if archive.exists():
            raise BackupError("{path} already exists", path=str(archive))
        os.replace(partial, archive)
        _fsync_dir(archive.parent)
    finally:
        partial.unlink(missing_ok=True)


def write_checksum_file(archive: Path) -> tuple[Path, str]:
    digest, _ = sha256_file(archive)
    target = archive.with_name(archive.name + CHECKSUM_SUFFIX)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(checksum_line(digest, archive.name), encoding="ascii")
    os.replace(partial, target)
    return target, digest


def verify_archive_checksum(archive: Path) -> bool:
    """Checks `<archive>.sha256` when it exists; returns whether there was one to check."""
    checksum_file = archive.with_name(archive.name + CHECKSUM_SUFFIX)
    if not checksum_file.exists():
        return False
    expected = parse_checksum_file(checksum_file.read_text(encoding="ascii", errors="replace"))
    actual, _ = sha256_file(archive)
    if actual != expected:
        raise BackupError(
            "the archive does not match its checksum file {path}; it is damaged or was changed",
            path=checksum_file.name,
        )
    return True


def read_archive(archive: Path, staging: Path) -> Manifest:
    """Extracts the members into `staging`, checking each against the manifest. Touches nothing else."""
    manifest: Manifest | None = None
    seen: set[str] = set()
    try:
        # Streaming mode reads the archive once, front to back; the manifest must come first.
        with tarfile.open(archive, mode="r|gz") as tar:
            for info in tar:
                if manifest is None:
                    if info.name != MANIFEST_NAME or not info.isreg() or info.size > _MAX_MANIFEST_BYTES:
                        raise BackupError("the archive does not start with a manifest; not a his backup")
                    stream = tar.extractfile(info)
                    assert stream is not None  # a regular member always has content
                    manifest = Manifest.from_json(stream.read())
                    continue
                expected = manifest.member(info.name)
                if expected is None or not info.isreg() or info.name in seen:
                    raise BackupError("the archive holds an unexpected member {name}", name=info.name)
                seen.add(info.name)
                stream = tar.extractfile(info)
                assert stream is not None
                with (staging / info.name).open("wb") as target:
                    digest, size = _copy_hashing(stream, target)
                if digest != expected.sha256 or size != expected.size:
                    raise BackupError(
                        "checksum mismatch for {name}: the archive is damaged or was changed", name=info.name
                    )
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError("the archive is damaged or not a his backup ({reason})", reason=str(error)) from error
    if manifest is None:
        raise BackupError("the archive is empty")
    missing = sorted({m.name for m in manifest.members} - seen)
    if missing:
        raise BackupError("the archive lacks {names}", names=", ".join(missing))
    return manifest


def app_version() -> str:
    try:
        return metadata.version("his-vn")
    except metadata.PackageNotFoundError:
        return "unknown"


def known_revisions(database_url: str) -> set[str]:
    """Every revision id the migration scripts of this code define."""
    from alembic.script import ScriptDirectory

    from his.kernel.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config(database_url))
    return {revision.revision for revision in script.walk_revisions()}


# ---------------------------------------------------------------- SQLite


def _sqlite_uri(path: Path) -> str:
    # mode=rw: opening must never create an empty database where the real one is missing.
    return path.resolve().as_uri() + "?mode=rw"


def _integrity_ok(path: Path) -> str:
    try:
        connection = sqlite3.connect(_sqlite_uri(path), uri=True)
        try:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        return str(error)
    messages = [str(row[0]) for row in rows]
    return "ok" if messages == ["ok"] else "; ".join(messages[:5])


def snapshot_sqlite(source: Path, target: Path) -> None:
    """A consistent copy while the application keeps running: the online backup API reads one snapshot
    (in WAL mode readers do not block writers)."""
    if not source.exists():
        raise BackupError("there is no SQLite database at {path}", path=str(source))
    src = sqlite3.connect(_sqlite_uri(source), uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # pages=-1: one step, so one snapshot
        # A self-contained file: the copy must not need a -wal beside it inside the archive.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    verdict = _integrity_ok(target)
    if verdict != "ok":
        raise BackupError("the SQLite snapshot failed its integrity check: {verdict}", verdict=verdict)


def sqlite_heads(path: Path) -> set[str]:
    """The alembic revisions recorded in a SQLite file (none when it was never migrated)."""
    connection = sqlite3.connect(_sqlite_uri(path), uri=True)
    try:
        known = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if known is None:
            return set()
        return {str(row[0]) for row in connection.execute("SELECT version_num FROM alembic_version")}
    finally:
        connection.close()


# A database "holds data" once someone has used it: it has users or audit records. A migration alone makes
# neither, while some migrations write reference rows (the queues' priority groups), which are not the hospital's.
USAGE_TABLES = frozenset({"kernel_user", "kernel_audit"})


def sqlite_has_data(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    connection = sqlite3.connect(_sqlite_uri(path), uri=True, timeout=30)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            if table not in USAGE_TABLES:
                continue  # a migrated but unused database is still empty (migrations may write reference rows)
            quoted = '"' + table.replace('"', '""') + '"'
            if connection.execute(f"SELECT EXISTS (SELECT 1 FROM {quoted})").fetchone() == (1,):
                return True
        return False
    finally:
        connection.close()


def restore_sqlite(staged: Path, target: Path) -> None:
    """`staged` is in the target's directory, so the final rename is atomic."""
    verdict = _integrity_ok(staged)
    if verdict != "ok":
        raise BackupError("the restored SQLite file failed its integrity check: {verdict}", verdict=verdict)
    # A leftover -wal or hot -journal of the old database would be replayed into the restored one.
    for suffix in ("-wal", "-shm", "-journal"):
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    os.replace(staged, target)
    _fsync_dir(target.parent)


# ---------------------------------------------------------------- PostgreSQL


async def pg_server_major(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            number = (await connection.execute(text("SHOW server_version_num"))).scalar_one()
            return int(number) // 10000
    finally:
        await engine.dispose()


def pg_tool_candidates(tool: str, server_major: int | None) -> list[Path]:
    """Where to look for pg_dump/pg_restore, best first: the server's own major version, then PATH,
    then pg_config's bindir, then every installed version, newest first."""
    candidates: list[Path] = []
    if server_major is not None:
        candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin") / tool)
    on_path = shutil.which(tool)
    if on_path:
        candidates.append(Path(on_path))
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        bindir = found.stdout.strip()
        if bindir:
            candidates.append(Path(bindir) / tool)

    def major_of(directory: str) -> int:
        name = Path(directory).parent.name
        return int(name) if name.isdigit() else 0

    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major_of, reverse=True):
        candidates.append(Path(directory) / tool)
    return candidates


def find_pg_tool(tool: str, server_major: int | None) -> Path:
    for candidate in pg_tool_candidates(tool, server_major):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(
        "{tool} not found; install the PostgreSQL client tools (version {major})",
        tool=tool,
        major=server_major or "?",
    )


def _run_tool(command: list[str], env: dict[str, str]) -> str:
    completed = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = completed.stderr.strip().splitlines()[-5:]
        raise BackupError("{tool} failed: {detail}", tool=Path(command[0]).name, detail=" | ".join(detail))
    return completed.stdout


_PG_USER_TABLES = (
    "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
    "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
)


async def pg_tables(database_url: str) -> dict[tuple[str, str], bool]:
    """Every user table of the database -> whether it holds a row."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            names = (await connection.execute(text(_PG_USER_TABLES))).all()
            quote = connection.dialect.identifier_preparer.quote
            found: dict[tuple[str, str], bool] = {}
            for schema, table in names:
                has_rows = (
                    await connection.execute(text(f"SELECT EXISTS (SELECT 1 FROM {quote(schema)}.{quote(table)})"))
                ).scalar_one()
                found[(str(schema), str(table))] = bool(has_rows)
            return found
    finally:
        await engine.dispose()


async def dump_postgres(database_url: str, target: Path) -> None:
    libpq = libpq_target(database_url)
    pg_dump = find_pg_tool("pg_dump", await pg_server_major(database_url))
    command = [
        str(pg_dump),
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--no-password",
        f"--file={target}",
        f"--dbname={libpq.conninfo}",
    ]
    await asyncio.to_thread(_run_tool, command, libpq.env)


async def restore_postgres(database_url: str, dump: Path, server_major: int) -> None:
    libpq = libpq_target(database_url)
    pg_restore = find_pg_tool("pg_restore", server_major)
    # --clean drops each object before recreating it, so the append-only trigger on the audit table is never
    # fired (tables are dropped, not emptied) and comes back with the dump; one transaction: all or nothing.
    command = [
        str(pg_restore),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        "--no-password",
        f"--dbname={libpq.conninfo}",
        str(dump),
    ]
    await asyncio.to_thread(_run_tool, command, libpq.env)


async def pg_archive_tables(dump: Path, server_major: int) -> set[tuple[str, str]]:
    pg_restore = find_pg_tool("pg_restore", server_major)
    listing = await asyncio.to_thread(_run_tool, [str(pg_restore), "--list", str(dump)], {})
    return tables_in_pg_listing(listing)


# ---------------------------------------------------------------- use cases


@dataclass(frozen=True, slots=True)
class BackupResult:
    archive: Path
    checksum_file: Path
    sha256: str
    size: int
    manifest: Manifest


@dataclass(frozen=True, slots=True)
class RestoreResult:
    manifest: Manifest
    archive_checksum_checked: bool
    overwrote_data: bool


async def create_backup(
    database_url: str, out_dir: Path, *, report: Report = _silent, clock: Clock | None = None
) -> BackupResult:
    """Writes `his-backup-<UTC>-<dialect>.tar.gz` and its `.sha256` into out_dir."""
    dialect = dialect_of(database_url)
    created_at = (clock or SystemClock()).now().astimezone(UTC).replace(microsecond=0)
    if dialect == "sqlite" and not sqlite_path(database_url).exists():
        raise BackupError("there is no SQLite database at {path}", path=str(sqlite_path(database_url)))
    # Backups hold personal health data: keep the directory private to the service account.
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    archive = out_dir / archive_name(created_at, dialect)
    if archive.exists():
        raise BackupError("{path} already exists", path=str(archive))

    payload_name = PAYLOAD_NAMES[dialect]
    with tempfile.TemporaryDirectory(prefix=".his-backup-", dir=out_dir) as staging_name:
        staging = Path(staging_name)
        payload = staging / payload_name
        if dialect == "sqlite":
            report("copying the SQLite database (online backup API)")
            await asyncio.to_thread(snapshot_sqlite, sqlite_path(database_url), payload)
            # Read from the copy: the revisions are those of the data, and no lock is taken on the live
            # file (the engine's BEGIN IMMEDIATE would wait for the application's writers).
            heads = await asyncio.to_thread(sqlite_heads, payload)
        else:
            from his.kernel.migrate import stored_revisions

            heads = await stored_revisions(database_url)
            report("dumping the PostgreSQL database (pg_dump)")
            await dump_postgres(database_url, payload)
        report("computing checksums")
        digest, size = await asyncio.to_thread(sha256_file, payload)
        manifest = Manifest(
            created_at=created_at,
            dialect=dialect,
            alembic_heads=tuple(sorted(heads)),
            app_version=app_version(),
            members=(MemberDigest(name=payload_name, sha256=digest, size=size),),
        )
        report("writing the archive")
        await asyncio.to_thread(write_archive, archive, manifest, staging)
    checksum_file, archive_digest = await asyncio.to_thread(write_checksum_file, archive)
    return BackupResult(
        archive=archive,
        checksum_file=checksum_file,
        sha256=archive_digest,
        size=archive.stat().st_size,
        manifest=manifest,
    )


async def restore_backup(
    database_url: str, archive: Path, *, confirm_overwrite: Callable[[], bool], report: Report = _silent
) -> RestoreResult:
    """Verifies the archive completely, then replaces the database's content with it.

    `confirm_overwrite` is asked only when the target holds data; returning False refuses the restore.
    """
    dialect = dialect_of(database_url)
    if not archive.is_file():
        raise BackupError("no archive at {path}", path=str(archive))
    report("checking the archive checksum")
    checked = await asyncio.to_thread(verify_archive_checksum, archive)

    # SQLite: stage beside the database so that the final rename is atomic (same filesystem).
    staging_parent: Path | None = None
    if dialect == "sqlite":
        staging_parent = sqlite_path(database_url).resolve().parent
        staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".his-restore-", dir=staging_parent) as staging_name:
        staging = Path(staging_name)
        report("verifying every member against the manifest")
        manifest = await asyncio.to_thread(read_archive, archive, staging)
        check_compatible(manifest, target_dialect=dialect, known_revisions=known_revisions(database_url))
        payload = staging / PAYLOAD_NAMES[dialect]

        if dialect == "sqlite":
            target = sqlite_path(database_url)
            has_data = await asyncio.to_thread(sqlite_has_data, target)
            if has_data and not confirm_overwrite():
                raise BackupError("the database holds data; pass --yes to overwrite it")
            report("replacing the SQLite database")
            await asyncio.to_thread(restore_sqlite, payload, target)
        else:
            major = await pg_server_major(database_url)
            tables = await pg_tables(database_url)
            # pg_restore --clean drops only what the dump holds: a table made after the backup would survive
            # and the result would not equal the backup.
            extra = sorted(set(tables) - await pg_archive_tables(payload, major))
            if extra:
                raise BackupError(
                    "the target database has tables the archive does not ({tables}); "
                    "restore into an empty database instead",
                    tables=", ".join(f"{schema}.{table}" for schema, table in extra),
                )
            has_data = any(has_rows for (_, table), has_rows in tables.items() if table in USAGE_TABLES)
            if has_data and not confirm_overwrite():
                raise BackupError("the database holds data; pass --yes to overwrite it")
            report("restoring the PostgreSQL database (pg_restore, one transaction)")
            await restore_postgres(database_url, payload, major)
    return RestoreResult(manifest=manifest, archive_checksum_checked=checked, overwrote_data=has_data)
