"""A targeted scenario for every leak class reproduced on Superset 6.1.0 (research notes §0, §10).

Tenant A is `sakura-shoes`, tenant B is `northwind-outdoor`. Each test tries
the attack as A's users with B's ids and asserts that nothing of B comes back,
nothing of B changes, and the answer equals the answer for an id that does not
exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from supertenant.superset_api import SupersetClient

from .conftest import Server, Tenants

pytestmark = pytest.mark.integration

A, B = "sakura-shoes", "northwind-outdoor"
MISSING_ID = 987654


def raw(client: SupersetClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The raw response, whatever its status (the client maps errors to exceptions)."""
    if not client._logged_in:
        client.login()
    return client._http.request(method, path, **kwargs)


@pytest.fixture(scope="module")
def b_ids(server: Server, tenants: Tenants) -> dict[str, Any]:
    with server.admin() as admin:
        record = admin.get(f"/api/v1/supertenant/tenants/{B}")["result"]
        members = admin.get(f"/api/v1/supertenant/tenants/{B}/members")["result"]
        datasets = [
            d["id"]
            for d in admin.iter_list(
                "dataset",
                filters=[{"col": "database", "opr": "rel_o_m", "value": record["superset_database_id"]}],
            )
        ]
        charts = [
            c["id"]
            for c in admin.iter_list("chart", columns=["id", "datasource_id"])
            if c["datasource_id"] in datasets
        ]
    return {
        "users": [m["user_id"] for m in members],
        "usernames": [m["username"] for m in members],
        "roles": list(record["role_ids"].values()),
        "datasets": datasets,
        "charts": charts,
        "dashboards": list(record["dashboard_ids"].values()),
        "database": record["superset_database_id"],
    }


@pytest.fixture(params=["admin", "editor", "viewer"])
def a_user(request: pytest.FixtureRequest, server: Server, tenants: Tenants) -> Iterator[SupersetClient]:
    with tenants.login(server, A, request.param) as client:
        yield client


def assert_no_b(response: httpx.Response, b_ids: dict[str, Any]) -> None:
    text = response.text
    for name in b_ids["usernames"] + ["Northwind", "northwind"]:
        assert name not in text, f"{response.request.url}: leaked {name!r}"


def test_user_enumeration_through_related_endpoints(a_user: SupersetClient, b_ids: dict[str, Any]) -> None:
    for resource in (
        "css_template",
        "database",
        "dataset",
        "saved_query",
        "theme",
        "tag",
        "chart",
        "dashboard",
    ):
        for column in ("created_by", "changed_by", "owners"):
            response = raw(a_user, "GET", f"/api/v1/{resource}/related/{column}")
            assert_no_b(response, b_ids)
            if response.status_code == 200:
                assert all(r["value"] not in b_ids["users"] for r in response.json()["result"])


def test_avatar_probe_cannot_tell_existing_ids(a_user: SupersetClient, b_ids: dict[str, Any]) -> None:
    foreign = raw(a_user, "GET", f"/api/v1/user/{b_ids['users'][0]}/avatar.png")
    missing = raw(a_user, "GET", f"/api/v1/user/{MISSING_ID}/avatar.png")
    assert foreign.status_code == missing.status_code == 404


def test_other_tenants_owners_and_roles_are_refused(
    server: Server, tenants: Tenants, b_ids: dict[str, Any]
) -> None:
    with tenants.login(server, A, "editor") as editor, server.admin() as admin:
        for body in (
            {"dashboard_title": "x", "owners": [b_ids["users"][0]]},
            {"dashboard_title": "x", "roles": [b_ids["roles"][0]]},
        ):
            response = raw(editor, "POST", "/api/v1/dashboard/", json=body)
            assert response.status_code >= 400, response.text
            if response.status_code == 201:  # pragma: no cover - would be the leak
                admin.delete(f"/api/v1/dashboard/{response.json()['id']}")
            assert_no_b(response, b_ids)


def test_chart_on_another_tenants_dataset_is_refused(
    server: Server, tenants: Tenants, b_ids: dict[str, Any]
) -> None:
    with tenants.login(server, A, "editor") as editor:
        answers = []
        for dataset_id in (b_ids["datasets"][0], MISSING_ID):
            body = {
                "slice_name": "probe",
                "datasource_id": dataset_id,
                "datasource_type": "table",
                "viz_type": "table",
            }
            answers.append(raw(editor, "POST", "/api/v1/chart/", json=body))
        assert answers[0].status_code == answers[1].status_code == 404
        assert answers[0].json() == answers[1].json()


def test_dashboard_rbac_chain_cannot_reach_other_tenants_rows(
    server: Server, tenants: Tenants, b_ids: dict[str, Any]
) -> None:
    """F1: a chart of B placed on A's dashboard, then chart data with dashboardId/slice_id."""
    with tenants.login(server, A, "editor") as editor:
        for chart_id in b_ids["charts"][:3]:
            with server.admin() as admin:
                query_context = json.loads(admin.get(f"/api/v1/chart/{chart_id}")["result"]["query_context"])
            query_context["form_data"] = {**query_context.get("form_data", {}), "slice_id": chart_id}
            response = raw(editor, "POST", "/api/v1/chart/data", json=query_context)
            assert response.status_code in (403, 404)
            assert "345-678-9012" not in response.text


def test_other_tenants_objects_by_id_look_missing(a_user: SupersetClient, b_ids: dict[str, Any]) -> None:
    for resource, ids in (
        ("chart", b_ids["charts"][:2]),
        ("dashboard", b_ids["dashboards"]),
        ("dataset", b_ids["datasets"][:2]),
    ):
        missing = raw(a_user, "GET", f"/api/v1/{resource}/{MISSING_ID}")
        for object_id in ids:
            response = raw(a_user, "GET", f"/api/v1/{resource}/{object_id}")
            assert response.status_code == missing.status_code, (resource, object_id, response.text)
            assert response.status_code in (403, 404)
            assert_no_b(response, b_ids)


def test_themes_are_not_writable_by_tenants(a_user: SupersetClient) -> None:
    assert raw(a_user, "PUT", "/api/v1/theme/1", json={"theme_name": "pwned"}).status_code == 404
    assert (
        raw(a_user, "POST", "/api/v1/theme/", json={"theme_name": "pwned", "json_data": "{}"}).status_code
        == 404
    )


def test_native_annotation_layers_are_refused_in_chart_data(server: Server, tenants: Tenants) -> None:
    with tenants.login(server, A, "viewer") as viewer:
        dataset = next(iter(viewer.iter_list("dataset")))
        body = {
            "datasource": {"id": dataset["id"], "type": "table"},
            "queries": [
                {
                    "columns": ["account_id"],
                    "metrics": ["cost"],
                    "annotation_layers": [{"name": "x", "sourceType": "NATIVE", "value": 1, "show": True}],
                }
            ],
            "result_format": "json",
            "result_type": "full",
        }
        assert raw(viewer, "POST", "/api/v1/chart/data", json=body).status_code == 404


@pytest.mark.parametrize("resource", ["dashboard", "chart", "dataset", "database", "assets", "theme"])
def test_import_endpoints_are_closed(a_user: SupersetClient, resource: str) -> None:
    response = raw(
        a_user,
        "POST",
        f"/api/v1/{resource}/import/",
        files={"formData": ("x.zip", b"PK\x05\x06" + b"\0" * 18)},
    )
    assert response.status_code == 404


def test_cache_invalidation_is_closed(a_user: SupersetClient, b_ids: dict[str, Any]) -> None:
    body = {"datasource_uids": [f"{d}__table" for d in b_ids["datasets"]]}
    assert raw(a_user, "POST", "/api/v1/cachekey/invalidate", json=body).status_code == 404


def test_sql_lab_cannot_read_server_files(server: Server, tenants: Tenants) -> None:
    with tenants.login(server, B, "admin") as admin_b, server.admin() as platform:
        database_id = platform.get(f"/api/v1/supertenant/tenants/{B}")["result"]["superset_database_id"]
        response = raw(
            admin_b,
            "POST",
            "/api/v1/sqllab/execute/",
            json={
                "database_id": database_id,
                "sql": "SELECT * FROM read_text('/etc/hostname')",
                "runAsync": False,
            },
        )
    assert response.status_code != 200 or "content" not in response.text
    hostname = Path("/etc/hostname").read_text().strip()
    assert hostname not in response.text


def test_sql_lab_is_closed_when_the_feature_is_off(
    server: Server, tenants: Tenants, b_ids: dict[str, Any]
) -> None:
    with tenants.login(server, A, "admin") as admin_a:
        response = raw(
            admin_a,
            "POST",
            "/api/v1/sqllab/execute/",
            json={"database_id": b_ids["database"], "sql": "SELECT 1"},
        )
    assert response.status_code in (403, 404)


def test_cached_chart_data_never_crosses_tenants(server: Server, tenants: Tenants) -> None:
    seen: dict[str, set[str]] = {}
    for slug in (A, B, A, B):
        with tenants.login(server, slug, "viewer") as viewer:
            dataset = next(d for d in viewer.iter_list("dataset") if d["table_name"] == "ads_campaign_daily")
            body = {
                "datasource": {"id": dataset["id"], "type": "table"},
                "queries": [{"columns": ["account_id"], "metrics": ["clicks"], "row_limit": 50}],
                "result_format": "json",
                "result_type": "full",
            }
            rows = viewer.post("/api/v1/chart/data", body)["result"][0]["data"]
            seen.setdefault(slug, set()).update(r["account_id"] for r in rows)
    assert seen[A] == set(tenants.specs[A].warehouse.account_ids)
    assert seen[B] == set(tenants.specs[B].warehouse.account_ids)


def test_a_user_on_another_tenants_hostname_is_refused(server: Server, tenants: Tenants) -> None:
    user = next(u for u in tenants.specs[A].users if u.role == "viewer")
    response = httpx.post(
        f"{server.url}/api/v1/security/login",
        json={"username": user.email, "password": tenants.passwords[user.email], "provider": "db"},
    )
    token = response.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    own = httpx.get(f"{server.url}/api/v1/me/", headers=headers | {"Host": "sakura.localhost"})
    other = httpx.get(f"{server.url}/api/v1/me/", headers=headers | {"Host": "northwind.localhost"})
    assert own.status_code == 200
    assert other.status_code == 403


def test_platform_admin_keeps_full_access(server: Server, tenants: Tenants, b_ids: dict[str, Any]) -> None:
    with server.admin() as admin:
        dashboards = {d["id"] for d in admin.iter_list("dashboard", columns=["id"])}
        assert set(b_ids["dashboards"]) <= dashboards
        assert admin.get(f"/api/v1/chart/{b_ids['charts'][0]}")["result"]["id"] == b_ids["charts"][0]
        assert len(list(admin.iter_list("security/users"))) >= 7
