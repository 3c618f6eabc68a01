"""Prometheus ``/metrics`` from the Superset process, correct under multi-process gunicorn.

prometheus_client's multiprocess mode keeps each worker's values in files under
``PROMETHEUS_MULTIPROC_DIR`` and `MultiProcessCollector` sums them on scrape, so
any worker can answer ``/metrics`` for all of them. The directory must be set
before prometheus_client creates a metric; `register_metrics` sets it (default
``DATA_DIR/prometheus``) when the environment does not. Wipe it when the
container starts (a fresh Cloud Run instance starts empty).

The ``tenant`` label is the slug, ``_platform`` for platform users and anonymous
callers, and ``_other`` beyond `MAX_TENANT_LABELS` distinct values per process, so
a flood of tenants cannot blow up the series count.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from supertenant.metering.events import UsageEvent
from supertenant.metering.scrape import scrape_allowed
from supertenant.settings import get_settings
from supertenant.superset_ext.usage import RequestUsage, add_observer

MAX_TENANT_LABELS = 500
PLATFORM = "_platform"
OTHER = "_other"
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class TenantLabels:
    """Bounded tenant label values (thread-safe, per process)."""

    def __init__(self, limit: int = MAX_TENANT_LABELS) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, tenant: str | None) -> str:
        if not tenant:
            return PLATFORM
        with self._lock:
            if tenant in self._seen:
                return tenant
            if len(self._seen) < self._limit:
                self._seen.add(tenant)
                return tenant
        return OTHER


def multiprocess_dir(data_dir: Path) -> Path:
    """``PROMETHEUS_MULTIPROC_DIR`` from the environment, else under the data dir (created)."""
    path = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "prometheus")
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


class Metrics:
    def __init__(self) -> None:
        import prometheus_client
        from prometheus_client import values

        # prometheus_client picks its value class at import time; make sure it is the multiprocess one.
        values.ValueClass = values.get_value_class()
        registry = prometheus_client.CollectorRegistry(auto_describe=True)
        self.registry = registry  # only for the metric objects; scrapes use MultiProcessCollector
        labels = ("tenant", "endpoint")
        self.requests = prometheus_client.Counter(
            "supertenant_http_requests",
            "Requests by tenant, endpoint and status class",
            (*labels, "status"),
            registry=registry,
        )
        self.latency = prometheus_client.Histogram(
            "supertenant_http_request_duration_seconds",
            "Request latency by tenant and endpoint",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.chart_queries = prometheus_client.Counter(
            "supertenant_chart_data_requests",
            "Chart-data requests by cache outcome",
            ("tenant", "cache"),
            registry=registry,
        )
        self.warehouse_queries = prometheus_client.Counter(
            "supertenant_warehouse_queries",
            "Statements sent to the warehouse",
            ("tenant",),
            registry=registry,
        )
        self.bytes_scanned = prometheus_client.Counter(
            "supertenant_warehouse_bytes_scanned",
            "Estimated warehouse bytes (DuckDB), recorded at flush",
            ("tenant",),
            registry=registry,
        )
        self.bytes_returned = prometheus_client.Counter(
            "supertenant_response_bytes",
            "Response bytes of usage requests",
            ("tenant", "endpoint"),
            registry=registry,
        )
        self.budget_refusals = prometheus_client.Counter(
            "supertenant_budget_refusals",
            "Queries refused because the tenant is over its daily budget",
            ("tenant",),
            registry=registry,
        )
        self.usage_events = prometheus_client.Counter(
            "supertenant_usage_events_flushed",
            "Usage events written to the registry",
            ("tenant", "kind"),
            registry=registry,
        )
        self.tenant = TenantLabels()

    def observe(self, usage: RequestUsage) -> None:
        if usage.endpoint == "static":
            return
        tenant = self.tenant(usage.tenant)
        status = f"{usage.status_code // 100}xx"
        self.requests.labels(tenant, usage.endpoint, status).inc()
        self.latency.labels(tenant, usage.endpoint).observe(usage.duration_s)
        if usage.warehouse_queries:
            self.warehouse_queries.labels(tenant).inc(usage.warehouse_queries)
        if usage.endpoint == "chart_data" and usage.status_code < 400:
            self.chart_queries.labels(tenant, "miss" if usage.warehouse_queries else "hit").inc()
        if usage.bytes_returned and usage.endpoint not in ("api", "page"):
            self.bytes_returned.labels(tenant, usage.endpoint).inc(usage.bytes_returned)
        if usage.refused:
            self.budget_refusals.labels(tenant).inc()

    def flushed(self, events: list[UsageEvent]) -> None:
        for event in events:
            tenant = self.tenant(event.tenant)
            self.usage_events.labels(tenant, event.kind).inc()
            if event.bytes_scanned:
                self.bytes_scanned.labels(tenant).inc(event.bytes_scanned)


def exposition(token: str | None) -> Response:
    """The ``/metrics`` body, summed over every worker's files; 404 to anyone not allowed."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess

    from supertenant.superset_ext.context import request_tenant

    allowed = scrape_allowed(
        token=token,
        authorization=request.headers.get("Authorization", ""),
        remote_addr=request.remote_addr,
        forwarded_for=request.headers.get("X-Forwarded-For"),
        tenant_user=request_tenant() is not None,
    )
    if not allowed:
        return Response("Not Found\n", status=404, mimetype="text/plain")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def register_metrics(app: Flask) -> Metrics:
    """Count every request (through the usage hooks) and serve ``/metrics``."""
    settings = get_settings()
    multiprocess_dir(Path(settings.data_dir))
    metrics = Metrics()
    add_observer(app, metrics.observe)
    recorder: Any = app.extensions.get("supertenant_usage_recorder")
    if recorder is not None:
        recorder.add_flush_listener(metrics.flushed)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    app.add_url_rule("/metrics", "supertenant_metrics", lambda: exposition(token), methods=["GET"])
    return metrics
