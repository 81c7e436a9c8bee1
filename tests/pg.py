"""A PostgreSQL server for the test session: HIS_TEST_DATABASE_URL, or a throwaway cluster we start."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    candidates: list[str] = []
    if pg_config:
        candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PostgresUnavailable("no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Yields a server URL (no database name) for a fresh cluster, stopped and deleted afterwards."""
    bindir = _bindir()
    run_as: str | None = None
    if os.geteuid() == 0:
        # initdb refuses to run as root; use the postgres system account that the server package creates.
        try:
            pwd.getpwnam("postgres")
        except KeyError as missing:
            raise PostgresUnavailable("running as root and there is no 'postgres' user to run the cluster") from missing
        run_as = "postgres"
    workdir = Path(tempfile.mkdtemp(prefix="his-pg-"))
    data = workdir / "data"
    if run_as:
        shutil.chown(workdir, user=run_as)
        workdir.chmod(0o700)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    subprocess.run(
        [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
        user=run_as,
        env=env,
    )
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(workdir / "log"), "-w", "start"],
        check=True,
        capture_output=True,
        user=run_as,
        env=env,
    )
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=run_as,
            env=env,
        )
        shutil.rmtree(workdir, ignore_errors=True)
