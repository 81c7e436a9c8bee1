"""`his user ...` goes through the same audited use cases as the API and the pages (criterion 30)."""

from __future__ import annotations

import getpass

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient

from his.cli import build_cli
from tests.conftest import login

pytestmark = pytest.mark.criterion(30)


def his(database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(), ["--database-url", database_url, *args], input=stdin)
    return result.exit_code, result.output


def test_user_commands_are_audited_and_take_effect(client: TestClient[Litestar], database_url: str) -> None:
    code, output = his(
        database_url,
        "user",
        "add",
        "ktv2",
        "--name",
        "KTV. Mai Lan",
        "--role",
        "lab_technician",
        stdin="Xet-Nghiem-2026\n",
    )
    assert code == 0, output
    assert his(database_url, "user", "roles", "ktv2", "--set", "lab_technician", "--set", "nurse")[1].split() == [
        "lab_technician",
        "nurse",
    ]
    assert his(database_url, "user", "disable", "ktv2")[0] == 0
    assert (
        client.post("/api/v1/auth/login", json={"username": "ktv2", "password": "Xet-Nghiem-2026"}).status_code == 401
    )
    assert his(database_url, "user", "disable", "ktv2", "--enable")[0] == 0
    assert his(database_url, "user", "reset-password", "ktv2", "--password", "Moi-Mat-Khau-99")[0] == 0
    login(client, "ktv2", "Moi-Mat-Khau-99")
    client.cookies.clear()
    login(client, "kiemtoan")
    cli_user = f"cli:{getpass.getuser()}"
    actions = [r["action"] for r in client.get("/api/v1/audit", params={"username": cli_user}).json()["items"]]
    assert sorted(actions) == ["user.create", "user.reset_password", "user.update", "user.update", "user.update"]


def test_bad_input_exits_non_zero_with_a_message(client: TestClient[Litestar], database_url: str) -> None:
    code, output = his(database_url, "user", "add", "x1", "--name", "X", "--role", "doctor", "--password", "short")
    assert code != 0 and "at least" in output
    code, output = his(
        database_url, "user", "add", "x2", "--name", "X", "--role", "wizard", "--password", "Abcdef-12345"
    )
    assert code != 0 and "Unknown role" in output
    code, output = his(database_url, "user", "disable", "nobody")
    assert code != 0 and "No user" in output
