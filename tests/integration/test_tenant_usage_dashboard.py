"""Each tenant's own "Usage" dashboard: its admins see it and only its rows; nobody else does.

`supertenant usage dashboard` (the real CLI, as the platform admin) builds the per-tenant files
and objects; then each role of each tenant is checked against them over REST.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
import sqlalchemy as sa

from supertenant.metering import collect, tenant_dashboard
from supertenant.registry.tables import usage_events
from supertenant.superset_api import SupersetClient
from supertenant.superset_ext.policy import usage_uuid

from .conftest import Server, Tenants

pytestmark = pytest.mark.integration

A, B = "sakura-shoes", "northwind-outdoor"
CLI = str(Path(sys.executable).with_name("supertenant"))


def raw(client: SupersetClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    client.login()
    return client._http.request(method, path, **kwargs)


@pytest.fixture(scope="module")
def engine(server: Server) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(server.metadata_db_url)
    yield engine
    engine.dispose()


def event_count(engine: sa.engine.Engine, slug: str) -> int:
    with engine.connect() as connection:
        query = sa.select(sa.func.count()).select_from(usage_events).where(usage_events.c.tenant == slug)
        return int(connection.execute(query).scalar() or 0)


def uuid_row(client: SupersetClient, resource: str, value: str) -> dict[str, Any]:
    rows = [
        r
        for r in client.iter_list(resource, filters=[{"col": "uuid", "opr": "eq", "value": value}])
        if str(r.get("uuid")) == value
    ]
    assert len(rows) == 1, (resource, value, rows)
    return rows[0]


@pytest.fixture(scope="module")
def usage(server: Server, tenants: Tenants, engine: sa.engine.Engine) -> dict[str, Any]:
    """Some activity in both tenants, then the real command; the objects of each tenant by UUID."""
    for slug, count in ((A, 2), (B, 1)):
        with tenants.login(server, slug, "viewer") as client:
            dashboard_id = client.get("/api/v1/dashboard/", {"q": "(page_size:100)"})["result"][0]["id"]
            for _ in range(count):
                assert raw(client, "GET", f"/api/v1/dashboard/{dashboard_id}").status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and min(event_count(engine, A), event_count(engine, B)) < 2:
        time.sleep(0.5)
    time.sleep(3)  # the flusher of the other worker too
    collect.collect_duckdb(engine, *collect.recent_days(datetime.now(UTC).date()))
    env = {
        **os.environ,
        **server.env,
        "SUPERTENANT_SUPERSET_URL": server.url,
        "SUPERTENANT_ADMIN_USERNAME": server.admin_username,
        "SUPERTENANT_ADMIN_PASSWORD": server.admin_password,
    }
    for _ in range(2):  # the second run converges without creating anything new
        result = subprocess.run(
            [CLI, "usage", "dashboard"], env=env, capture_output=True, text=True, check=False, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
    for slug in (A, B):
        assert f"{slug}: dashboard" in result.stdout, result.stdout
    found: dict[str, Any] = {}
    with server.admin() as admin:
        for slug in (A, B):
            dashboard = uuid_row(admin, "dashboard", str(usage_uuid(slug, "dashboard")))
            charts = admin.get(f"/api/v1/dashboard/{dashboard['id']}/charts")["result"]
            datasets = {
                table: int(uuid_row(admin, "dataset", str(usage_uuid(slug, "dataset", table)))["id"])
                for table in ("usage_daily", "users_daily", "cost_daily")
            }
            found[slug] = {
                "dashboard": int(dashboard["id"]),
                "charts": {
                    int(c["id"]): int(str(c["form_data"]["datasource"]).split("__")[0]) for c in charts
                },
                "datasets": datasets,
                "file": Path(server.root) / "metering" / "tenants" / f"{slug}.duckdb",
            }
    return found


def events_by_tenant(client: SupersetClient, dataset_id: int) -> dict[str, int]:
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [
            {
                "columns": ["tenant"],
                "metrics": [{"expressionType": "SQL", "sqlExpression": "SUM(events)", "label": "n"}],
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    data = client.post("/api/v1/chart/data", body)["result"][0]["data"]
    return {row["tenant"]: int(row["n"]) for row in data}


def chart_data(client: SupersetClient, chart_id: int, dataset_id: int) -> httpx.Response:
    """Chart data as the dashboard asks for it: the chart's dataset, with the chart named."""
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "form_data": {"slice_id": chart_id},
        "queries": [{"columns": ["day"], "metrics": ["count"], "row_limit": 100}],
        "result_format": "json",
        "result_type": "full",
    }
    return raw(client, "POST", "/api/v1/chart/data", json=body)


def test_each_file_holds_only_its_tenants_rows(usage: dict[str, Any], engine: sa.engine.Engine) -> None:
    for slug in (A, B):
        con = duckdb.connect(str(usage[slug]["file"]), read_only=True)
        try:
            for table in ("usage_daily", "users_daily", "cost_daily"):
                tenants_in = {r[0] for r in con.execute(f"SELECT DISTINCT tenant FROM {table}").fetchall()}  # noqa: S608
                # every table holds this tenant's rows or none (no cost row without a chart query)
                assert tenants_in <= {slug}, (slug, table, tenants_in)
            assert con.execute("SELECT SUM(events) FROM usage_daily").fetchone() == (
                event_count(engine, slug),
            )
        finally:
            con.close()


def test_tenant_admin_sees_own_usage_dashboard_with_only_own_rows(
    usage: dict[str, Any], server: Server, tenants: Tenants
) -> None:
    for slug in (A, B):
        mine = usage[slug]
        with tenants.login(server, slug, "admin") as client:
            listed = {d["id"] for d in client.iter_list("dashboard")}
            assert mine["dashboard"] in listed
            assert raw(client, "GET", f"/api/v1/dashboard/{mine['dashboard']}").status_code == 200
            assert len(mine["charts"]) == len(tenant_dashboard.chart_specs())
            for chart_id, dataset_id in mine["charts"].items():
                assert raw(client, "GET", f"/api/v1/chart/{chart_id}").status_code == 200
                response = chart_data(client, chart_id, dataset_id)
                assert response.status_code == 200, (slug, chart_id, response.text[:300])
            by_tenant = events_by_tenant(client, mine["datasets"]["usage_daily"])
            assert set(by_tenant) == {slug}, by_tenant
            assert by_tenant[slug] >= 2


def test_editor_and_viewer_cannot_see_their_tenants_usage(
    usage: dict[str, Any], server: Server, tenants: Tenants
) -> None:
    mine = usage[A]
    for role in ("editor", "viewer"):
        with tenants.login(server, A, role) as client:
            assert mine["dashboard"] not in {d["id"] for d in client.iter_list("dashboard")}, role
            assert raw(client, "GET", f"/api/v1/dashboard/{mine['dashboard']}").status_code in (403, 404)
            for dataset_id in mine["datasets"].values():
                assert raw(client, "GET", f"/api/v1/dataset/{dataset_id}").status_code in (403, 404)
            for chart_id, dataset_id in mine["charts"].items():
                assert raw(client, "GET", f"/api/v1/chart/{chart_id}").status_code in (403, 404)
                data = chart_data(client, chart_id, dataset_id)
                assert data.status_code in (403, 404), (role, chart_id, data.status_code)


def test_other_tenants_admin_gets_not_found(usage: dict[str, Any], server: Server, tenants: Tenants) -> None:
    theirs = usage[A]
    with tenants.login(server, B, "admin") as client:
        assert theirs["dashboard"] not in {d["id"] for d in client.iter_list("dashboard")}
        paths = [f"/api/v1/dashboard/{theirs['dashboard']}", f"/api/v1/dashboard/{A}-usage"]
        paths += [f"/api/v1/chart/{c}" for c in theirs["charts"]]
        paths += [f"/api/v1/dataset/{d}" for d in theirs["datasets"].values()]
        for path in paths:
            assert raw(client, "GET", path).status_code == 404, path
        for chart_id, dataset_id in theirs["charts"].items():
            assert chart_data(client, chart_id, dataset_id).status_code == 404
        body = {
            "datasource": {"id": theirs["datasets"]["usage_daily"], "type": "table"},
            "queries": [{"columns": ["tenant"], "metrics": ["count"]}],
        }
        assert raw(client, "POST", "/api/v1/chart/data", json=body).status_code == 404


def test_platform_admin_sees_every_tenants_usage_dashboard(usage: dict[str, Any], server: Server) -> None:
    with server.admin() as admin:
        for slug in (A, B):
            assert admin.get(f"/api/v1/dashboard/{usage[slug]['dashboard']}")["result"]["id"]
            by_tenant = events_by_tenant(admin, usage[slug]["datasets"]["usage_daily"])
            assert set(by_tenant) == {slug}


def test_usage_charts_answer_from_their_saved_query_context(
    usage: dict[str, Any], server: Server, tenants: Tenants
) -> None:
    """`GET /api/v1/chart/<id>/data/` (warm-up, reports, thumbnails) runs the saved query_context."""
    mine = usage[A]
    with tenants.login(server, A, "admin") as client:
        for chart_id in mine["charts"]:
            response = raw(client, "GET", f"/api/v1/chart/{chart_id}/data/")
            assert response.status_code == 200, (chart_id, response.text[:300])
            assert all(r.get("error") is None for r in response.json()["result"]), chart_id


GONE = "usage-gone"
GONE_SPEC = """
slug: {slug}
name: Usage gone
locale: en
warehouse:
  engine: duckdb
  path: {path}
  schema: usage_gone
  account_ids: ["678-901-2345"]
users:
  - {{email: admin@{slug}.example, role: admin}}
  - {{email: viewer@{slug}.example, role: viewer}}
"""


def usage_objects(admin: SupersetClient, slug: str) -> dict[str, Any]:
    """Every usage object of the tenant that exists, by its derived UUID or name (None when gone)."""

    def by_uuid(resource: str, value: str) -> int | None:
        rows = admin.iter_list(resource, filters=[{"col": "uuid", "opr": "eq", "value": value}])
        ids = [int(r["id"]) for r in rows if str(r.get("uuid")) == value]
        return ids[0] if ids else None

    database = admin.find_one("database", "database_name", f"_usage_{slug}")
    role = admin.find_one("security/roles", "name", tenant_dashboard.role_name(slug))
    group = admin.find_one("security/groups", "name", tenant_dashboard.group_name(slug))
    return {
        "database": database["id"] if database else None,
        "datasets": {t: by_uuid("dataset", str(usage_uuid(slug, "dataset", t))) for t in SCHEMA_TABLES},
        "charts": {
            key: by_uuid("chart", str(usage_uuid(slug, "chart", key)))
            for key, *_ in tenant_dashboard.chart_specs()
        },
        "dashboard": by_uuid("dashboard", str(usage_uuid(slug, "dashboard"))),
        "role": role["id"] if role else None,
        "group": group["id"] if group else None,
    }


SCHEMA_TABLES = ("usage_daily", "users_daily", "cost_daily")


def test_tenant_delete_removes_its_usage_dashboard_and_nothing_of_another(
    usage: dict[str, Any], server: Server, engine: sa.engine.Engine, tmp_path: Path
) -> None:
    from supertenant.metering.pricebook import load_pricebook
    from supertenant.provision.engine import Provisioner
    from supertenant.provision.teardown import Teardown
    from supertenant.spec.loader import parse_spec
    from supertenant.warehouse.local import write_sample

    warehouse = tmp_path / "gone.duckdb"
    write_sample(warehouse, schema="usage_gone", accounts=["678-901-2345"], days=30)
    spec = parse_spec(GONE_SPEC.format(slug=GONE, path=warehouse), source=f"{GONE}.yaml")
    with server.admin() as admin:
        Provisioner(admin).apply(spec, tmp_path)
        # the same refresh the CLI and the beat task run, for the new tenant only
        result = tenant_dashboard.refresh(
            engine, load_pricebook(None), server.root, server.admin, only=[GONE]
        )
        assert [t.slug for t, _ in result.tenants] == [GONE]
        gone = usage_objects(admin, GONE)
        assert all(gone["datasets"].values()), gone
        assert all(gone["charts"].values()), gone
        assert all(gone[kind] for kind in ("database", "dashboard", "role", "group")), gone
        others = {slug: usage_objects(admin, slug) for slug in (A, B)}
        gone_file = tenant_dashboard.default_path(server.root, GONE)
        assert gone_file.exists()

        changes = Teardown(admin, GONE, data_dir=server.root).run()

        kinds = {c.kind for c in changes}
        assert {"dashboard", "chart", "dataset", "database", "roles", "groups", "file"} <= kinds, kinds
        after = usage_objects(admin, GONE)
        assert after == {
            "database": None,
            "datasets": dict.fromkeys(SCHEMA_TABLES),
            "charts": {key: None for key, *_ in tenant_dashboard.chart_specs()},
            "dashboard": None,
            "role": None,
            "group": None,
        }
        assert not gone_file.exists()
        for slug in (A, B):  # the other tenants' usage objects and files are untouched
            assert usage_objects(admin, slug) == others[slug], slug
            assert all(others[slug]["charts"].values()), slug
            assert others[slug]["group"], slug
            assert tenant_dashboard.default_path(server.root, slug).exists()
            assert events_by_tenant(admin, others[slug]["datasets"]["usage_daily"]).keys() == {slug}
