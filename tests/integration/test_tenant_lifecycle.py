"""Tenant lifecycle on a real Superset: dashboards render, interrupted applies converge, delete is total."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supertenant.errors import ContractError, NotFoundError, SpecError, TemporaryError
from supertenant.provision.engine import Provisioner
from supertenant.provision.teardown import Teardown
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import TenantSpec
from supertenant.superset_api import SupersetClient
from supertenant.warehouse.local import write_sample

from .conftest import Server, Tenants

pytestmark = pytest.mark.integration

SPEC = """
slug: {slug}
name: Lifecycle {slug}
locale: {locale}
warehouse:
  engine: duckdb
  path: {path}
  schema: {schema}
  account_ids: ["{account}"]
users:
  - {{email: admin@{slug}.example, role: admin}}
  - {{email: viewer@{slug}.example, role: viewer}}
"""


def lifecycle_spec(tmp_path: Path, slug: str, account: str, locale: str = "en") -> TenantSpec:
    schema = slug.replace("-", "_")
    warehouse = tmp_path / "lifecycle.duckdb"
    write_sample(warehouse, schema=schema, accounts=[account], days=60)
    text = SPEC.format(slug=slug, locale=locale, path=warehouse, schema=schema, account=account)
    return parse_spec(text, source=f"{slug}.yaml")


class InterruptingClient(SupersetClient):
    """A real client that dies after ``limit`` write calls, like a killed `apply`."""

    def __init__(self, *args: Any, limit: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.writes = 0

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if method != "GET" and "/security/login" not in path:
            self.writes += 1
            if self.writes > self.limit:
                raise TemporaryError("simulated interruption")
        return super().request(method, path, **kwargs)


def inventory(admin: SupersetClient) -> dict[str, list[str]]:
    """Names of every object supertenant manages, across all tenants."""
    return {
        "databases": sorted(d["database_name"] for d in admin.iter_list("database")),
        "datasets": sorted(
            f"{d['database']['database_name']}.{d['table_name']}" for d in admin.iter_list("dataset")
        ),
        "charts": sorted(str(c["uuid"]) for c in admin.iter_list("chart", columns=["uuid"])),
        "dashboards": sorted(str(d["uuid"]) for d in admin.iter_list("dashboard", columns=["uuid"])),
        "roles": sorted(r["name"] for r in admin.iter_list("security/roles")),
        "users": sorted(u["username"] for u in admin.iter_list("security/users")),
        "rls": sorted(r["name"] for r in admin.iter_list("rowlevelsecurity")),
        "tenants": sorted(t["slug"] for t in admin.get("/api/v1/supertenant/tenants/")["result"]),
    }


@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_viewer_sees_exactly_its_dashboards_and_every_chart_renders(
    server: Server, tenants: Tenants, slug: str
) -> None:
    spec = tenants.specs[slug]
    with server.admin() as admin:
        record = admin.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
    assert set(record["dashboard_ids"]) == {"google_ads_overview", "getting_started"}
    assert record["home_dashboard_id"] == record["dashboard_ids"]["getting_started"]
    with tenants.login(server, slug, "viewer") as viewer:
        dashboards = list(viewer.iter_list("dashboard", columns=["id", "dashboard_title"]))
        assert sorted(d["id"] for d in dashboards) == sorted(record["dashboard_ids"].values())
        if spec.locale == "ja":
            assert any("はじめに" in d["dashboard_title"] for d in dashboards)
        for dashboard in dashboards:
            charts = viewer.get(f"/api/v1/dashboard/{dashboard['id']}/charts")["result"]
            assert charts, dashboard
            for chart in charts:
                detail = viewer.get(f"/api/v1/chart/{chart['id']}")["result"]
                query_context = json.loads(detail["query_context"])
                result = viewer.post("/api/v1/chart/data", query_context)["result"]
                assert all(r.get("error") is None for r in result), (chart["slice_name"], result)
                for rows in (r["data"] for r in result):
                    accounts = {row["account_id"] for row in rows if "account_id" in row}
                    assert accounts <= set(spec.warehouse.account_ids)


def test_interrupted_applies_converge_without_duplicates(
    server: Server, tenants: Tenants, tmp_path: Path
) -> None:
    spec = lifecycle_spec(tmp_path, "interrupted", "456-789-0123")
    with server.admin() as admin:
        before = inventory(admin)
    counter = InterruptingClient(server.url, server.admin_username, server.admin_password, limit=10**6)
    with counter, server.admin() as admin:
        Provisioner(counter).apply(spec, tmp_path)
        total = counter.writes
        Teardown(admin, "interrupted").run()
    assert total > 10, total  # enough write calls to cut the apply at several steps
    for limit in sorted({1, total // 4, total // 2, 3 * total // 4, total - 1}):
        client = InterruptingClient(server.url, server.admin_username, server.admin_password, limit=limit)
        with client, pytest.raises(TemporaryError):
            Provisioner(client).apply(spec, tmp_path)
        with server.admin() as admin:
            Provisioner(admin).apply(spec, tmp_path)
            assert Provisioner(admin).plan(spec, tmp_path).changes == [], (
                f"not converged after a cut at {limit}"
            )
            after = inventory(admin)
            for kind in ("databases", "datasets", "charts", "dashboards", "roles", "users", "rls"):
                assert len(after[kind]) == len(set(after[kind])), (kind, limit)
            assert after["datasets"].count("interrupted.ads_campaign_daily") == 1
            Teardown(admin, "interrupted").run()
            assert inventory(admin) == before, f"teardown after a cut at {limit} left objects"


def test_delete_removes_every_object_and_nothing_else(
    server: Server, tenants: Tenants, tmp_path: Path
) -> None:
    spec = lifecycle_spec(tmp_path, "short-lived", "567-890-1234", locale="ja")
    with server.admin() as admin:
        before = inventory(admin)
        result = Provisioner(admin).apply(spec, tmp_path)
        assert set(result.new_passwords) == {"admin@short-lived.example", "viewer@short-lived.example"}
        during = inventory(admin)
        assert during != before
        assert "short-lived" in during["tenants"]
        changes = Teardown(admin, "short-lived").run(export_dir=tmp_path / "export")
        assert {c.kind for c in changes} >= {
            "dashboard",
            "chart",
            "dataset",
            "database",
            "roles",
            "users",
            "registry",
        }
        assert inventory(admin) == before
        assert (tmp_path / "export" / "short-lived-dashboards.zip").stat().st_size > 0
        with pytest.raises(NotFoundError):
            Teardown(admin, "short-lived").run()


def test_missing_contract_views_are_named_and_nothing_is_created(
    server: Server, tenants: Tenants, tmp_path: Path
) -> None:
    import duckdb

    spec = lifecycle_spec(tmp_path, "broken-warehouse", "678-901-2345")
    with duckdb.connect(str(tmp_path / "lifecycle.duckdb")) as con:
        con.execute("DROP VIEW broken_warehouse.ads_geo_daily")
        con.execute(
            "CREATE OR REPLACE VIEW broken_warehouse.ads_keyword_daily AS "
            "SELECT date, account_id, campaign_name FROM ads_raw.ads_keyword_daily"
        )
    with server.admin() as admin:
        before = inventory(admin)
        with pytest.raises(ContractError) as error:
            Provisioner(admin).apply(spec, tmp_path)
        assert inventory(admin) == before
    message = str(error.value)
    assert "missing view ads_geo_daily" in message
    assert "view ads_keyword_daily: missing column keyword_text" in message


def test_unknown_template_is_refused_before_anything_is_created(
    server: Server, tenants: Tenants, tmp_path: Path
) -> None:
    spec = lifecycle_spec(tmp_path, "bad-template", "789-012-3456")
    unknown = type(spec.templates[0])(name="no_such", version=1)
    spec = spec.model_copy(update={"templates": [*spec.templates, unknown]})
    with server.admin() as admin:
        before = inventory(admin)
        with pytest.raises(SpecError, match="no_such"):
            Provisioner(admin).apply(spec, tmp_path)
        assert inventory(admin) == before
