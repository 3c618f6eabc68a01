"""The Superset-side usage hooks on a bare Flask app: events, budget refusal, SQL audit, never failing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import structlog
from flask import Flask, g, jsonify

from supertenant.metering.events import UsageEvent
from supertenant.metering.pricebook import parse_pricebook
from supertenant.metering.rating import BudgetDecision
from supertenant.superset_ext.context import EXTENSION_KEY
from supertenant.superset_ext.usage import RequestUsage, UsageHooks, add_observer, log_query


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@dataclass(frozen=True)
class Tenant:
    slug: str


@dataclass
class Directory:
    members: dict[int, str]

    def tenant_of_user(self, user_id: int | None) -> Tenant | None:
        slug = self.members.get(user_id or -1)
        return Tenant(slug) if slug else None


@dataclass
class User:
    id: int
    username: str
    is_authenticated: bool = True


@dataclass
class Recorder:
    events: list[UsageEvent] = field(default_factory=list)

    def record(self, event: UsageEvent) -> None:
        self.events.append(event)


@dataclass
class Budget:
    allowed: bool
    book: Any = field(default_factory=lambda: parse_pricebook("plans: {}"))

    def decision(self, tenant: str) -> BudgetDecision:
        return BudgetDecision(self.allowed, Decimal("30"), Decimal("25"))


def make_app(
    budget: Budget | None = None, user: User | None = None
) -> tuple[Flask, Recorder, list[RequestUsage]]:
    app = Flask(__name__)
    app.extensions[EXTENSION_KEY] = Directory({1: "acme"})
    recorder, seen = Recorder(), []

    @app.before_request
    def _login() -> None:
        g.user = user

    hooks = UsageHooks(recorder, budget)  # type: ignore[arg-type]
    app.before_request(hooks.before)
    app.after_request(hooks.after)
    app.teardown_request(hooks.teardown)
    add_observer(app, seen.append)

    @app.post("/api/v1/chart/data")
    def chart_data() -> Any:
        log_query("duckdb:////w.duckdb", "SELECT 1", "acme", "superset.models.core", None)
        return jsonify({"result": [{"data": [1, 2, 3]}]})

    @app.get("/api/v1/dashboard/<ref>")
    def dashboard(ref: str) -> Any:
        return jsonify({"id": ref})

    @app.get("/superset/welcome/")
    def welcome() -> str:
        return "hi"

    return app, recorder, seen


def test_chart_data_is_one_event_with_its_statement() -> None:
    app, recorder, seen = make_app(user=User(1, "ana@acme"))
    body = {"form_data": {"slice_id": 7}, "result_format": "json"}
    response = app.test_client().post("/api/v1/chart/data", json=body, headers={"X-Request-Id": "req-1"})
    assert response.status_code == 200
    [event] = recorder.events
    assert (event.kind, event.tenant, event.user_id, event.username) == ("chart_data", "acme", 1, "ana@acme")
    assert (event.object_type, event.object_id, event.status) == ("chart", "7", "ok")
    assert event.request_id == "req-1"
    assert event.warehouse_queries == 1
    assert event.queries[0].sql == "SELECT 1"
    assert event.bytes_returned == len(response.data)
    assert seen[0].endpoint == "chart_data"
    assert seen[0].tenant == "acme"


def test_pages_are_observed_but_not_usage_events() -> None:
    app, recorder, seen = make_app(user=User(1, "ana@acme"))
    assert app.test_client().get("/superset/welcome/").status_code == 200
    assert recorder.events == []
    assert [s.endpoint for s in seen] == ["page"]


def test_platform_users_are_recorded_without_tenant() -> None:
    app, recorder, _ = make_app(user=User(99, "admin"))
    app.test_client().get("/api/v1/dashboard/5")
    assert [(e.kind, e.tenant, e.object_id) for e in recorder.events] == [("dashboard_view", None, "5")]


def test_over_budget_gets_supersets_error_payload() -> None:
    app, recorder, seen = make_app(Budget(allowed=False), User(1, "ana@acme"))
    response = app.test_client().post("/api/v1/chart/data", json={"result_format": "json"})
    assert response.status_code == 429
    payload = response.get_json()
    assert "over its daily budget of 25.00 USD" in payload["message"]
    assert payload["errors"][0]["error_type"] == "GENERIC_BACKEND_ERROR"
    assert payload["errors"][0]["extra"]["supertenant"] == "daily_budget_exceeded"
    assert [(e.kind, e.status, e.warehouse_queries) for e in recorder.events] == [
        ("chart_data", "refused", 0)
    ]
    assert seen[0].refused


def test_budget_only_guards_queries() -> None:
    app, recorder, _ = make_app(Budget(allowed=False), User(1, "ana@acme"))
    assert app.test_client().get("/api/v1/dashboard/5").status_code == 200
    assert [e.status for e in recorder.events] == ["ok"]


def test_a_failing_observer_never_breaks_the_request() -> None:
    app, recorder, _ = make_app(user=User(1, "ana@acme"))

    def broken(_usage: RequestUsage) -> None:
        raise RuntimeError("metrics backend gone")

    add_observer(app, broken)
    assert app.test_client().get("/api/v1/dashboard/5").status_code == 200
    assert len(recorder.events) == 1  # recorded before the observers ran


def test_sql_audit_line_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    structlog.configure(processors=[structlog.processors.JSONRenderer()])
    log_query("postgresql://u:s3cret@db/x", "SELECT 2", "public", "superset.sql_lab", None)
    out = capsys.readouterr().out
    assert '"event": "sql_audit"' in out
    assert "SELECT 2" in out
    assert "s3cret" not in out
