"""A tenant with Explore, SQL Lab and CSV export switched off, on a real Superset (issue #4).

The tenant is provisioned by the real engine from a spec of its own, next to the
two demo tenants (which keep Explore on). For each of its roles:

* what the frontend is sent (the page bootstrap, ``/api/v1/me/roles/``) offers
  neither Explore nor SQL Lab nor CSV export;
* Explore and SQL Lab routes, pages and APIs, are refused as ``flags.feature_guard``
  intends: 403 with "<feature> is not enabled for your organisation." (JSON for the
  API, text for pages); the deprecated ``POST /superset/explore/`` stays "not found"
  for every tenant user (``policy.refused_path``, checked first);
* saving a chart (Explore's save: a new chart, or a chart's query changed) is refused;
* dashboards and their chart data still work;
* the demo tenants' editors still open Explore and save charts.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from supertenant.provision.engine import Provisioner
from supertenant.provision.permissions import CSV_EXPORT, EXPLORE, SQL_LAB, SQL_LAB_CSV
from supertenant.provision.teardown import Teardown
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import TenantSpec
from supertenant.warehouse.local import write_sample

from .conftest import PacedTransport, Server, Tenants, sign_in
from .test_experience import bootstrap, home_page

pytestmark = pytest.mark.integration

SLUG = "features-off"
ROLES = ("viewer", "editor", "admin")
SPEC = """
slug: features-off
name: Features Off Ltd.
locale: en
warehouse:
  engine: duckdb
  path: {path}
  schema: features_off
  account_ids: ["890-123-4567"]
users:
  - {{email: admin@features-off.example, role: admin}}
  - {{email: editor@features-off.example, role: editor}}
  - {{email: viewer@features-off.example, role: viewer}}
features:
  sql_lab: false
  explore: false
  chat: true
  csv_export: false
  alerts_reports: false
"""
EXPLORE_OFF = "Explore is not enabled for your organisation."
SQL_LAB_OFF = "SQL Lab is not enabled for your organisation."
SQL_LAB_MENU = {"SQL Lab", "SQL Editor", "Saved Queries", "Query Search"}
# What the UI must not be offered: every permission of the three switched-off features.
OFF_PERMISSIONS = {*EXPLORE, *SQL_LAB, *SQL_LAB_CSV, *CSV_EXPORT}


@dataclass(frozen=True)
class OffTenant:
    spec: TenantSpec
    passwords: dict[str, str]  # email → password
    dashboard_ids: list[int]
    chart_ids: list[int]
    dataset_id: int
    database_id: int

    def email(self, role: str) -> str:
        return next(u.email for u in self.spec.users if u.role == role)


@pytest.fixture(scope="module")
def off(server: Server, tenants: Tenants, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OffTenant]:
    """The features-off tenant, applied by the provisioning engine; torn down after the module."""
    root = tmp_path_factory.mktemp("features_off")
    warehouse = root / "warehouse.duckdb"
    write_sample(warehouse, schema="features_off", accounts=["890-123-4567"], days=60)
    spec = parse_spec(SPEC.format(path=warehouse), source=f"{SLUG}.yaml")
    assert spec.features.explore is False
    assert spec.features.sql_lab is False
    assert spec.features.csv_export is False
    with server.admin() as admin:
        result = Provisioner(admin).apply(spec, root)
        try:
            record = admin.get(f"/api/v1/supertenant/tenants/{SLUG}")["result"]
            dashboard_ids = sorted(int(i) for i in record["dashboard_ids"].values())
            chart_ids = sorted(
                c["id"] for d in dashboard_ids for c in admin.get(f"/api/v1/dashboard/{d}/charts")["result"]
            )
            database = admin.find_one("database", "database_name", SLUG)
            assert database is not None
            datasets = [
                d
                for d in admin.iter_list("dataset", columns=["id", "table_name", "database.database_name"])
                if d["database"]["database_name"] == SLUG
            ]
            assert datasets
            assert chart_ids
            yield OffTenant(
                spec,
                dict(result.new_passwords),
                dashboard_ids,
                chart_ids,
                int(datasets[0]["id"]),
                int(database["id"]),
            )
        finally:
            Teardown(admin, SLUG).run()


# -- sessions --------------------------------------------------------------------------------------


@contextmanager
def page_session(server: Server, email: str, password: str) -> Iterator[httpx.Client]:
    """A browser-like session (cookie from the login form), on the platform's hostname."""
    with httpx.Client(
        base_url=server.url, follow_redirects=False, timeout=120, transport=PacedTransport()
    ) as client:
        sign_in(client, email, password)
        yield client


@contextmanager
def api_session(server: Server, email: str, password: str) -> Iterator[httpx.Client]:
    """An API session as the frontend's client makes it: JWT, CSRF token and Referer."""
    with httpx.Client(
        base_url=server.url, follow_redirects=False, timeout=120, transport=PacedTransport()
    ) as client:
        login = client.post(
            "/api/v1/security/login",
            json={"username": email, "password": password, "provider": "db", "refresh": True},
        )
        assert login.status_code == 200, login.text[:300]
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        csrf = client.get("/api/v1/security/csrf_token/")
        assert csrf.status_code == 200, csrf.text[:300]
        client.headers["X-CSRFToken"] = csrf.json()["result"]
        client.headers["Referer"] = server.url + "/"
        yield client


def demo_email(tenants: Tenants, slug: str, role: str) -> str:
    return next(u.email for u in tenants.specs[slug].users if u.role == role)


def held(payload_roles: dict[str, Any]) -> set[tuple[str, str]]:
    return {(str(p), str(v)) for pairs in payload_roles.values() for p, v in pairs}


def menu_names(common: dict[str, Any]) -> set[str]:
    names = set()
    for item in common["menu_data"]["menu"]:
        names.add(item.get("name"))
        names.update(c.get("name") for c in item.get("childs") or [] if isinstance(c, dict))
    return names


def refused_json(response: httpx.Response, message: str) -> None:
    assert response.status_code == 403, (response.request.url, response.status_code, response.text[:300])
    assert response.json() == {"message": message}, response.text[:300]


def refused_page(response: httpx.Response, message: str) -> None:
    assert response.status_code == 403, (response.request.url, response.status_code, response.text[:300])
    assert response.text == message


def chart_query_context(client: httpx.Client, chart_id: int) -> dict[str, Any]:
    detail = client.get(f"/api/v1/chart/{chart_id}")
    assert detail.status_code == 200, detail.text[:300]
    query_context: dict[str, Any] = json.loads(detail.json()["result"]["query_context"])
    return query_context


# -- what the frontend is sent ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_bootstrap_offers_neither_explore_nor_sql_lab(server: Server, off: OffTenant, role: str) -> None:
    email = off.email(role)
    with page_session(server, email, off.passwords[email]) as client:
        page = home_page(client)
        me = client.get("/api/v1/me/")
        my_roles = client.get("/api/v1/me/roles/")
    payload = bootstrap(page)
    assert page.request.url.path in {f"/superset/dashboard/{i}/" for i in off.dashboard_ids}
    flags = payload["common"]["feature_flags"]
    assert flags["SUPERTENANT_EXPLORE"] is False
    assert flags["SUPERTENANT_SQL_LAB"] is False
    assert flags["SUPERTENANT_CSV_EXPORT"] is False
    assert flags["SUPERTENANT_CHAT"] is True
    assert flags.get("ALLOW_FULL_CSV_EXPORT", False) is False
    assert not menu_names(payload["common"]) & SQL_LAB_MENU
    assert "Dashboards" in menu_names(payload["common"])
    assert not held(payload["user"]["roles"]) & OFF_PERMISSIONS
    assert ("can_read", "Dashboard") in held(payload["user"]["roles"])
    assert me.status_code == 200
    assert me.json()["result"]["username"] == email
    assert my_roles.status_code == 200
    assert not held(my_roles.json()["result"]["roles"]) & OFF_PERMISSIONS


# -- refused routes --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_explore_and_sql_lab_pages_are_refused(server: Server, off: OffTenant, role: str) -> None:
    email = off.email(role)
    chart = off.chart_ids[0]
    explore_pages = [
        "/explore/",
        f"/explore/?slice_id={chart}",
        "/superset/explore/",
        f"/superset/explore/?slice_id={chart}",
        f"/superset/explore/table/{off.dataset_id}/",
        f"/superset/explore_json/?form_data=%7B%22slice_id%22%3A{chart}%7D",
        "/chart/add",  # the new-chart page, whose only way on is Explore
    ]
    sql_lab_pages = ["/sqllab/", "/sqllab/history/", "/superset/sqllab/", "/savedqueryview/list/"]
    with page_session(server, email, off.passwords[email]) as client:
        for path in explore_pages:
            refused_page(client.get(path), EXPLORE_OFF)
        for path in sql_lab_pages:
            refused_page(client.get(path), SQL_LAB_OFF)
        # A chart's own link leads to Explore, and ends in the same refusal.
        opened = client.get(f"/superset/slice/{chart}/")
        assert opened.is_redirect, opened.status_code
        assert opened.headers["location"].split("?")[0].endswith("/explore/")
        refused_page(client.get(opened.headers["location"]), EXPLORE_OFF)
        # The deprecated server-rendered Explore is "not found" for every tenant user, checked first.
        csrf = client.get("/api/v1/security/csrf_token/").json()["result"]
        legacy = client.post(
            "/superset/explore/",
            data={"form_data": json.dumps({"slice_id": chart})},
            headers={"X-CSRFToken": csrf, "Referer": server.url + "/"},
        )
        assert legacy.status_code == 404, legacy.text[:300]


@pytest.mark.parametrize("role", ROLES)
def test_explore_and_sql_lab_apis_are_refused(server: Server, off: OffTenant, role: str) -> None:
    email = off.email(role)
    chart, dataset = off.chart_ids[0], off.dataset_id
    with api_session(server, email, off.passwords[email]) as api:
        refused_json(api.get("/api/v1/explore/", params={"slice_id": chart}), EXPLORE_OFF)
        refused_json(
            api.get("/api/v1/explore/", params={"datasource_id": dataset, "datasource_type": "table"}),
            EXPLORE_OFF,
        )
        form_data = {"datasource": f"{dataset}__table", "viz_type": "table", "slice_id": chart}
        refused_json(
            api.post(
                "/api/v1/explore/form_data",
                json={
                    "datasource_id": dataset,
                    "datasource_type": "table",
                    "chart_id": chart,
                    "form_data": json.dumps(form_data),
                },
            ),
            EXPLORE_OFF,
        )
        refused_json(api.post("/api/v1/explore/permalink", json={"formData": form_data}), EXPLORE_OFF)
        refused_json(
            api.post(
                "/api/v1/sqllab/execute/",
                json={"database_id": off.database_id, "sql": "SELECT 1", "runAsync": False},
            ),
            SQL_LAB_OFF,
        )
        for path in ("/api/v1/sqllab/", "/api/v1/query/", "/api/v1/saved_query/"):
            refused_json(api.get(path), SQL_LAB_OFF)


@pytest.mark.parametrize("role", ROLES)
def test_saving_a_chart_is_refused(server: Server, off: OffTenant, role: str) -> None:
    """Explore's save: a new chart on the tenant's dataset, or a chart's query changed."""
    email = off.email(role)
    chart = off.chart_ids[0]
    with server.admin() as admin:
        before = sorted(c["id"] for c in admin.iter_list("chart", columns=["id"]))
        original = admin.get(f"/api/v1/chart/{chart}")["result"]
    new_chart = {
        "slice_name": f"ad hoc {secrets.token_hex(3)}",
        "viz_type": "table",
        "datasource_id": off.dataset_id,
        "datasource_type": "table",
        "params": json.dumps({"viz_type": "table", "datasource": f"{off.dataset_id}__table"}),
    }
    with api_session(server, email, off.passwords[email]) as api:
        refused_json(api.post("/api/v1/chart/", json=new_chart), EXPLORE_OFF)
        changed = {"params": json.dumps({"viz_type": "table", "row_limit": 5}), "viz_type": "table"}
        refused_json(api.put(f"/api/v1/chart/{chart}", json=changed), EXPLORE_OFF)
    with server.admin() as admin:
        assert sorted(c["id"] for c in admin.iter_list("chart", columns=["id"])) == before
        after = admin.get(f"/api/v1/chart/{chart}")["result"]
    assert (after["params"], after["viz_type"]) == (original["params"], original["viz_type"])


@pytest.mark.parametrize("role", ROLES)
def test_csv_export_is_refused(server: Server, off: OffTenant, role: str) -> None:
    email = off.email(role)
    with api_session(server, email, off.passwords[email]) as api:
        query_context = chart_query_context(api, off.chart_ids[0])
        csv = api.post("/api/v1/chart/data", json={**query_context, "result_format": "csv"})
        as_json = api.post("/api/v1/chart/data", json=query_context)
    assert csv.status_code == 403, csv.text[:300]
    assert as_json.status_code == 200, as_json.text[:300]


# -- what still works ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_dashboards_and_their_chart_data_still_work(server: Server, off: OffTenant, role: str) -> None:
    email = off.email(role)
    accounts = set(off.spec.warehouse.account_ids)
    with page_session(server, email, off.passwords[email]) as client:
        for dashboard in off.dashboard_ids:
            page = client.get(f"/superset/dashboard/{dashboard}/")
            assert bootstrap(page)["common"]["feature_flags"]["SUPERTENANT_EXPLORE"] is False
    with api_session(server, email, off.passwords[email]) as api:
        listed = api.get("/api/v1/dashboard/", params={"q": "(columns:!(id),page_size:100)"})
        assert listed.status_code == 200, listed.text[:300]
        assert sorted(d["id"] for d in listed.json()["result"]) == off.dashboard_ids
        seen = []
        for dashboard in off.dashboard_ids:
            for path in ("", "/datasets", "/charts"):
                response = api.get(f"/api/v1/dashboard/{dashboard}{path}")
                assert response.status_code == 200, (path, response.text[:300])
            for chart in api.get(f"/api/v1/dashboard/{dashboard}/charts").json()["result"]:
                data = api.post("/api/v1/chart/data", json=chart_query_context(api, chart["id"]))
                assert data.status_code == 200, (chart["slice_name"], data.text[:300])
                for result in data.json()["result"]:
                    assert result.get("error") is None, (chart["slice_name"], result)
                    assert {r["account_id"] for r in result["data"] if "account_id" in r} <= accounts
                seen.append(chart["id"])
    assert sorted(seen) == off.chart_ids


# -- the other tenants -----------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_other_tenants_keep_explore(server: Server, tenants: Tenants, off: OffTenant, slug: str) -> None:
    email = demo_email(tenants, slug, "editor")
    password = tenants.passwords[email]
    with page_session(server, email, password) as client:
        payload = bootstrap(home_page(client))
        explore = client.get("/explore/")
        new_chart_page = client.get("/chart/add")
    assert new_chart_page.status_code == 200, new_chart_page.text[:300]
    assert payload["common"]["feature_flags"]["SUPERTENANT_EXPLORE"] is True
    assert ("can_explore", "Superset") in held(payload["user"]["roles"])
    assert explore.status_code == 200, explore.text[:300]
    with api_session(server, email, password) as api:
        charts = api.get("/api/v1/chart/", params={"q": "(columns:!(id,datasource_id),page_size:1)"})
        assert charts.status_code == 200, charts.text[:300]
        chart = charts.json()["result"][0]
        state = api.get("/api/v1/explore/", params={"slice_id": chart["id"]})
        assert state.status_code == 200, state.text[:300]
        key = api.post(
            "/api/v1/explore/form_data",
            json={
                "datasource_id": chart["datasource_id"],
                "datasource_type": "table",
                "chart_id": chart["id"],
                "form_data": json.dumps({"viz_type": "table", "slice_id": chart["id"]}),
            },
        )
        assert key.status_code == 201, key.text[:300]
        created = api.post(
            "/api/v1/chart/",
            json={
                "slice_name": f"ad hoc {secrets.token_hex(3)}",
                "viz_type": "table",
                "datasource_id": chart["datasource_id"],
                "datasource_type": "table",
                "params": json.dumps({"viz_type": "table"}),
            },
        )
        assert created.status_code == 201, created.text[:300]
        deleted = api.delete(f"/api/v1/chart/{created.json()['id']}")
        assert deleted.status_code == 200, deleted.text[:300]
