"""Issue #4: walk every Superset route as each role of tenant A, with tenant B's ids.

Routes are the union of Superset's OpenAPI spec (``/api/v1/_openapi``, read as
the platform admin) and the Flask URL map of the same app (built in a
subprocess with the server's environment, so page routes, form posts and the
few ``/api`` routes the spec omits are walked too). Every path parameter gets
B's object of the right kind (``{pk}`` per resource, dashboard ids, slugs and
UUIDs for ``{id_or_slug}``, permalink/filter-state/form-data keys, cache keys,
SQL Lab client ids, tab states …); list endpoints get rison filters on every
id-bearing column; ``related``/``distinct`` columns search for B's names; POST
and PUT bodies are built from the spec's schemas with B's ids in every id
field (owners, roles, dashboards, datasource_id, database, tables, …), with
hand-written bodies where a generic one would be rejected before any access
check (chart data with B's query context, SQL Lab, explore state, imports
carrying B's UUIDs).

Each request is sent twice, with B's ids and with ids that exist nowhere.
The walk fails when:

1. an answer holds B's names, texts or ids (usernames, e-mails, names, the
   tenant name, campaign names, the account id, dashboard titles and slugs,
   chart names, UUIDs, keys, or a B id in an id field) that the request did not
   itself carry;
2. anything of B differs afterwards (REST details read as the platform admin,
   plus B's rows and association rows in the metadata DB, changed_on included);
3. a GET answers B's id with another status than a missing id (an existence
   oracle); writes are held to the same rule.

Not covered: HEAD/OPTIONS/PATCH; ``/static`` content; second and later ids of
a kind (one representative B object per kind, plus every dashboard form);
global uniqueness checks that answer with the same status but another message
(dashboard slug, database name); timing differences; async/Celery paths
(global async queries are off); per-id variants of routes whose kind B has no
object of (reports, tags, groups: walked with a missing id on both sides).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import prison
import pytest
import sqlalchemy as sa
from hashids import Hashids

from supertenant.superset_api import SupersetClient

from . import route_walk as rw
from .conftest import Server, Tenants

pytestmark = pytest.mark.integration

A, B = "sakura-shoes", "northwind-outdoor"
ROLES = ("admin", "editor", "viewer")
WORKERS = 4
ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "isolation_matrix.txt"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
HUMANIZED = ("_humanized", "thumbnail_url")
# Global objects a walk could create (cleaned up afterwards; they must not reference B).
INVENTORY = (
    "chart",
    "dashboard",
    "dataset",
    "database",
    "saved_query",
    "css_template",
    "theme",
    "annotation_layer",
    "rowlevelsecurity",
    "security/roles",
    "security/users",
)
URL_MAP_SCRIPT = """
import json, sys
from superset.app import create_app
app = create_app()
rules = [{"rule": r.rule, "methods": sorted(r.methods or ())} for r in app.url_map.iter_rules()]
sys.stdout.write("\\n@@URL_MAP@@" + json.dumps(rules))
"""


# -- HTTP ------------------------------------------------------------------------------------------


def logged_in(client: SupersetClient) -> httpx.Client:
    """The client's HTTP session, with JWT, CSRF token and session cookie."""
    if not client._logged_in:
        client.login()
    return client._http


def send(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request, retried on rate limiting and gateway hiccups (raw calls bypass the client's retry)."""
    for attempt in range(7):
        try:
            response = http.request(method, path, **kwargs)
        except httpx.TransportError:
            if attempt == 6:
                raise
            time.sleep(0.5 * 2**attempt)
            continue
        if response.status_code not in RETRY_STATUSES or attempt == 6:
            return response
        retry_after = response.headers.get("Retry-After", "")
        time.sleep(min(float(retry_after) if retry_after.isdigit() else 0.25 * 2**attempt, 4.0))
    raise AssertionError("unreachable")


def send_probe(http: httpx.Client, probe: rw.Probe) -> rw.Answer:
    response = send(
        http,
        probe.method,
        probe.path,
        params=dict(probe.params) or None,
        json=probe.json,
        data=dict(probe.data) if probe.data is not None else None,
        files=dict(probe.files) if probe.files else None,
    )
    return rw.Answer(
        response.status_code,
        response.headers.get("content-type", ""),
        response.content,
        response.headers.get("location", ""),
    )


def ok(response: httpx.Response) -> Any:
    assert response.status_code < 400, (
        f"{response.request.method} {response.request.url} → {response.status_code}: {response.text[:300]}"
    )
    return response.json() if response.content else {}


# -- Routes ----------------------------------------------------------------------------------------


def flask_url_map(server: Server) -> list[dict[str, Any]]:
    """The Flask URL map of the same app the server runs (same environment, separate process)."""
    result = subprocess.run(
        [sys.executable, "-c", URL_MAP_SCRIPT],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "@@URL_MAP@@" in result.stdout, result.stderr[-3000:]
    rules: list[dict[str, Any]] = json.loads(result.stdout.split("@@URL_MAP@@", 1)[1])
    return rules


def related_columns(admin: httpx.Client, routes: Sequence[rw.Route]) -> dict[str, list[str]]:
    """The columns each ``related``/``distinct`` endpoint answers for (asked as the platform admin)."""
    candidates = (
        "owners",
        "created_by",
        "changed_by",
        "last_saved_by",
        "roles",
        "dashboards",
        "database",
        "datasource",
        "tables",
        "slices",
        "user",
        "users",
        "schema",
        "table_name",
        "label",
        "status",
        "tab_name",
        "sql_editor_id",
        "layer",
        "username",
        "email",
    )
    found: dict[str, list[str]] = {}
    for route in routes:
        if route.method != "GET" or "{column_name}" not in route.path or "/datasource/" in route.path:
            continue
        found[route.key] = [
            column
            for column in candidates
            if send(admin, "GET", route.path.replace("{column_name}", column)).status_code == 200
        ] or ["owners"]
    return found


def list_filters(admin: httpx.Client, routes: Sequence[rw.Route]) -> dict[str, dict[str, list[str]]]:
    """Filter columns and operators of each list endpoint (``_info``, as the platform admin)."""
    out: dict[str, dict[str, list[str]]] = {}
    for route in routes:
        if route.method != "GET" or not route.path.endswith("/_info"):
            continue
        response = send(admin, "GET", route.path, params={"q": prison.dumps({"keys": ["filters"]})})
        if response.status_code == 200:
            filters = response.json().get("filters", {})
            out[rw.resource_of(route.path)] = {c: [o["operator"] for o in ops] for c, ops in filters.items()}
    return out


# -- What B has ------------------------------------------------------------------------------------


@dataclass
class Foreign:
    """Tenant B as the walk sees it: its book of ids, what must never leak, what was seeded."""

    book: rw.IdBook
    markers: rw.Markers
    cleanup: list[str] = field(default_factory=list)  # admin DELETE paths for seeded objects
    owner_cleanup: list[str] = field(default_factory=list)  # B admin DELETE paths (SQL Lab tabs)


def seed_foreign_state(server: Server, tenants: Tenants, dashboard_id: int, chart_id: int) -> dict[str, Any]:
    """Objects B's own users make in normal use: SQL Lab state, permalinks, filter state, cache keys."""
    out: dict[str, Any] = {}
    record = _admin_get(server, f"/api/v1/supertenant/tenants/{B}")["result"]
    database_id, schema = record["superset_database_id"], record["warehouse"]["schema"]
    with tenants.login(server, B, "admin") as b_admin:
        http = logged_in(b_admin)
        client_id = f"wb{secrets.token_hex(4)}"
        sql = f"SELECT campaign_name FROM {schema}.ads_campaign_daily LIMIT 3"  # noqa: S608
        run = ok(
            send(
                http,
                "POST",
                "/api/v1/sqllab/execute/",
                json={
                    "database_id": database_id,
                    "sql": sql,
                    "schema": schema,
                    "runAsync": False,
                    "client_id": client_id,
                },
            )
        )
        out["query"], out["client_id"] = run["query_id"], client_id
        saved = ok(
            send(
                http,
                "POST",
                "/api/v1/saved_query/",
                json={"db_id": database_id, "label": "Northwind walk query", "sql": sql, "schema": schema},
            )
        )
        out["saved_query"] = saved["id"]
        editor = {"title": "Northwind walk tab", "dbId": database_id, "schema": schema, "sql": sql}
        tab = ok(
            send(
                http, "POST", "/tabstateview/", data={"queryEditor": json.dumps(editor | {"autorun": False})}
            )
        )
        out["tab_state"] = tab["id"]
        table = {
            "dbId": database_id,
            "schema": schema,
            "name": "ads_campaign_daily",
            "queryEditorId": tab["id"],
        }
        out["table_schema"] = ok(send(http, "POST", "/tableschemaview/", data={"table": json.dumps(table)}))[
            "id"
        ]
        out["sqllab_permalink"] = ok(
            send(
                http,
                "POST",
                "/api/v1/sqllab/permalink",
                json={"dbId": database_id, "sql": sql, "name": "walk"},
            )
        )["key"]
    with tenants.login(server, B, "viewer") as b_viewer:
        http = logged_in(b_viewer)
        state = {"dataMask": {}, "activeTabs": [], "anchor": "", "urlParams": []}
        out["dashboard_permalink"] = ok(
            send(http, "POST", f"/api/v1/dashboard/{dashboard_id}/permalink", json=state)
        )["key"]
        out["filter_state"] = ok(
            send(http, "POST", f"/api/v1/dashboard/{dashboard_id}/filter_state", json={"value": "{}"})
        )["key"]
    with tenants.login(server, B, "editor") as b_editor:
        http = logged_in(b_editor)
        chart = _admin_get(server, f"/api/v1/chart/{chart_id}")["result"]
        form_data = {
            "datasource": f"{chart['datasource_id']}__table",
            "slice_id": chart_id,
            "viz_type": "table",
        }
        out["form_data"] = ok(
            send(
                http,
                "POST",
                "/api/v1/explore/form_data",
                json={
                    "datasource_id": chart["datasource_id"],
                    "datasource_type": "table",
                    "chart_id": chart_id,
                    "form_data": json.dumps(form_data),
                },
            )
        )["key"]
        out["explore_permalink"] = ok(
            send(http, "POST", "/api/v1/explore/permalink", json={"formData": form_data, "urlParams": []})
        )["key"]
        query_context = json.loads(chart["query_context"])
        out["cache_key"] = ok(send(http, "POST", "/api/v1/chart/data", json=query_context))["result"][0][
            "cache_key"
        ]
    return out


def _admin_get(server: Server, path: str, params: Mapping[str, Any] | None = None) -> Any:
    with server.admin() as admin:
        return admin.get(path, params=params)


def seed_foreign_globals(admin: SupersetClient) -> tuple[dict[str, int], list[str]]:
    """Global objects named for B (themes, CSS templates and annotation layers have no tenant)."""
    http = logged_in(admin)
    tag = secrets.token_hex(3)
    layer = ok(send(http, "POST", "/api/v1/annotation_layer/", json={"name": f"Northwind walk layer {tag}"}))[
        "id"
    ]
    annotation = ok(
        send(
            http,
            "POST",
            f"/api/v1/annotation_layer/{layer}/annotation/",
            json={
                "short_descr": "Northwind walk annotation",
                "start_dttm": "2026-01-01T00:00:00",
                "end_dttm": "2026-01-02T00:00:00",
            },
        )
    )["id"]
    css = ok(
        send(
            http,
            "POST",
            "/api/v1/css_template/",
            json={"template_name": f"Northwind walk css {tag}", "css": ".x{}"},
        )
    )["id"]
    theme = ok(
        send(
            http,
            "POST",
            "/api/v1/theme/",
            json={
                "theme_name": f"Northwind walk theme {tag}",
                "json_data": json.dumps({"token": {"colorPrimary": "#2f6f4f"}}),
            },
        )
    )["id"]
    ids = {"annotation_layer": layer, "annotation": annotation, "css_template": css, "theme": theme}
    cleanup = [
        f"/api/v1/annotation_layer/{layer}/annotation/{annotation}",
        f"/api/v1/annotation_layer/{layer}",
        f"/api/v1/css_template/{css}",
        f"/api/v1/theme/{theme}",
    ]
    return ids, cleanup


def campaign_names(admin: SupersetClient, dataset_id: int) -> set[str]:
    body = {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [
            {
                "columns": ["campaign_name"],
                "metrics": [{"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "n"}],
                "row_limit": 1000,
            }
        ],
        "result_format": "json",
        "result_type": "full",
    }
    rows = admin.post("/api/v1/chart/data", body)["result"][0]["data"]
    return {str(r["campaign_name"]) for r in rows}


def tenant_objects(admin: SupersetClient, slug: str) -> dict[str, Any]:
    """A tenant's objects, read as the platform admin (ids, names and details)."""
    record = admin.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
    members = admin.get(f"/api/v1/supertenant/tenants/{slug}/members")["result"]
    database_id = record["superset_database_id"]
    datasets = [
        admin.get(f"/api/v1/dataset/{d['id']}")["result"]
        for d in admin.iter_list(
            "dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": database_id}], columns=["id"]
        )
    ]
    dataset_ids = {d["id"] for d in datasets}
    chart_ids = sorted(
        c["id"]
        for c in admin.iter_list("chart", columns=["id", "datasource_id"])
        if c["datasource_id"] in dataset_ids
    )
    charts = [admin.get(f"/api/v1/chart/{c}")["result"] for c in chart_ids]
    dashboards = [
        admin.get(f"/api/v1/dashboard/{d}")["result"] for d in sorted(record["dashboard_ids"].values())
    ]
    users = [admin.get(f"/api/v1/security/users/{m['user_id']}")["result"] for m in members]
    rls = [r for r in admin.iter_list("rowlevelsecurity") if str(r["name"]).startswith(f"{slug}__")]
    return {
        "record": record,
        "members": members,
        "database": admin.get(f"/api/v1/database/{database_id}")["result"],
        "datasets": sorted(datasets, key=lambda d: d["id"]),
        "charts": charts,
        "dashboards": dashboards,
        "users": users,
        "roles": sorted(record["role_ids"].values()),
        "rls": sorted(r["id"] for r in rls),
    }


def _digest(url: str | None) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def read_foreign(server: Server, tenants: Tenants) -> Foreign:
    """B's book and markers, plus A's names (a B name A also uses is not a marker)."""
    with server.admin() as admin:
        b, a = tenant_objects(admin, B), tenant_objects(admin, A)
        chart = next(c for c in b["charts"] if c.get("dashboards"))
        dashboard = b["dashboards"][0]
        seeded = seed_foreign_state(server, tenants, dashboard["id"], chart["id"])
        global_ids, cleanup = seed_foreign_globals(admin)
        http = logged_in(admin)
        view_menus = [
            r["id"]
            for r in admin.iter_list(
                "security/resources", filters=[{"col": "name", "opr": "ct", "value": f"[{B}]"}]
            )
        ]
        pvms = (
            [
                p["id"]
                for p in admin.iter_list(
                    "security/permissions-resources",
                    filters=[{"col": "view_menu", "opr": "rel_o_m", "value": view_menus[0]}],
                )
            ]
            if view_menus
            else []
        )
        logs = send(
            http,
            "GET",
            "/api/v1/log/",
            params={"q": prison.dumps({"order_column": "dttm", "order_direction": "desc", "page_size": 100})},
        )
        b_users = {u["id"] for u in b["users"]}
        listed = logs.json() if logs.status_code == 200 else {}
        log_ids = [
            i
            for i, row in zip(listed.get("ids", []), listed.get("result", []), strict=True)
            if row["user_id"] in b_users
        ]
        campaigns_b = campaign_names(admin, b["datasets"][0]["id"])
        campaigns_a = campaign_names(admin, a["datasets"][0]["id"])
    dataset = next(d for d in b["datasets"] if d["id"] == chart.get("datasource_id", b["datasets"][0]["id"]))
    user = b["users"][0]
    ids: dict[str, list[int]] = {
        "chart": [chart["id"]],
        "dashboard": [dashboard["id"]],
        "dataset": [dataset["id"]],
        "database": [b["database"]["id"]],
        "user": [user["id"]],
        "role": b["roles"],
        "rls": b["rls"],
        "column": [dataset["columns"][0]["id"]],
        "metric": [dataset["metrics"][0]["id"]] if dataset["metrics"] else [],
        "view_menu": view_menus[:1],
        "pvm": pvms[:1],
        "log": log_ids[:1],
        "saved_query": [seeded["saved_query"]],
        "query": [seeded["query"]],
        "tab_state": [seeded["tab_state"]],
        "table_schema": [seeded["table_schema"]],
        **{kind: [value] for kind, value in global_ids.items()},
    }
    strings: dict[str, list[str]] = {
        "dashboard_slug": [dashboard["slug"]],
        "dashboard_uuid": [dashboard["uuid"]],
        "chart_uuid": [chart["uuid"]],
        "dataset_uuid": [dataset["uuid"]],
        "database_uuid": [b["database"]["uuid"]],
        "dashboard_digest": [_digest(dashboard.get("thumbnail_url"))],
        "chart_digest": [_digest(chart.get("thumbnail_url"))],
        "schema": [dataset["schema"]],
        "table": [dataset["table_name"]],
        "database_name": [b["database"]["database_name"]],
        "tenant_slug": [B],
        "search": ["northwind"],
        "user_search": [user["first_name"]],
        "chart_search": [chart["slice_name"]],
        "dashboard_search": [dashboard["dashboard_title"]],
        "saved_query_search": ["Northwind walk query"],
        **{
            kind: [str(seeded[kind])]
            for kind in (
                "client_id",
                "cache_key",
                "dashboard_permalink",
                "explore_permalink",
                "sqllab_permalink",
                "filter_state",
                "form_data",
            )
        },
    }
    book = rw.IdBook("foreign", ids, strings, json.loads(chart["query_context"]))
    names = [
        b["record"]["name"],
        "Northwind",
        "345-678-9012",
        *(b["record"]["warehouse"].get("account_ids") or []),
        b["record"]["branding"].get("app_name") or "",
        *b["record"]["branding"].get("hostnames", []),
        *campaigns_b,
        *(d["dashboard_title"] for d in b["dashboards"]),
        *(d["slug"] for d in b["dashboards"]),
        *(str(d["uuid"]) for d in b["dashboards"]),
        *(c["slice_name"] for c in b["charts"]),
        *(str(c["uuid"]) for c in b["charts"]),
        *(d["table_name"] for d in b["datasets"]),
        *(f"{d['schema']}.{d['table_name']}" for d in b["datasets"]),
        *(str(d["uuid"]) for d in b["datasets"]),
        b["database"]["database_name"],
        str(b["database"]["uuid"]),
        *(u["username"] for u in b["users"]),
        *(u["email"] for u in b["users"]),
        *(u["first_name"] for u in b["users"]),
        *(u["last_name"] for u in b["users"]),
        *(f"{u['first_name']} {u['last_name']}" for u in b["users"]),
        *(str(seeded[k]) for k in ("cache_key", "dashboard_permalink", "explore_permalink", "filter_state")),
        *(str(seeded[k]) for k in ("form_data", "sqllab_permalink", "client_id")),
    ]
    own = [
        a["record"]["name"],
        *campaigns_a,
        *(d["dashboard_title"] for d in a["dashboards"]),
        *(c["slice_name"] for c in a["charts"]),
        *(d["table_name"] for d in a["datasets"]),
        *(col["column_name"] for d in a["datasets"] for col in d["columns"]),
        *(col.get("verbose_name") or "" for d in a["datasets"] for col in d["columns"]),
        *(m["metric_name"] for d in a["datasets"] for m in d["metrics"]),
        *(m.get("verbose_name") or "" for d in a["datasets"] for m in d["metrics"]),
        *(u["first_name"] for u in a["users"]),
        *(u["last_name"] for u in a["users"]),
    ]
    marker_ids = {
        "chart": [c["id"] for c in b["charts"]],
        "dashboard": [d["id"] for d in b["dashboards"]],
        "dataset": [d["id"] for d in b["datasets"]],
        "database": [b["database"]["id"]],
        "user": [u["id"] for u in b["users"]],
        "role": b["roles"],
        "rls": b["rls"],
        "saved_query": [seeded["saved_query"]],
        "query": [seeded["query"]],
        "tab_state": [seeded["tab_state"]],
    }
    cleanup.append(f"/api/v1/saved_query/{seeded['saved_query']}")
    owner_cleanup = [f"/tabstateview/{seeded['tab_state']}"]
    markers = rw.build_markers(names, own, marker_ids, distinctive=["Northwind"])
    return Foreign(book, markers, cleanup, owner_cleanup)


# -- Snapshots -------------------------------------------------------------------------------------


def _strip(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {k: _strip(v) for k, v in payload.items() if not k.endswith(HUMANIZED)}
    if isinstance(payload, list):
        return [_strip(v) for v in payload]
    return payload


def rest_snapshot(server: Server, book: rw.IdBook, markers: rw.Markers) -> dict[str, Any]:
    """B's objects as the platform admin reads them over REST."""
    out: dict[str, Any] = {}
    with server.admin() as admin:
        http = logged_in(admin)
        paths = [f"/api/v1/supertenant/tenants/{B}", f"/api/v1/supertenant/tenants/{B}/members"]
        paths += [f"/api/v1/chart/{i}" for i in sorted(markers.ids["chart"])]
        paths += [f"/api/v1/dashboard/{i}" for i in sorted(markers.ids["dashboard"])]
        paths += [f"/api/v1/dashboard/{i}/charts" for i in sorted(markers.ids["dashboard"])]
        paths += [f"/api/v1/dataset/{i}" for i in sorted(markers.ids["dataset"])]
        paths += [f"/api/v1/database/{i}" for i in sorted(markers.ids["database"])]
        paths += [f"/api/v1/security/users/{i}" for i in sorted(markers.ids["user"])]
        paths += [f"/api/v1/security/roles/{i}" for i in sorted(markers.ids["role"])]
        paths += [f"/api/v1/security/roles/{i}/permissions/" for i in sorted(markers.ids["role"])]
        paths += [f"/api/v1/rowlevelsecurity/{i}" for i in sorted(markers.ids["rls"])]
        paths += [f"/api/v1/saved_query/{i}" for i in sorted(markers.ids["saved_query"])]
        paths += [
            f"/api/v1/annotation_layer/{book.id('annotation_layer')}",
            f"/api/v1/css_template/{book.id('css_template')}",
        ]
        paths += [f"/api/v1/theme/{book.id('theme')}"]
        for path in paths:
            response = send(http, "GET", path)
            out[f"GET {path}"] = [response.status_code, _strip(response.json()) if response.content else None]
        database = book.id("database")
        q = {"filters": [{"col": "database", "opr": "rel_o_m", "value": database}], "page_size": 100}
        listed = send(
            http, "GET", "/api/v1/dataset/", params={"q": prison.dumps(q | {"columns": ["id", "changed_on"]})}
        )
        out["datasets in B's database"] = listed.json().get("result")
        q = {"filters": [{"col": "id", "opr": "in", "value": sorted(markers.ids["chart"])}], "page_size": 100}
        listed = send(
            http,
            "GET",
            "/api/v1/chart/",
            params={"q": prison.dumps(q | {"columns": ["id", "changed_on_utc"]})},
        )
        out["B's charts"] = listed.json().get("result")
    return out


def db_snapshot(
    engine: sa.engine.Engine, ids: Mapping[str, Sequence[int]], slug: str, *, activity: bool
) -> dict:
    """A tenant's rows and association rows in the metadata DB, ``changed_on`` included.

    ``activity`` adds the tables a tenant's own users write by using Superset (SQL Lab
    history, tabs, favourites, key-value state): for B nothing may appear there during
    the walk; for A the walk itself legitimately writes some.
    """
    params = {
        "charts": list(ids.get("chart", [])) or [-1],
        "dashboards": list(ids.get("dashboard", [])) or [-1],
        "datasets": list(ids.get("dataset", [])) or [-1],
        "databases": list(ids.get("database", [])) or [-1],
        "users": list(ids.get("user", [])) or [-1],
        "roles": list(ids.get("role", [])) or [-1],
        "rls": list(ids.get("rls", [])) or [-1],
        "globals": list(ids.get("globals", [])) or [-1],
        "slug": slug,
        "view_menu": f"%[{slug}]%",
    }
    queries = {
        "slices": "id IN :charts OR datasource_id IN :datasets",
        "dashboards": "id IN :dashboards",
        "dashboard_slices": "dashboard_id IN :dashboards OR slice_id IN :charts",
        "dashboard_user": "dashboard_id IN :dashboards OR user_id IN :users",
        "dashboard_roles": "dashboard_id IN :dashboards OR role_id IN :roles",
        "slice_user": "slice_id IN :charts OR user_id IN :users",
        "sqlatable_user": "table_id IN :datasets OR user_id IN :users",
        "tables": "id IN :datasets OR database_id IN :databases",
        "table_columns": "table_id IN :datasets",
        "sql_metrics": "table_id IN :datasets",
        "dbs": "id IN :databases",
        "ab_user": "id IN :users",
        "ab_user_role": "user_id IN :users OR role_id IN :roles",
        "ab_user_group": "user_id IN :users",
        "ab_role": "id IN :roles",
        "ab_permission_view_role": "role_id IN :roles",
        "ab_view_menu": "name LIKE :view_menu",
        "ab_permission_view": "view_menu_id IN (SELECT id FROM ab_view_menu WHERE name LIKE :view_menu)",
        "row_level_security_filters": "id IN :rls",
        "rls_filter_roles": "rls_filter_id IN :rls OR role_id IN :roles",
        "rls_filter_tables": "rls_filter_id IN :rls OR table_id IN :datasets",
        "embedded_dashboards": "dashboard_id IN :dashboards",
        "report_schedule": "chart_id IN :charts OR dashboard_id IN :dashboards OR database_id IN :databases",
        "favstar": "(class_name = 'slice' AND obj_id IN :charts)"
        " OR (class_name = 'Dashboard' AND obj_id IN :dashboards)",
        "tenants": "slug = :slug",
        "tenant_memberships": "tenant_id IN (SELECT id FROM tenants WHERE slug = :slug)",
    }
    if activity:
        queries |= {
            "saved_query": "user_id IN :users OR db_id IN :databases",
            "query": "user_id IN :users OR database_id IN :databases",
            "tab_state": "user_id IN :users OR database_id IN :databases",
            "table_schema": "database_id IN :databases OR tab_state_id IN "
            "(SELECT id FROM tab_state WHERE user_id IN :users)",
            "favstar": queries["favstar"] + " OR user_id IN :users",
            "user_attribute": "user_id IN :users OR welcome_dashboard_id IN :dashboards",
            "key_value": "created_by_fk IN :users",
            "annotation_layer": "id IN :globals",
            "css_templates": "id IN :globals",
            "themes": "id IN :globals",
        }
    out: dict[str, Any] = {}
    with engine.connect() as connection:
        for table, where in queries.items():
            statement = sa.text(f"SELECT * FROM {table} WHERE {where}")  # noqa: S608 - fixed table names
            used = {k: v for k, v in params.items() if f":{k}" in where}
            for key in used:
                if isinstance(used[key], list):
                    statement = statement.bindparams(sa.bindparam(key, expanding=True))
            rows = [_row(r._mapping) for r in connection.execute(statement, used)]
            for row in sorted(rows, key=lambda r: json.dumps(r, sort_keys=True)):
                out[f"{table}#{row.get('id', json.dumps(row, sort_keys=True))}"] = row
    return out


def _row(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """A DB row as plain JSON values; binary columns by digest."""
    out = {}
    for column, value in mapping.items():
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
        out[column] = value
    return json.loads(json.dumps(out, default=str))


def missing_permalinks(
    engine: sa.engine.Engine, strings: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """Well-formed permalink keys that point nowhere (a malformed key gets another answer).

    Permalink keys are hashids of a key-value row id under a per-kind salt that Superset keeps in
    its key-value table; the salt that decodes B's key encodes an id that does not exist.
    """
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT value FROM key_value WHERE resource = 'app'")).all()
    salts = [s for s in (json.loads(bytes(r.value)) for r in rows) if isinstance(s, str)]
    out: dict[str, list[str]] = {}
    for kind in ("dashboard_permalink", "explore_permalink", "sqllab_permalink"):
        for salt in salts:
            coder = Hashids(salt, min_length=11)
            decoded = coder.decode(strings[kind][0])
            if len(decoded) == 1:
                out[kind] = [coder.encode(decoded[0] + 1_000_000)]
                break
    return out


LOGIN_COLUMNS = ("last_login", "login_count", "fail_login_count", "changed_on")


def without_logins(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """A's users log in during the walk; their login bookkeeping is not a change."""
    return {
        k: ({c: v for c, v in row.items() if c not in LOGIN_COLUMNS} if k.startswith("ab_user#") else row)
        for k, row in snapshot.items()
    }


def inventory(admin: SupersetClient) -> dict[str, set[int]]:
    return {r: {int(row["id"]) for row in admin.iter_list(r, columns=["id"])} for r in INVENTORY}


# -- The walk --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    route: str
    role: str
    note: str
    sent: str
    what: str

    def __str__(self) -> str:
        return f"{self.route} [{self.role}] {self.note} (sent {self.sent}): {self.what}"


@dataclass
class WalkResult:
    routes: list[rw.Route]
    spec_counts: dict[str, int]
    walked_counts: dict[str, int]
    unwalked_spec: list[str]
    content_leaks: list[Leak]
    oracle_leaks: list[Leak]
    b_changes: list[str]
    a_changes: list[str]
    created: list[str]
    errors: list[str]
    probes: int
    seconds: float


def _sent(probe: rw.Probe) -> str:
    ids = ",".join(f"{k}={v}" for k, v in sorted(probe.sent_ids))
    strings = ",".join(sorted(s for s in probe.sent_strings if len(s) < 40))
    return "; ".join(x for x in (ids, strings) if x) or "-"


def walk_pairs(
    server: Server,
    tenants: Tenants,
    pairs: Sequence[tuple[rw.Route, rw.Probe, rw.Probe]],
    markers: rw.Markers,
) -> tuple[dict[tuple[str, str], rw.Cell], list[Leak], list[Leak], list[str], int]:
    """Send every pair as every role of A, four at a time."""
    clients = {role: tenants.login(server, A, role) for role in ROLES}
    sessions = {role: logged_in(client) for role, client in clients.items()}
    cells: dict[tuple[str, str], rw.Cell] = defaultdict(rw.Cell)
    content: list[Leak] = []
    oracles: list[Leak] = []
    errors: list[str] = []
    lock = threading.Lock()
    sent = Counter[str]()

    def run(role: str, route: rw.Route, foreign: rw.Probe, missing: rw.Probe) -> None:
        if foreign.fresh_session:
            with tenants.login(server, A, role) as throwaway:
                http = logged_in(throwaway)
                answers = send_probe(http, foreign), send_probe(http, missing)
        else:
            http = sessions[role]
            first = send_probe(http, foreign)
            answers = first, first if foreign.same_request(missing) else send_probe(http, missing)
        found = [
            Leak(route.key, role, foreign.note, _sent(foreign), w)
            for w in rw.scan(foreign, answers[0], markers)
        ]
        found += [
            Leak(route.key, role, missing.note, "missing ids", f"(missing-id answer) {w}")
            for w in rw.scan(missing, answers[1], markers)
        ]
        oracle = rw.status_oracle(*answers)
        with lock:
            sent[role] += 1 if answers[0] is answers[1] else 2
            cell = cells[(route.key, role)]
            cell.probes += 1
            cell.statuses.add(answers[0].status)
            content.extend(found)
            cell.leaks += [str(f) for f in found]
            if oracle:
                leak = Leak(route.key, role, foreign.note, _sent(foreign), f"existence oracle: {oracle}")
                oracles.append(leak)
                cell.leaks.append(str(leak))
            if answers[0].status >= 500 or answers[1].status >= 500:
                errors.append(f"{route.key} [{role}] {foreign.note}: {answers[0].status}/{answers[1].status}")

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [
                pool.submit(run, role, route, foreign, missing)
                for route, foreign, missing in pairs
                for role in ROLES
            ]
            for future in futures:
                future.result()
    finally:
        for client in clients.values():
            client.close()
    return cells, content, oracles, errors, sum(sent.values())


def run_walk(server: Server, tenants: Tenants) -> WalkResult:
    started = time.monotonic()
    url_map: list[dict[str, Any]] = []
    loader = threading.Thread(target=lambda: url_map.extend(flask_url_map(server)))
    loader.start()
    foreign = read_foreign(server, tenants)
    try:
        return _walk(server, tenants, foreign, url_map, loader, started)
    finally:
        _remove_seeded(server, tenants, foreign)


def _walk(
    server: Server,
    tenants: Tenants,
    foreign: Foreign,
    url_map: list[dict[str, Any]],
    loader: threading.Thread,
    started: float,
) -> WalkResult:
    engine = sa.create_engine(server.metadata_db_url)
    missing = rw.missing_book(foreign.book, missing_permalinks(engine, foreign.book.strings))
    with server.admin() as admin:
        http = logged_in(admin)
        spec = admin.get("/api/v1/_openapi")
        loader.join()
        routes = rw.merge_routes(rw.openapi_routes(spec), rw.url_map_routes(url_map))
        ctx = rw.WalkContext(
            components=spec.get("components", {}).get("schemas", {}),
            list_filters=list_filters(http, routes),
            related_columns=related_columns(http, routes),
        )
        a_ids = _tenant_ids(admin, A)
        before_inventory = inventory(admin)
    b_ids = {k: sorted(v) for k, v in foreign.markers.ids.items()}
    b_ids["globals"] = [foreign.book.id(k) for k in ("annotation_layer", "css_template", "theme")]
    pairs = [(route, f, m) for route in routes for f, m in rw.probe_pairs(route, foreign.book, missing, ctx)]
    try:
        b_rest_before = rest_snapshot(server, foreign.book, foreign.markers)
        b_db_before = db_snapshot(engine, b_ids, B, activity=True)
        a_db_before = without_logins(db_snapshot(engine, a_ids, A, activity=False))
        cells, content, oracles, errors, sent = walk_pairs(server, tenants, pairs, foreign.markers)
        b_changes = rw.diff_snapshots(b_rest_before, rest_snapshot(server, foreign.book, foreign.markers))
        b_changes += rw.diff_snapshots(b_db_before, db_snapshot(engine, b_ids, B, activity=True))
        created = _remove_created(server, before_inventory)
        a_changes = rw.diff_snapshots(
            a_db_before, without_logins(db_snapshot(engine, a_ids, A, activity=False))
        )
    finally:
        engine.dispose()
    spec_counts = rw.spec_operation_count(spec)
    walked = {r.key for r in routes if any(cells.get((r.key, role)) for role in ROLES)}
    walked_counts = dict.fromkeys(rw.WALKED_METHODS, 0)
    for route in routes:
        if route.key in walked and route.path.startswith("/api/"):
            walked_counts[route.method] += 1
    spec_keys = {r.key for r in rw.merge_routes(rw.openapi_routes(spec))}
    result = WalkResult(
        routes=routes,
        spec_counts=spec_counts,
        walked_counts=walked_counts,
        unwalked_spec=sorted(k for k in spec_keys if k not in walked),
        content_leaks=content,
        oracle_leaks=oracles,
        b_changes=b_changes,
        a_changes=a_changes,
        created=created,
        errors=errors,
        probes=sent,
        seconds=time.monotonic() - started,
    )
    write_matrix(result, cells)
    return result


def _tenant_ids(admin: SupersetClient, slug: str) -> dict[str, list[int]]:
    objects = tenant_objects(admin, slug)
    return {
        "chart": [c["id"] for c in objects["charts"]],
        "dashboard": [d["id"] for d in objects["dashboards"]],
        "dataset": [d["id"] for d in objects["datasets"]],
        "database": [objects["database"]["id"]],
        "user": [u["id"] for u in objects["users"]],
        "role": objects["roles"],
        "rls": objects["rls"],
    }


def _remove_created(server: Server, before: Mapping[str, set[int]]) -> list[str]:
    """Delete whatever the walk created (as A, with missing ids) and say what it was."""
    removed = []
    with server.admin() as admin:
        http = logged_in(admin)
        for resource, ids in inventory(admin).items():
            for object_id in sorted(ids - before[resource]):
                path = f"/api/v1/{resource}/{object_id}"
                detail = send(http, "GET", path)
                removed.append(f"{path}: {detail.text[:300]}")
                send(http, "DELETE", path)
    return removed


def _remove_seeded(server: Server, tenants: Tenants, foreign: Foreign) -> None:
    """Delete what the walk seeded (B's SQL Lab history and permalinks stay: no API removes them)."""
    with server.admin() as admin:
        http = logged_in(admin)
        for path in foreign.cleanup:
            with contextlib.suppress(httpx.HTTPError):
                send(http, "DELETE", path)
    with tenants.login(server, B, "admin") as b_admin:
        http = logged_in(b_admin)
        for path in foreign.owner_cleanup:
            with contextlib.suppress(httpx.HTTPError):
                send(http, "DELETE", path)


def write_matrix(result: WalkResult, cells: Mapping[tuple[str, str], rw.Cell]) -> None:
    """Print the route × role matrix and write it to tests/artifacts/isolation_matrix.txt."""
    total = Counter(r.method for r in result.routes)
    header = [
        "supertenant isolation walk: every route as each role of tenant A with tenant B's ids",
        f"routes walked: {len(result.routes)} ("
        + ", ".join(f"{m} {total[m]}" for m in rw.WALKED_METHODS)
        + f"); sources: OpenAPI spec + Flask URL map; roles: {', '.join(ROLES)}",
        "/api routes walked per method: "
        + ", ".join(
            f"{m} {result.walked_counts[m]} (spec {result.spec_counts[m]})" for m in rw.WALKED_METHODS
        ),
        f"requests sent: {result.probes}; runtime: {result.seconds:.0f} s",
        f"content leaks: {len(result.content_leaks)}; existence oracles: {len(result.oracle_leaks)}; "
        f"changes to B: {len(result.b_changes)}; changes to A: {len(result.a_changes)}; "
        f"objects created and removed: {len(result.created)}; 5xx answers: {len(result.errors)}",
        "cell: pass|FAIL and the statuses B's ids got",
    ]
    text = rw.format_matrix(result.routes, ROLES, cells, header)
    details = [
        ("LEAKS", [str(x) for x in result.content_leaks + result.oracle_leaks]),
        ("CHANGES TO B", result.b_changes),
        ("CHANGES TO A", result.a_changes),
        ("CREATED (removed again)", result.created),
        ("5xx ANSWERS", result.errors),
    ]
    for title, lines in details:
        if lines:
            text += f"\n{title}\n" + "\n".join(f"  {line}" for line in lines) + "\n"
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(text, encoding="utf-8")
    print("\n" + text)


# -- Tests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def walk(server: Server, tenants: Tenants) -> WalkResult:
    return run_walk(server, tenants)


def _listing(leaks: Sequence[Any], limit: int = 60) -> str:
    lines = [str(x) for x in leaks]
    more = f"\n… and {len(lines) - limit} more (see {ARTIFACT})" if len(lines) > limit else ""
    return "\n".join(lines[:limit]) + more


def test_walk_covers_every_api_route(walk: WalkResult) -> None:
    print("/api routes walked:", walk.walked_counts, "spec:", walk.spec_counts)
    assert not walk.unwalked_spec, walk.unwalked_spec
    for method in rw.WALKED_METHODS:
        assert walk.walked_counts[method] >= walk.spec_counts[method], method


def test_no_b_data_in_any_answer(walk: WalkResult) -> None:
    assert not walk.content_leaks, _listing(walk.content_leaks)


def test_b_ids_answer_like_missing_ids(walk: WalkResult) -> None:
    assert not walk.oracle_leaks, _listing(walk.oracle_leaks)


def test_nothing_of_b_changes(walk: WalkResult) -> None:
    assert not walk.b_changes, _listing(walk.b_changes)


def test_walk_leaves_a_fixtures_alone(walk: WalkResult) -> None:
    assert not walk.a_changes, _listing(walk.a_changes)
