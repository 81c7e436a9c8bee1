"""The security kernel through the HTTP API (criterion 114, 123, 126), on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar, get
from litestar.params import FromPath
from litestar.testing import TestClient

from his.app import create_app
from his.kernel.clock import FixedClock
from his.kernel.demo import DEMO_PASSWORD
from his.settings import Settings
from tests.conftest import login, make_settings, seed_staff

pytestmark = pytest.mark.criterion(114)


def audit_rows(client: TestClient[Litestar], **filters: str) -> list[dict[str, object]]:
    """Reads the audit trail as the auditor, then signs back out."""
    client.cookies.clear()
    login(client, "kiemtoan")
    response = client.get("/api/v1/audit", params={"limit": "200", **filters})
    assert response.status_code == 200, response.text
    client.cookies.clear()
    items: list[dict[str, object]] = response.json()["items"]
    return items


def test_wrong_password_is_401_and_audited(client: TestClient[Litestar]) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "bacsi", "password": "wrong-Password-1"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 401 and body["detail"] and body["request_id"]
    rows = audit_rows(client, action="auth.login", username="bacsi")
    assert [r["outcome"] for r in rows] == ["bad_credentials"]


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client: TestClient[Litestar]) -> None:
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    wrong = client.post("/api/v1/auth/login", json={"username": "bacsi", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_repeated_failures_lock_the_account(client: TestClient[Litestar], settings: Settings) -> None:
    for _ in range(settings.security.lockout_threshold):
        client.post("/api/v1/auth/login", json={"username": "bacsi", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post("/api/v1/auth/login", json={"username": "bacsi", "password": DEMO_PASSWORD})
    assert response.status_code == 401
    outcomes = [r["outcome"] for r in audit_rows(client, action="auth.login", username="bacsi")]
    assert outcomes.count("locked") == 2 and outcomes.count("bad_credentials") == 4


@pytest.fixture
def clocked(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient[Litestar], FixedClock, Settings]]:
    settings = make_settings(database_url, tmp_path / "var", session_idle_minutes=30, session_absolute_hours=8)
    asyncio.run(seed_staff(settings))
    clock = FixedClock(datetime(2026, 11, 22, 8, 0, tzinfo=UTC))
    with TestClient(app=create_app(settings, clock=clock)) as client:
        yield client, clock, settings


def test_lockout_ends_after_its_period(clocked: tuple[TestClient[Litestar], FixedClock, Settings]) -> None:
    client, clock, settings = clocked
    for _ in range(settings.security.lockout_threshold):
        client.post("/api/v1/auth/login", json={"username": "bacsi", "password": "wrong"})
    assert client.post("/api/v1/auth/login", json={"username": "bacsi", "password": DEMO_PASSWORD}).status_code == 401
    clock.advance(timedelta(minutes=settings.security.lockout_minutes + 1))
    assert client.post("/api/v1/auth/login", json={"username": "bacsi", "password": DEMO_PASSWORD}).status_code == 200


def test_idle_and_absolute_session_timeouts(
    clocked: tuple[TestClient[Litestar], FixedClock, Settings],
) -> None:
    client, clock, _ = clocked
    login(client, "bacsi")
    clock.advance(timedelta(minutes=29))
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert client.get("/api/v1/auth/me").status_code == 401
    # Kept busy, a session still ends at its absolute limit.
    login(client, "bacsi")
    for _ in range(20):
        clock.advance(timedelta(minutes=25))
        if client.get("/api/v1/auth/me").status_code != 200:
            break
    assert clock.now() - datetime(2026, 11, 22, 9, 0, tzinfo=UTC) <= timedelta(hours=8, minutes=25)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_session_cookie_is_httponly_and_samesite(client: TestClient[Litestar]) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "bacsi", "password": DEMO_PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie


def test_logout_of_all_sessions(client: TestClient[Litestar]) -> None:
    # Two sign-ins of one user (e.g. two workstations); one client, switching cookies between them.
    login(client, "bacsi")
    first_cookie = client.cookies.get("his_session")
    client.cookies.clear()
    csrf = login(client, "bacsi")
    response = client.post("/api/v1/auth/logout", params={"all_sessions": "true"}, headers={"x-csrf-token": csrf})
    assert response.status_code == 200 and response.json()["sessions_closed"] == 2
    client.cookies.clear()
    client.cookies.set("his_session", first_cookie or "")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_receptionist_gets_403_on_admin_routes_and_it_is_audited(client: TestClient[Litestar]) -> None:
    login(client, "letan")
    for path in ("/api/v1/users", "/api/v1/roles", "/api/v1/tokens", "/api/v1/audit"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["status"] == 403
    denied = audit_rows(client, action="access.denied", username="letan")
    assert len(denied) == 4 and all(r["outcome"] == "denied" for r in denied)


def test_anonymous_gets_401_problem(client: TestClient[Litestar]) -> None:
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.json()["title"]


def test_problem_details_follow_the_language(client: TestClient[Litestar]) -> None:
    english = client.get("/api/v1/users", headers={"accept-language": "en"})
    vietnamese = client.get("/api/v1/users")
    assert english.headers["content-language"] == "en" and english.json()["detail"] == "Please sign in"
    assert vietnamese.headers["content-language"] == "vi"
    assert vietnamese.json()["detail"] != "Please sign in"


def test_browser_session_writes_need_the_csrf_token(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    body = {"name": "Bệnh viện A", "facility_code": "01234"}
    assert client.put("/api/v1/config/hospital", json=body).status_code == 403
    assert client.put("/api/v1/config/hospital", json=body, headers={"x-csrf-token": "forged"}).status_code == 403
    assert client.put("/api/v1/config/hospital", json=body, headers={"x-csrf-token": csrf}).status_code == 200


def test_api_tokens_are_scoped_and_revocable(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    issued = client.post(
        "/api/v1/tokens",
        json={"name": "LIS gateway", "scopes": ["audit.read"]},
        headers={"x-csrf-token": csrf},
    )
    assert issued.status_code == 201, issued.text
    secret = issued.json()["secret"]
    client.cookies.clear()
    bearer = {"authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/audit", headers=bearer).status_code == 200
    # The owner may manage users, but the token was not given that scope.
    assert client.get("/api/v1/users", headers=bearer).status_code == 403
    # Bearer requests carry no cookie, so they need no CSRF token.
    listed = client.get("/api/v1/tokens", headers=bearer)
    assert listed.status_code == 403
    csrf = login(client, "admin")
    assert client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers={"x-csrf-token": csrf}).status_code == 204
    client.cookies.clear()
    assert client.get("/api/v1/audit", headers=bearer).status_code == 401


def test_token_scopes_must_be_known_permissions(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    response = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["everything"]}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes"


@pytest.mark.criterion(126)
def test_login_rate_limit(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, login_attempts_per_minute=3)
    asyncio.run(seed_staff(settings))
    with TestClient(app=create_app(settings)) as client:
        codes = [
            client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"}).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        last = client.post("/api/v1/auth/login", json={"username": "bacsi", "password": DEMO_PASSWORD})
        assert last.status_code == 429 and int(last.headers["retry-after"]) > 0


@pytest.mark.criterion(126)
def test_api_rate_limit(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, api_requests_per_minute=5)
    asyncio.run(seed_staff(settings))
    with TestClient(app=create_app(settings)) as client:
        login(client, "bacsi")
        codes = [client.get("/api/v1/auth/me").status_code for _ in range(6)]
        assert codes[-1] == 429 and codes[:4] == [200] * 4


def test_security_headers_and_request_id(client: TestClient[Litestar]) -> None:
    response = client.get("/login")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) >= 8
    echoed = client.get("/health/live", headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"


def test_every_route_declares_public_or_a_permission(app: Litestar) -> None:
    undeclared = [
        (route.path, handler.handler_name)
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if not handler.opt.get("public")
        and not handler.opt.get("permission")
        # Litestar's automatic OPTIONS answers are denied by the guard like any undeclared route.
        and set(getattr(handler, "http_methods", ())) != {"OPTIONS"}
    ]
    assert undeclared == []


def test_a_route_without_a_declared_permission_is_denied(app: Litestar, staff: dict[str, str]) -> None:
    @get("/api/v1/undeclared", sync_to_thread=False)
    def undeclared() -> dict[str, str]:
        return {"leak": "yes"}

    app.register(undeclared)
    with TestClient(app=app) as client:
        login(client, "admin")
        assert client.get("/api/v1/undeclared").status_code == 403


def test_unhandled_errors_show_no_internals(app: Litestar, staff: dict[str, str]) -> None:
    @get("/api/v1/boom", opt={"public": True}, sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.register(boom)
    with TestClient(app=app) as client:
        response = client.get("/api/v1/boom")
        assert response.status_code == 500
        assert "secret internal detail" not in response.text
        assert response.json()["request_id"] == response.headers["x-request-id"]


def test_bad_json_input_is_a_400_problem_and_writes_nothing(client: TestClient[Litestar]) -> None:
    csrf = login(client, "admin")
    response = client.post("/api/v1/users", json={"username": "x"}, headers={"x-csrf-token": csrf})
    assert response.status_code == 400
    assert response.json()["errors"]
    weak = client.post(
        "/api/v1/users",
        json={"username": "newdoc", "full_name": "BS. Mới", "password": "short", "roles": ["doctor"]},
        headers={"x-csrf-token": csrf},
    )
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    users = [u["username"] for u in client.get("/api/v1/users").json()]
    assert "newdoc" not in users


@pytest.mark.criterion(116)
def test_reads_of_patient_data_are_audited_before_they_happen(app: Litestar, staff: dict[str, str]) -> None:
    from his.kernel.web.guard import requires

    @get(
        "/api/v1/example-patients/{patient_id:str}",
        opt=requires("audit.read", reads_patient="patient_id"),
        sync_to_thread=False,
    )
    def example_patient(patient_id: FromPath[str]) -> dict[str, str]:
        return {"id": patient_id}

    app.register(example_patient)
    with TestClient(app=app) as client:
        login(client, "kiemtoan")
        assert client.get("/api/v1/example-patients/BN000042").status_code == 200
        rows = client.get("/api/v1/audit", params={"patient_id": "BN000042"}).json()["items"]
        assert [(r["action"], r["username"], r["outcome"]) for r in rows] == [("patient.read", "kiemtoan", "allowed")]
        client.cookies.clear()
        login(client, "letan")
        assert client.get("/api/v1/example-patients/BN000043").status_code == 403
        client.cookies.clear()
        login(client, "kiemtoan")
        # A refused request disclosed nothing: it is audited as a denial, not as a read.
        assert client.get("/api/v1/audit", params={"patient_id": "BN000043"}).json()["items"] == []


def test_every_route_with_a_patient_in_its_path_audits_reads(app: Litestar) -> None:
    unaudited = [
        route.path
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if "{patient_id" in route.path
        and "GET" in getattr(handler, "http_methods", ())
        and not handler.opt.get("reads_patient")
    ]
    assert unaudited == []
