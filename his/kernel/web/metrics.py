"""Prometheus metrics for one application (criterion 111): requests, latencies, errors, database pool."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.pool import QueuePool

from his.kernel.db import Database


class Metrics:
    def __init__(self) -> None:
        # A registry per application: no process-wide global, so tests can build many apps.
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "his_http_requests", "HTTP requests served", ["method", "route", "status"], registry=self.registry
        )
        self.errors = Counter(
            "his_http_errors", "HTTP responses with status 500 or more", ["route"], registry=self.registry
        )
        self.latency = Histogram(
            "his_http_request_duration_seconds",
            "Time to serve a request",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.pool_checked_out = Gauge("his_db_pool_checked_out", "Database connections in use", registry=self.registry)
        self.pool_size = Gauge("his_db_pool_size", "Database connections kept open", registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float, db: Database) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if status >= 500:
            self.errors.labels(route).inc()

    def render(self, db: Database) -> bytes:
        pool = db.engine.sync_engine.pool
        if isinstance(pool, QueuePool):
            self.pool_checked_out.set(pool.checkedout())
            self.pool_size.set(pool.size())
        return generate_latest(self.registry)
