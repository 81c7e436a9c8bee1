"""A real server (uvicorn, migrated SQLite) and Debian's headless Chromium driven by Playwright.

Nothing is installed from here: the browser is /usr/bin/chromium (`apt-get install chromium`). Without it the
browser tests are skipped, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright

from his.kernel.migrate import upgrade
from tests.conftest import make_settings, seed_staff

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 820, "height": 1180}
SCREENSHOTS = Path("/tmp")
CHEAP_ARGON2 = {"HIS_SECURITY__ARGON2_TIME_COST": "1", "HIS_SECURITY__ARGON2_MEMORY_KIB": "8192"}
STARTUP_SECONDS = 60


@dataclass
class LiveServer:
    url: str
    database_url: str
    log: Path
    # Why the packaged ICD-10 list could not be imported (None: it was).
    icd10_problem: str | None = None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _his_command(*args: str) -> list[str]:
    # `his.cli.run` adds every module's commands (the `catalog` group among them).
    return [sys.executable, "-c", "import sys; from his.cli import run; sys.argv[0] = 'his'; run()", *args]


def _import_icd10(database_url: str, env: dict[str, str]) -> str | None:
    """Imports the packaged national ICD-10 list with the catalogs module's CLI; returns a problem or None."""
    done = subprocess.run(
        _his_command("--database-url", database_url, "catalog", "import", "icd10"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        output = (done.stderr or done.stdout)[-2000:]
        return f"`his catalog import icd10` failed ({done.returncode}): {output}"
    return None


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {STARTUP_SECONDS} s:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="package")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's browser with `apt-get install chromium`"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return CHROMIUM


def his_command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`his ARGS` in a subprocess (Playwright's event loop may already run in this process)."""
    return subprocess.run(_his_command(*args), env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="package")
def demo_database(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pristine SQLite file of the whole demo hospital (`his db upgrade` + `his demo seed`), made once for the
    browser tests that walk a day in it; each copies it. HIS_E2E_SEEDED_DB names an already seeded copy (a
    developer's shortcut)."""
    root = tmp_path_factory.mktemp("demo")
    target = root / "his.db"
    cached = os.environ.get("HIS_E2E_SEEDED_DB")
    if cached and Path(cached).exists():
        shutil.copyfile(cached, target)
        return target
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "HIS_DATABASE_URL": f"sqlite+aiosqlite:///{target}",
        "HIS_DATA_DIR": str(root / "var"),
        "HIS_LOG_LEVEL": "WARNING",
    }
    migrated = his_command(env, "db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    seeded = his_command(env, "demo", "seed")
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    return target


@pytest.fixture(scope="package")
def live_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The real application in a uvicorn subprocess over a migrated SQLite database with one user per role."""
    root = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite+aiosqlite:///{root / 'his.db'}"
    upgrade(database_url)
    asyncio.run(seed_staff(make_settings(database_url, root / "var")))
    env = {
        **os.environ,
        **CHEAP_ARGON2,
        "HIS_DATABASE_URL": database_url,
        "HIS_DATA_DIR": str(root / "var"),
        "HIS_LOG_LEVEL": "WARNING",
    }
    icd10_problem = _import_icd10(database_url, env)
    port = _free_port()
    log = root / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "his.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, log)
        yield LiveServer(url=url, database_url=database_url, log=log, icd10_problem=icd10_problem)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="package")
def browser(chromium: Path, live_server: LiveServer) -> Iterator[Browser]:
    # After live_server: Playwright's sync API keeps an event loop running, and the set-up uses asyncio.run.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def new_context(browser: Browser, live_server: LiveServer) -> BrowserContext:
    """A fresh browser profile (no cookies): desktop size, Vietnamese locale, Viet Nam time."""
    created = browser.new_context(
        base_url=live_server.url, viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    created.set_default_timeout(15_000)
    return created


@pytest.fixture
def context(browser: Browser, live_server: LiveServer) -> Iterator[BrowserContext]:
    created = new_context(browser, live_server)
    try:
        yield created
    finally:
        created.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Script errors and Content-Security-Policy violations seen by `page`."""
    return []


@pytest.fixture
def page(context: BrowserContext, page_errors: list[str]) -> Page:
    opened = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        # A refused page (403) logs "Failed to load resource"; that is the server's answer, not a fault.
        if message.type == "error" and "Failed to load resource" not in message.text:
            page_errors.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: page_errors.append(str(error)))
    return opened


def screenshot(page: Page, name: str) -> Path:
    path = SCREENSHOTS / f"e2e-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
