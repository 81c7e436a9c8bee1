from __future__ import annotations

from litestar import Litestar
from litestar.testing import TestClient

from tests.conftest import login


def test_health(client: TestClient[Litestar]) -> None:
    assert client.get("/health/live").json() == {"status": "ok"}
    assert client.get("/health/ready").status_code == 200


def test_login_and_me(client: TestClient[Litestar]) -> None:
    login(client, "admin")
    me = client.get("/api/v1/auth/me").json()
    assert me["username"] == "admin"
    assert "admin.users" in me["permissions"]
