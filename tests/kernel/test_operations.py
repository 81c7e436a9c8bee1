"""Operations: Prometheus metrics, JSON logs, health checks, OpenAPI (criteria 94, 101, 111)."""

from __future__ import annotations

import json
import logging

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from his.kernel.logs import JsonFormatter
from tests.conftest import login


@pytest.mark.criterion(111)
def test_metrics_need_a_monitoring_token_and_count_requests(client: TestClient[Litestar]) -> None:
    assert client.get("/metrics").status_code == 401
    csrf = login(client, "admin")
    token = client.post(
        "/api/v1/tokens",
        json={"name": "prometheus", "scopes": ["system.monitor"]},
        headers={"x-csrf-token": csrf},
    ).json()["secret"]
    client.cookies.clear()
    client.get("/health/live")
    client.get("/api/v1/nothing-here")
    response = client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200
    text = response.text
    assert 'his_http_requests_total{method="GET",route="/health/live",status="200"}' in text
    assert "his_http_request_duration_seconds_bucket" in text
    assert 'status="404"' in text
    assert "his_db_pool_checked_out" in text


@pytest.mark.criterion(111)
def test_readiness_reports_the_database(client: TestClient[Litestar]) -> None:
    body = client.get("/health/ready").json()
    assert body["status"] == "ok" and body["database"] in {"sqlite", "postgresql"}


@pytest.mark.criterion(101)
def test_openapi_document_describes_the_api(client: TestClient[Litestar]) -> None:
    schema = client.get("/schema/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in schema["paths"] and "/api/v1/audit" in schema["paths"]


@pytest.mark.criterion(94)
def test_log_lines_are_json_with_severity() -> None:
    record = logging.LogRecord("his.http", logging.WARNING, __file__, 1, "request", None, None)
    record.request_id = "abc"
    line = json.loads(JsonFormatter().format(record))
    assert line["severity"] == "WARNING" and line["message"] == "request" and line["request_id"] == "abc"
    assert line["time"].endswith("+00:00")


@pytest.mark.criterion(94)
def test_unhandled_errors_are_logged_with_the_request_id(
    app: Litestar, staff: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    @get("/api/v1/fails", opt={"public": True}, sync_to_thread=False)
    def fails() -> None:
        raise ValueError("database exploded")

    app.register(fails)
    logging.getLogger("his").propagate = True
    try:
        with caplog.at_level(logging.ERROR, logger="his.errors"), TestClient(app=app) as client:
            response = client.get("/api/v1/fails", headers={"x-request-id": "req-77"})
    finally:
        logging.getLogger("his").propagate = False
    assert response.status_code == 500
    logged = [r for r in caplog.records if r.name == "his.errors"]
    assert logged and getattr(logged[0], "request_id", None) == "req-77"
    assert "database exploded" in (logged[0].exc_text or str(logged[0].exc_info))
