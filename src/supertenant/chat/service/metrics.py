"""Prometheus metrics of the chat service, in a registry of its own (one per app, so tests stay apart)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

from supertenant.chat.service.labels import TenantLabels

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass
class ChatMetrics:
    """Requests by outcome, latency and errors, each labelled by a bounded tenant label."""

    max_tenants: int = 50
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.tenant_label = TenantLabels(self.max_tenants)
        self.requests = Counter(
            "supertenant_chat_requests",
            "Chat requests by outcome (chart, refusal, clarify, error)",
            ["tenant", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "supertenant_chat_request_seconds",
            "Time from the request to the saved chart (or the answer)",
            ["tenant", "outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "supertenant_chat_errors",
            "Chat requests that failed, by kind (superset, auth, disabled, planner, internal)",
            ["tenant", "kind"],
            registry=self.registry,
        )
        self.planner_fallbacks = Counter(
            "supertenant_chat_planner_fallbacks",
            "LLM answers replaced by the offline planner (error, timeout, invalid after repair)",
            ["tenant", "reason"],
            registry=self.registry,
        )

    def observe(self, slug: str | None, outcome: str, seconds: float) -> None:
        tenant = self.tenant_label(slug)
        self.requests.labels(tenant, outcome).inc()
        self.latency.labels(tenant, outcome).observe(seconds)

    def error(self, slug: str | None, kind: str) -> None:
        self.errors.labels(self.tenant_label(slug), kind).inc()
