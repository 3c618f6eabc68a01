"""Metering on the real Superset: usage rows, the month's invoice, the daily budget, /metrics.

Two tenants' users log in, view dashboards and run charts; the rows in
``usage_events`` must be exactly what they did, and the invoice must equal an
expectation computed by hand from those rows.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from supertenant.metering import billing, collect, store
from supertenant.metering.pricebook import parse_pricebook
from supertenant.registry.tables import usage_events, warehouse_costs
from supertenant.superset_api import SupersetClient

from .browser import TIMEOUT_MS, launched_chromium, shot, submit_login_form
from .conftest import Server, Tenants, free_port, sign_in

pytestmark = pytest.mark.integration

A, B = "sakura-shoes", "northwind-outdoor"
TIB = Decimal(2**40)

TEST_PRICEBOOK = """
currency: USD
warehouse: {bigquery_per_tib: "6.25", duckdb_per_tib: "250000"}
plans:
  standard: {model: base_plus_passthrough, base_fee: "200.00", margin: "0.20", daily_budget: "25.00"}
  growth: {model: per_seat, seat_fee: "15.00", included_bytes: 1000, overage_per_tib: "90000",
           daily_budget: "50.00"}
"""


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def raw(client: SupersetClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return client.request(method, path, **kwargs)


def user_of(tenants: Tenants, slug: str, role: str) -> str:
    return next(u.email for u in tenants.specs[slug].users if u.role == role)


# A row limit no other test module uses: it is part of the cache key, so this module's first
# chart-data request really reaches the warehouse.
ROW_LIMIT = 1000 + secrets.randbelow(9000)


def chart_body(client: SupersetClient, fmt: str = "json") -> dict[str, Any]:
    dataset = next(d for d in client.iter_list("dataset") if d["table_name"] == "ads_campaign_daily")
    return {
        "datasource": {"id": dataset["id"], "type": "table"},
        "queries": [{"columns": ["account_id"], "metrics": ["clicks"], "row_limit": ROW_LIMIT}],
        "result_format": fmt,
        "result_type": "full",
    }


def form_login(server: Server, username: str, password: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as client:
        sign_in(client, username, password)


@pytest.fixture(scope="module")
def engine(server: Server) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(server.metadata_db_url)
    yield engine
    engine.dispose()


def tenant_rows(engine: sa.engine.Engine, slug: str, since: datetime | None = None) -> list[dict[str, Any]]:
    """The tenant's usage rows (those that happened at or after ``since``, when given)."""
    query = sa.select(usage_events).where(usage_events.c.tenant == slug)
    if since is not None:
        query = query.where(usage_events.c.occurred_at >= since)
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(query.order_by(usage_events.c.id))]


def wait_for_rows(
    engine: sa.engine.Engine, expected: dict[str, int], since: datetime, timeout: float = 30
) -> None:
    """The spool reaches the table within a few flush intervals."""
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = {slug: len(tenant_rows(engine, slug, since)) for slug in expected}
        if all(counts[s] >= n for s, n in expected.items()):
            time.sleep(3)  # and nothing more arrives
            return
        time.sleep(0.5)
    raise AssertionError(f"usage rows did not arrive: {counts} (expected {expected})")


@pytest.fixture(scope="module")
def activity(server: Server, tenants: Tenants, engine: sa.engine.Engine) -> dict[str, Any]:
    """What the users did, as (username, kind) → count; done once for the module.

    Other test modules use the same tenants on the same server, so only what happens from
    ``started`` on is this module's (``occurred_at`` is stamped when the request happens).
    """
    started = datetime.now(UTC)
    done: dict[str, Counter[tuple[str, str]]] = {A: Counter(), B: Counter()}
    a_viewer = user_of(tenants, A, "viewer")
    with tenants.login(server, A, "viewer") as client:
        home = client.get("/api/v1/dashboard/", {"q": "(page_size:100)"})["result"]
        dashboard_id = home[0]["id"]
        for _ in range(2):
            assert raw(client, "GET", f"/api/v1/dashboard/{dashboard_id}").status_code == 200
        body = chart_body(client)
        for _ in range(2):  # the second one is served from the cache
            assert raw(client, "POST", "/api/v1/chart/data", json=body).status_code == 200
        csv = raw(client, "POST", "/api/v1/chart/data", json=chart_body(client, "csv"))
        assert csv.status_code == 200, csv.text[:300]
    done[A].update({(a_viewer, "login"): 1, (a_viewer, "dashboard_view"): 2})
    done[A].update({(a_viewer, "chart_data"): 2, (a_viewer, "csv_export"): 1})

    b_viewer, b_admin = user_of(tenants, B, "viewer"), user_of(tenants, B, "admin")
    with tenants.login(server, B, "viewer") as client:
        dashboard_id = client.get("/api/v1/dashboard/", {"q": "(page_size:100)"})["result"][0]["id"]
        assert raw(client, "GET", f"/api/v1/dashboard/{dashboard_id}").status_code == 200
        body = chart_body(client)
        for _ in range(3):
            assert raw(client, "POST", "/api/v1/chart/data", json=body).status_code == 200
    form_login(server, b_admin, tenants.passwords[b_admin])
    done[B].update({(b_viewer, "login"): 1, (b_viewer, "dashboard_view"): 1, (b_viewer, "chart_data"): 3})
    done[B].update({(b_admin, "login"): 1})
    wait_for_rows(engine, {slug: sum(c.values()) for slug, c in done.items()}, started)
    return {"done": done, "form_logins": {B: [(b_admin, "login")]}, "started": started}


def test_usage_rows_are_exactly_what_each_tenant_did(
    activity: dict[str, Any], engine: sa.engine.Engine
) -> None:
    for slug, done in activity["done"].items():
        rows = tenant_rows(engine, slug, activity["started"])
        assert Counter((r["username"], r["kind"]) for r in rows) == done, slug
        assert all(r["status"] == "ok" for r in rows)
        assert len({r["event_key"] for r in rows}) == len(rows)
        charts = [r for r in rows if r["kind"] == "chart_data"]
        # the first chart-data request queries DuckDB (an estimated scan); the repeats are cache hits
        assert [r["warehouse_queries"] for r in charts] == [1] + [0] * (len(charts) - 1)
        assert charts[0]["bytes_scanned"]
        assert charts[0]["bytes_scanned"] >= 10 * 2**20
        assert all(r["bytes_scanned"] is None for r in charts[1:])
        assert all(r["user_id"] for r in rows)
        # only the form login (flask-login's signal) has no request timing
        untimed = [(r["username"], r["kind"]) for r in rows if r["duration_ms"] is None]
        assert untimed == activity["form_logins"].get(slug, [])
        assert all(r["bytes_returned"] for r in rows if r["kind"] in ("chart_data", "csv_export"))


def test_the_months_invoice_matches_a_hand_computed_one(
    activity: dict[str, Any], engine: sa.engine.Engine, tenants: Tenants
) -> None:
    today = datetime.now(UTC).date()
    month = today.strftime("%Y-%m")
    start, end = store.month_bounds(month)
    collect.collect_duckdb(engine, start.date(), end.date())
    book = parse_pricebook(TEST_PRICEBOOK)
    invoices = {i.tenant: i for i in billing.month_invoices(engine, book, month)}

    # sakura-shoes, plan standard: 200.00 + DuckDB bytes at 250000/TiB + 20 % of that
    a_bytes = sum(r["bytes_scanned"] or 0 for r in tenant_rows(engine, A))
    a_warehouse = cents(Decimal(a_bytes) / TIB * Decimal(250000))
    a = invoices[A].to_json()
    assert [(line["code"], line["amount"]) for line in a["lines"]] == [
        ("base_fee", "200.00"),
        ("warehouse_duckdb", str(a_warehouse)),
        ("warehouse_margin", str(cents(a_warehouse * Decimal("0.20")))),
    ]
    assert a["total"] == str(Decimal("200.00") + a_warehouse + cents(a_warehouse * Decimal("0.20")))
    # the month holds this module's activity and whatever earlier test modules did as these users
    a_rows = tenant_rows(engine, A)
    ok_kinds = Counter(r["kind"] for r in a_rows if r["status"] == "ok")
    assert {kind: n for kind, n in a["usage"].items() if n} == dict(ok_kinds)
    assert a["usage"]["chart_data"] >= 2
    assert a["usage"]["dashboard_view"] >= 2

    # northwind-outdoor, plan growth: active users × 15.00 + (bytes − 1000) at 90000/TiB
    b_month = tenant_rows(engine, B)
    b_bytes = sum(r["bytes_scanned"] or 0 for r in b_month)
    seats = sorted(
        {r["username"] for r in b_month if r["status"] == "ok" and r["user_id"] is not None and r["username"]}
    )
    assert {user_of(tenants, B, "viewer"), user_of(tenants, B, "admin")} <= set(seats)
    b = invoices[B].to_json()
    overage = cents(Decimal(b_bytes - 1000) / TIB * Decimal(90000))
    assert [(line["code"], line["quantity"], line["amount"]) for line in b["lines"]] == [
        ("seats", str(len(seats)), str(cents(Decimal(15) * len(seats)))),
        (
            "warehouse_overage",
            str((Decimal(b_bytes - 1000) / TIB).quantize(Decimal("0.000001"))),
            str(overage),
        ),
    ]
    assert b["total"] == str(cents(Decimal(15) * len(seats)) + overage)
    # every line names its rows: the seats' first events, the cost rows behind the bytes
    seat_ids = b["lines"][0]["trace"][0]["ids"]
    b_rows = {r["id"]: r for r in b_month}
    assert sorted(b_rows[i]["username"] for i in seat_ids) == seats
    with engine.connect() as connection:
        traced = connection.execute(
            sa.select(sa.func.sum(warehouse_costs.c.bytes_billed)).where(
                warehouse_costs.c.id.in_(b["lines"][1]["trace"][0]["ids"])
            )
        ).scalar()
    assert traced == b_bytes
    # deterministic: computing it again gives the same document
    again = {i.tenant: i for i in billing.month_invoices(engine, book, month)}
    assert again[A].to_json() == a
    assert again[B].to_json() == b


def test_over_budget_chart_data_gets_a_clear_error(
    activity: dict[str, Any], server: Server, tenants: Tenants, engine: sa.engine.Engine
) -> None:
    today = datetime.now(UTC).date()
    spend = {
        "cost_key": f"bigquery:test/eu:{today}:{B}:sa",
        "source": "bigquery",
        "scope": "test/eu",
        "day": today,
        "tenant": B,
        "principal": "sa",
        "jobs": 1,
        "bytes_processed": 10 * 2**40,
        "bytes_billed": 10 * 2**40,  # 62.50 USD at 6.25/TiB, over growth's 50.00
        "collected_at": datetime.now(UTC),
    }
    with engine.begin() as connection:
        connection.execute(sa.insert(warehouse_costs).values(**spend))
    try:
        with tenants.login(server, B, "viewer") as client:
            body = chart_body(client)  # logs in
            deadline = time.monotonic() + 30
            # the client's own session (JWT, CSRF, cookie), without its mapping of 429 to an exception
            send = lambda: client._http.post("/api/v1/chart/data", json=body)  # noqa: E731
            response = send()
            while response.status_code == 200 and time.monotonic() < deadline:
                time.sleep(1)  # each worker re-reads the spend every 10 s
                response = send()
        assert response.status_code == 429, response.text[:300]
        payload = response.json()
        assert "daily budget of 50.00 USD" in payload["message"]
        assert payload["errors"][0]["message"] == payload["message"]
        assert payload["errors"][0]["extra"]["supertenant"] == "daily_budget_exceeded"
        sakura = tenants.login(server, A, "viewer")
        with sakura:  # another tenant is not affected
            assert raw(sakura, "POST", "/api/v1/chart/data", json=chart_body(sakura)).status_code == 200
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if any(r["status"] == "refused" for r in tenant_rows(engine, B)):
                break
            time.sleep(0.5)
        assert any(r["status"] == "refused" and r["kind"] == "chart_data" for r in tenant_rows(engine, B))
    finally:
        with engine.begin() as connection:
            connection.execute(
                sa.delete(warehouse_costs).where(warehouse_costs.c.cost_key == spend["cost_key"])
            )


def scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{server.url}/metrics", timeout=30).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_are_per_tenant_and_summed_over_workers(activity: dict[str, Any], server: Server) -> None:
    samples = scrape(server)
    key = ("supertenant_http_requests_total", (("endpoint", "chart_data"), ("status", "2xx"), ("tenant", A)))
    assert samples[key] >= 2
    hits = ("supertenant_chart_data_requests_total", (("cache", "hit"), ("tenant", B)))
    assert samples[hits] >= 2
    tenants_seen = {dict(labels).get("tenant") for (_, labels) in samples}
    assert {A, B, "_platform"} <= tenants_seen
    assert any(name == "supertenant_http_request_duration_seconds_bucket" for name, _ in samples)


def test_sql_audit_log_names_tenant_and_statement(activity: dict[str, Any], server: Server) -> None:
    log = (server.root / "web.log").read_text(errors="replace")
    lines = [line for line in log.splitlines() if '"sql_audit"' in line and f'"tenant": "{A}"' in line]
    assert lines, "no SQL audit line for the tenant"
    assert '"request_id"' in lines[0]
    assert '"sql"' in lines[0]
    assert "ads_campaign_daily" in lines[0]
    assert "password" not in lines[0].lower()


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="Debian's prometheus package is not installed")
def test_a_real_prometheus_scrapes_per_tenant_series(
    activity: dict[str, Any], server: Server, tmp_path: Path
) -> None:
    port = free_port()
    target = server.url.removeprefix("http://")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s}\n"
        f"scrape_configs: [{{job_name: superset, static_configs: [{{targets: ['{target}']}}]}}]\n"
    )
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    try:
        query = f'sum by (tenant) (supertenant_http_requests_total{{tenant=~"{A}|{B}"}})'
        deadline = time.monotonic() + 90
        found: set[str] = set()
        while time.monotonic() < deadline and found != {A, B}:
            time.sleep(1)
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": query}).json()
            except (httpx.TransportError, ValueError):
                continue
            found = {r["metric"]["tenant"] for r in answer.get("data", {}).get("result", [])}
        assert found == {A, B}, (tmp_path / "prometheus.log").read_text()[-2000:]
    finally:
        process.terminate()
        process.wait(20)


def test_platform_dashboard_shows_every_tenants_cost_to_the_platform_admin_only(
    activity: dict[str, Any], server: Server, tenants: Tenants, engine: sa.engine.Engine
) -> None:
    from supertenant.metering import platform_dashboard
    from supertenant.metering.pricebook import load_pricebook

    today = datetime.now(UTC).date()
    collect.collect_duckdb(engine, *collect.recent_days(today))
    path = server.root / "metering" / "platform.duckdb"
    counts = platform_dashboard.export_aggregates(engine, load_pricebook(), path)
    assert counts["cost_daily"] >= 2
    with server.admin() as admin:
        dashboard_id = platform_dashboard.provision(admin, path)
        assert platform_dashboard.provision(admin, path) == dashboard_id  # idempotent
        charts = admin.get(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
        assert len(charts) == len(platform_dashboard.chart_specs())
        cost_ds = next(d["id"] for d in admin.iter_list("dataset") if d["table_name"] == "cost_daily")
        body = {
            "datasource": {"id": cost_ds, "type": "table"},
            "queries": [
                {
                    "columns": ["tenant"],
                    "metrics": [
                        {"expressionType": "SQL", "sqlExpression": "SUM(bytes_billed)", "label": "b"}
                    ],
                }
            ],
            "result_format": "json",
            "result_type": "full",
        }
        data = admin.post("/api/v1/chart/data", body)["result"][0]["data"]
    by_tenant = {row["tenant"]: row["b"] for row in data}
    for slug in (A, B):
        expected = sum(r["bytes_scanned"] or 0 for r in tenant_rows(engine, slug))
        assert by_tenant[slug] == expected, slug
    with tenants.login(server, A, "admin") as tenant_admin:
        tenant_admin.login()
        for path in (f"/api/v1/dashboard/{dashboard_id}", f"/api/v1/dataset/{cost_ds}"):
            assert tenant_admin._http.get(path).status_code in (403, 404), path
    screenshot_dashboard(server, dashboard_id)


def screenshot_dashboard(server: Server, dashboard_id: int) -> None:
    """The dashboard in headless Chromium as the platform admin; kept in tests/artifacts/."""
    with launched_chromium() as browser:
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        statuses: list[int] = []
        page.on("response", lambda r: statuses.append(r.status) if "/api/v1/chart/data" in r.url else None)
        page.goto(f"{server.url}/login/")
        submit_login_form(page, server.admin_username, server.admin_password)
        page.goto(f"{server.url}/superset/dashboard/{dashboard_id}/")
        page.get_by_text(platform_dashboard_title()).first.wait_for()
        deadline = time.monotonic() + 60
        while len(statuses) < 5 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        page.wait_for_timeout(1500)
        shot(page, "platform_usage_cost")
    assert len(statuses) >= 5, statuses
    assert all(status == 200 for status in statuses), statuses


def platform_dashboard_title() -> str:
    from supertenant.metering.platform_dashboard import DASHBOARD_TITLE

    return DASHBOARD_TITLE
