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
check (chart data with B's query context, SQL Lab, explore state, the legacy
explore views, imports carrying B's UUIDs).

Each request is sent twice, with B's ids and with ids that exist nowhere.
The walk fails when:

1. an answer holds B's names, texts or ids (usernames, e-mails, names, the
   tenant name, campaign names, the account id, dashboard titles and slugs,
   chart names, UUIDs, keys, or a B id in an id field) that the request did not
   itself carry;
2. anything of B differs afterwards (REST details read as the platform admin,
   plus B's rows and association rows in the metadata DB, changed_on included);
3. B's id gets another status than a missing id (an existence oracle), on
   GET routes and, held to the same rule, on writes.

A has SQL Lab switched off, so its roles are refused SQL Lab, database and
saved-query routes by permission. Every route that all three of A's roles were
refused that way is walked once more by B's admin (SQL Lab on) with A's ids.

Not covered: HEAD/OPTIONS/PATCH; ``/static`` files; second and later objects
of a kind (one representative per kind, every dashboard form); error bodies
(only statuses are compared, so a global uniqueness check that answers 422
either way but with another message, e.g. a dashboard slug, passes);
timing; features that are off here (async queries, thumbnails, alerts and
reports, tags, embedding: walked, answered the same for both ids); kinds B
has no object of (reports, tags, groups, A's SQL Lab history in the reverse
pass: walked with missing ids on both sides); B's editor and viewer in the
reverse pass; the first seconds after a membership change (the tenant
directory caches memberships for ~5 s per worker and a member it does not know
yet is served as a platform user; the walk starts long after provisioning).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
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
from .conftest import Server, Tenants, run_in_app

pytestmark = pytest.mark.integration

A, B = "sakura-shoes", "northwind-outdoor"
ROLES = ("admin", "editor", "viewer")
REVERSE = "B admin→A"  # the matrix column of the reverse pass
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


class Pacer:
    """Spaces request starts across the walk's threads to stay under Superset's app-wide rate
    limit (``RATELIMIT_APPLICATION``: 50 per second per client address), so a 429 never stands
    in for the answer a probe is after."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)


PACER = Pacer(per_second=40)


def send(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request, paced, and retried on rate limiting and gateway hiccups (raw calls bypass the
    client's retry)."""
    for attempt in range(7):
        PACER.wait()
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
    rules: list[dict[str, Any]] = run_in_app(server, URL_MAP_SCRIPT, "@@URL_MAP@@")
    return rules


RELATED_CANDIDATES = (
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


def parallel(function: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    """``function`` over ``items``, four at a time, results in order."""
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(function, items))


def related_columns(admin: httpx.Client, routes: Sequence[rw.Route]) -> dict[str, list[str]]:
    """The columns each ``related``/``distinct`` endpoint answers for (asked as the platform admin)."""
    keys = [
        (route, column)
        for route in routes
        if route.method == "GET" and "{column_name}" in route.path and "/datasource/" not in route.path
        for column in RELATED_CANDIDATES
    ]
    answers = parallel(
        lambda key: send(admin, "GET", key[0].path.replace("{column_name}", key[1])).status_code, keys
    )
    found: dict[str, list[str]] = {route.key: [] for route, _ in keys}
    for (route, column), status in zip(keys, answers, strict=True):
        if status == 200:
            found[route.key].append(column)
    return {key: columns or ["owners"] for key, columns in found.items()}


def list_filters(admin: httpx.Client, routes: Sequence[rw.Route]) -> dict[str, dict[str, list[str]]]:
    """Filter columns and operators of each list endpoint (``_info``, as the platform admin)."""
    infos = [r for r in routes if r.method == "GET" and r.path.endswith("/_info")]
    q = {"q": prison.dumps({"keys": ["filters"]})}
    answers = parallel(lambda route: send(admin, "GET", route.path, params=q), infos)
    return {
        rw.resource_of(route.path): {
            column: [o["operator"] for o in operators]
            for column, operators in response.json().get("filters", {}).items()
        }
        for route, response in zip(infos, answers, strict=True)
        if response.status_code == 200
    }


# -- What the victim tenant has --------------------------------------------------------------------


@dataclass
class Victim:
    """The tenant under attack as the walk sees it: its ids, what must never leak, what was seeded."""

    slug: str
    book: rw.IdBook
    markers: rw.Markers
    cleanup: list[str] = field(default_factory=list)  # admin DELETE paths for seeded objects
    owner_cleanup: list[str] = field(default_factory=list)  # its admin's DELETE paths (SQL Lab tabs)

    @property
    def snapshot_ids(self) -> dict[str, list[int]]:
        ids = {k: sorted(v) for k, v in self.markers.ids.items()}
        ids["globals"] = [self.book.id(k) for k in ("annotation_layer", "css_template", "theme")]
        return ids


def seed_victim_state(
    server: Server, tenants: Tenants, victim: str, dashboard_id: int, chart_id: int
) -> dict[str, Any]:
    """Objects the victim's own users make in normal use: SQL Lab state (when the tenant has SQL
    Lab), dashboard permalinks and filter state, explore state and permalinks, chart cache keys."""
    out: dict[str, Any] = {}
    record = _admin_get(server, f"/api/v1/supertenant/tenants/{victim}")["result"]
    if record["features"].get("sql_lab"):
        out |= _seed_sql_lab(server, tenants, victim, record)
    with tenants.login(server, victim, "viewer") as viewer:
        http = logged_in(viewer)
        state = {"dataMask": {}, "activeTabs": [], "anchor": "", "urlParams": []}
        out["dashboard_permalink"] = ok(
            send(http, "POST", f"/api/v1/dashboard/{dashboard_id}/permalink", json=state)
        )["key"]
        out["filter_state"] = ok(
            send(http, "POST", f"/api/v1/dashboard/{dashboard_id}/filter_state", json={"value": "{}"})
        )["key"]
    with tenants.login(server, victim, "editor") as editor:
        http = logged_in(editor)
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


def _seed_sql_lab(server: Server, tenants: Tenants, victim: str, record: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    database_id, schema = record["superset_database_id"], record["warehouse"]["schema"]
    with tenants.login(server, victim, "admin") as b_admin:
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
                json={"db_id": database_id, "label": f"{record['name']} walk", "sql": sql, "schema": schema},
            )
        )
        out["saved_query"] = saved["id"]
        editor = {"title": f"{record['name']} walk tab", "dbId": database_id, "schema": schema, "sql": sql}
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
    return out


def _admin_get(server: Server, path: str, params: Mapping[str, Any] | None = None) -> Any:
    with server.admin() as admin:
        return admin.get(path, params=params)


def seed_globals(admin: SupersetClient, brand: str) -> tuple[dict[str, int], list[str]]:
    """Global objects named for the victim (themes, CSS templates, annotation layers have no tenant)."""
    http = logged_in(admin)
    tag = f"{brand} walk {secrets.token_hex(3)}"
    layer = ok(send(http, "POST", "/api/v1/annotation_layer/", json={"name": f"{tag} layer"}))["id"]
    annotation = ok(
        send(
            http,
            "POST",
            f"/api/v1/annotation_layer/{layer}/annotation/",
            json={
                "short_descr": f"{tag} annotation",
                "start_dttm": "2026-01-01T00:00:00",
                "end_dttm": "2026-01-02T00:00:00",
            },
        )
    )["id"]
    css = ok(
        send(http, "POST", "/api/v1/css_template/", json={"template_name": f"{tag} css", "css": ".x{}"})
    )["id"]
    theme = ok(
        send(
            http,
            "POST",
            "/api/v1/theme/",
            json={
                "theme_name": f"{tag} theme",
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
    """The campaign names in a tenant's warehouse, read as the platform admin (no RLS applies)."""
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
    listed = admin.iter_list(
        "dataset", filters=[{"col": "database", "opr": "rel_o_m", "value": database_id}], columns=["id"]
    )
    datasets = parallel(lambda d: admin.get(f"/api/v1/dataset/{d['id']}")["result"], list(listed))
    dataset_ids = {d["id"] for d in datasets}
    chart_ids = sorted(
        c["id"]
        for c in admin.iter_list("chart", columns=["id", "datasource_id"])
        if c["datasource_id"] in dataset_ids
    )
    rls = [r for r in admin.iter_list("rowlevelsecurity") if str(r["name"]).startswith(f"{slug}__")]
    return {
        "record": record,
        "members": members,
        "database": admin.get(f"/api/v1/database/{database_id}")["result"],
        "datasets": sorted(datasets, key=lambda d: d["id"]),
        "charts": parallel(lambda c: admin.get(f"/api/v1/chart/{c}")["result"], chart_ids),
        "dashboards": [
            admin.get(f"/api/v1/dashboard/{d}")["result"] for d in sorted(record["dashboard_ids"].values())
        ],
        "users": [admin.get(f"/api/v1/security/users/{m['user_id']}")["result"] for m in members],
        "roles": sorted(record["role_ids"].values()),
        "rls": sorted(r["id"] for r in rls),
    }


def _digest(url: str | None) -> str:
    return str(url or "").rstrip("/").rsplit("/", 1)[-1]


def _log_ids(http: httpx.Client, users: set[int]) -> list[int]:
    """Recent audit-log rows written by the victim's users."""
    q = {"order_column": "dttm", "order_direction": "desc", "page_size": 100}
    response = send(http, "GET", "/api/v1/log/", params={"q": prison.dumps(q)})
    listed = response.json() if response.status_code == 200 else {}
    rows = zip(listed.get("ids", []), listed.get("result", []), strict=True)
    return [log_id for log_id, row in rows if row["user_id"] in users]


def _names(objects: Mapping[str, Any], campaigns: set[str]) -> list[str]:
    """Everything of a tenant that names it: the markers of the walk."""
    record = objects["record"]
    users = objects["users"]
    return [
        record["name"],
        *(record["warehouse"].get("account_ids") or []),
        record["branding"].get("app_name") or "",
        *record["branding"].get("hostnames", []),
        *campaigns,
        *(d["dashboard_title"] for d in objects["dashboards"]),
        *(d["slug"] for d in objects["dashboards"]),
        *(str(d["uuid"]) for d in objects["dashboards"]),
        *(c["slice_name"] for c in objects["charts"]),
        *(str(c["uuid"]) for c in objects["charts"]),
        *(d["table_name"] for d in objects["datasets"]),
        *(f"{d['schema']}.{d['table_name']}" for d in objects["datasets"]),
        *(str(d["uuid"]) for d in objects["datasets"]),
        objects["database"]["database_name"],
        str(objects["database"]["uuid"]),
        *(u["username"] for u in users),
        *(u["email"] for u in users),
        *(u["first_name"] for u in users),
        *(u["last_name"] for u in users),
        *(f"{u['first_name']} {u['last_name']}" for u in users),
    ]


def _own_names(objects: Mapping[str, Any], campaigns: set[str]) -> list[str]:
    """What the attacker legitimately sees of its own (a victim name equal to one is no marker)."""
    return [
        objects["record"]["name"],
        *campaigns,
        *(d["dashboard_title"] for d in objects["dashboards"]),
        *(c["slice_name"] for c in objects["charts"]),
        *(d["table_name"] for d in objects["datasets"]),
        *(col["column_name"] for d in objects["datasets"] for col in d["columns"]),
        *(col.get("verbose_name") or "" for d in objects["datasets"] for col in d["columns"]),
        *(m["metric_name"] for d in objects["datasets"] for m in d["metrics"]),
        *(m.get("verbose_name") or "" for d in objects["datasets"] for m in d["metrics"]),
        *(u["first_name"] for u in objects["users"]),
        *(u["last_name"] for u in objects["users"]),
    ]


STATE_KINDS = (
    "client_id",
    "cache_key",
    "dashboard_permalink",
    "explore_permalink",
    "sqllab_permalink",
    "filter_state",
    "form_data",
)


def read_victim(
    server: Server,
    tenants: Tenants,
    objects: Mapping[str, Mapping[str, Any]],
    victim: str,
    attacker: str,
    *,
    with_globals: bool,
) -> Victim:
    """The victim's book and markers (its objects, plus state its users make while we watch)."""
    mine, theirs = objects[victim], objects[attacker]
    with server.admin() as admin:
        chart = next(c for c in mine["charts"] if c.get("dashboards"))
        dashboard = mine["dashboards"][0]
        seeded = seed_victim_state(server, tenants, victim, dashboard["id"], chart["id"])
        brand = str(mine["record"]["branding"].get("app_name") or victim).split()[0]
        global_ids, cleanup = seed_globals(admin, brand) if with_globals else ({}, [])
        view_menus = [
            r["id"]
            for r in admin.iter_list(
                "security/resources", filters=[{"col": "name", "opr": "ct", "value": f"[{victim}]"}]
            )
        ]
        pvms = [
            p["id"]
            for p in admin.iter_list(
                "security/permissions-resources",
                filters=[{"col": "view_menu", "opr": "rel_o_m", "value": view_menus[0]}],
            )
        ]
        log_ids = _log_ids(logged_in(admin), {u["id"] for u in mine["users"]})
        campaigns = campaign_names(admin, mine["datasets"][0]["id"])
        own_campaigns = campaign_names(admin, theirs["datasets"][0]["id"])
    dataset = next(d for d in mine["datasets"] if d["id"] == chart["datasource_id"])
    user = mine["users"][0]
    sql_lab = {k: [seeded[k]] for k in ("saved_query", "query", "tab_state", "table_schema") if k in seeded}
    ids: dict[str, list[int]] = {
        "chart": [chart["id"]],
        "dashboard": [dashboard["id"]],
        "dataset": [dataset["id"]],
        "database": [mine["database"]["id"]],
        "user": [user["id"]],
        "role": mine["roles"],
        "rls": mine["rls"],
        "column": [dataset["columns"][0]["id"]],
        "metric": [dataset["metrics"][0]["id"]] if dataset["metrics"] else [],
        "view_menu": view_menus[:1],
        "pvm": pvms[:1],
        "log": log_ids[:1],
        **sql_lab,
        **{kind: [value] for kind, value in global_ids.items()},
    }
    strings: dict[str, list[str]] = {
        "dashboard_slug": [dashboard["slug"]],
        "dashboard_uuid": [dashboard["uuid"]],
        "chart_uuid": [chart["uuid"]],
        "dataset_uuid": [dataset["uuid"]],
        "database_uuid": [mine["database"]["uuid"]],
        "dashboard_digest": [_digest(dashboard.get("thumbnail_url"))],
        "chart_digest": [_digest(chart.get("thumbnail_url"))],
        "schema": [dataset["schema"]],
        "table": [dataset["table_name"]],
        "database_name": [mine["database"]["database_name"]],
        "tenant_slug": [victim],
        "search": [victim.split("-")[0]],
        "user_search": [user["first_name"]],
        "chart_search": [chart["slice_name"]],
        "dashboard_search": [dashboard["dashboard_title"]],
        "saved_query_search": [f"{mine['record']['name']} walk"],
        **{kind: [str(seeded[kind])] for kind in STATE_KINDS if kind in seeded},
    }
    names = [*_names(mine, campaigns), *(str(seeded[k]) for k in STATE_KINDS if k in seeded)]
    marker_ids = {
        "chart": [c["id"] for c in mine["charts"]],
        "dashboard": [d["id"] for d in mine["dashboards"]],
        "dataset": [d["id"] for d in mine["datasets"]],
        "database": [mine["database"]["id"]],
        "user": [u["id"] for u in mine["users"]],
        "role": mine["roles"],
        "rls": mine["rls"],
        **sql_lab,
    }
    if "saved_query" in seeded:
        cleanup.append(f"/api/v1/saved_query/{seeded['saved_query']}")
    owner_cleanup = [f"/tabstateview/{seeded['tab_state']}"] if "tab_state" in seeded else []
    distinctive = [brand, victim.split("-")[0]]
    markers = rw.build_markers(names, _own_names(theirs, own_campaigns), marker_ids, distinctive)
    book = rw.IdBook("foreign", ids, strings, json.loads(chart["query_context"]))
    return Victim(victim, book, markers, cleanup, owner_cleanup)


# -- Snapshots -------------------------------------------------------------------------------------


def _strip(payload: Any) -> Any:
    if isinstance(payload, dict):
        return {k: _strip(v) for k, v in payload.items() if not k.endswith(HUMANIZED)}
    if isinstance(payload, list):
        return [_strip(v) for v in payload]
    return payload


def rest_snapshot(server: Server, victim: Victim) -> dict[str, Any]:
    """The victim's objects as the platform admin reads them over REST (humanized times left out)."""
    ids, book, slug = victim.markers.ids, victim.book, victim.slug
    paths = [f"/api/v1/supertenant/tenants/{slug}", f"/api/v1/supertenant/tenants/{slug}/members"]
    for kind, template in (
        ("chart", "/api/v1/chart/{}"),
        ("dashboard", "/api/v1/dashboard/{}"),
        ("dashboard", "/api/v1/dashboard/{}/charts"),
        ("dataset", "/api/v1/dataset/{}"),
        ("database", "/api/v1/database/{}"),
        ("user", "/api/v1/security/users/{}"),
        ("role", "/api/v1/security/roles/{}"),
        ("role", "/api/v1/security/roles/{}/permissions/"),
        ("rls", "/api/v1/rowlevelsecurity/{}"),
        ("saved_query", "/api/v1/saved_query/{}"),
    ):
        paths += [template.format(i) for i in sorted(ids.get(kind, ()))]
    for kind, template in (
        ("annotation_layer", "/api/v1/annotation_layer/{}"),
        ("css_template", "/api/v1/css_template/{}"),
        ("theme", "/api/v1/theme/{}"),
    ):
        paths += [template.format(i) for i in book.ids.get(kind, ())]
    out: dict[str, Any] = {}
    with server.admin() as admin:
        http = logged_in(admin)
        for path in paths:
            response = send(http, "GET", path)
            out[f"GET {path}"] = [response.status_code, _strip(response.json()) if response.content else None]
        q = {
            "filters": [{"col": "database", "opr": "rel_o_m", "value": book.id("database")}],
            "columns": ["id", "changed_on"],
            "page_size": 100,
        }
        out["datasets in its database"] = (
            send(http, "GET", "/api/v1/dataset/", params={"q": prison.dumps(q)}).json().get("result")
        )
        q = {
            "filters": [{"col": "id", "opr": "in", "value": sorted(ids["chart"])}],
            "columns": ["id", "changed_on_utc"],
            "page_size": 100,
        }
        out["its charts"] = (
            send(http, "GET", "/api/v1/chart/", params={"q": prison.dumps(q)}).json().get("result")
        )
    return out


def db_snapshot(
    engine: sa.engine.Engine, ids: Mapping[str, Sequence[int]], slug: str, *, activity: bool
) -> dict[str, Any]:
    """A tenant's rows and association rows in the metadata DB, ``changed_on`` included.

    ``activity`` adds the tables a tenant's own users write by using Superset (SQL Lab
    history, tabs, favourites, key-value state): for the victim nothing may appear there
    during the walk; for the attacker the walk itself legitimately writes some.
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
            for key, value in used.items():
                if isinstance(value, list):
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
    its key-value table; the salt that decodes the victim's key encodes an id that does not exist.
    """
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT value FROM key_value WHERE resource = 'app'")).all()
    salts = [s for s in (json.loads(bytes(r.value)) for r in rows) if isinstance(s, str)]
    out: dict[str, list[str]] = {}
    for kind in ("dashboard_permalink", "explore_permalink", "sqllab_permalink"):
        for salt in salts if kind in strings else []:
            coder = Hashids(salt, min_length=11)
            decoded = coder.decode(strings[kind][0])
            if len(decoded) == 1:
                out[kind] = [coder.encode(decoded[0] + 1_000_000)]
                break
    return out


LOGIN_COLUMNS = ("last_login", "login_count", "fail_login_count", "changed_on")


def without_logins(snapshot: Mapping[str, Any]) -> dict[str, Any]:
    """The attacker's users log in during the walk; their login bookkeeping is not a change."""
    return {
        k: ({c: v for c, v in row.items() if c not in LOGIN_COLUMNS} if k.startswith("ab_user#") else row)
        for k, row in snapshot.items()
    }


def inventory(admin: SupersetClient) -> dict[str, set[int]]:
    return {r: {int(row["id"]) for row in admin.iter_list(r, columns=["id"])} for r in INVENTORY}


TENANT_KINDS = ("chart", "dashboard", "dataset", "database", "user", "role", "rls")


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
class PassResult:
    """One direction of the walk: one tenant's roles against the other tenant's objects."""

    label: str
    cells: dict[tuple[str, str], rw.Cell] = field(default_factory=dict)
    content_leaks: list[Leak] = field(default_factory=list)
    oracle_leaks: list[Leak] = field(default_factory=list)
    victim_changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0


@dataclass
class WalkResult:
    routes: list[rw.Route]
    columns: list[str]
    spec_counts: dict[str, int]
    walked_counts: dict[str, int]
    unwalked_spec: list[str]
    passes: list[PassResult]
    reverse_routes: int
    a_changes: list[str]
    created: list[str]
    seconds: float
    phases: dict[str, float]

    @property
    def content_leaks(self) -> list[Leak]:
        return [leak for p in self.passes for leak in p.content_leaks]

    @property
    def oracle_leaks(self) -> list[Leak]:
        return [leak for p in self.passes for leak in p.oracle_leaks]

    @property
    def victim_changes(self) -> list[str]:
        return [f"{p.label}: {change}" for p in self.passes for change in p.victim_changes]

    @property
    def cells(self) -> dict[tuple[str, str], rw.Cell]:
        return {key: cell for p in self.passes for key, cell in p.cells.items()}


def _sent(probe: rw.Probe) -> str:
    ids = ",".join(f"{k}={v}" for k, v in sorted(probe.sent_ids))
    strings = ",".join(sorted(s for s in probe.sent_strings if len(s) < 40))
    return "; ".join(x for x in (ids, strings) if x) or "-"


def walk_pairs(
    server: Server,
    tenants: Tenants,
    attacker: str,
    roles: Mapping[str, str],
    pairs: Sequence[tuple[rw.Route, rw.Probe, rw.Probe]],
    markers: rw.Markers,
    label: str,
) -> PassResult:
    """Send every pair as every role (column label → role) of the attacker, four at a time."""
    clients = {column: tenants.login(server, attacker, role) for column, role in roles.items()}
    sessions = {column: logged_in(client) for column, client in clients.items()}
    result = PassResult(label, defaultdict(rw.Cell))
    lock = threading.Lock()

    def run(column: str, route: rw.Route, foreign: rw.Probe, missing: rw.Probe) -> None:
        if foreign.fresh_session:
            with tenants.login(server, attacker, roles[column]) as throwaway:
                http = logged_in(throwaway)
                answers = send_probe(http, foreign), send_probe(http, missing)
        else:
            http = sessions[column]
            first = send_probe(http, foreign)
            answers = first, first if foreign.same_request(missing) else send_probe(http, missing)
        found = [
            Leak(route.key, column, foreign.note, _sent(foreign), w)
            for w in rw.scan(foreign, answers[0], markers)
        ]
        found += [
            Leak(route.key, column, missing.note, "missing ids", f"(missing-id answer) {w}")
            for w in rw.scan(missing, answers[1], markers)
        ]
        oracle = rw.status_oracle(*answers)
        with lock:
            result.requests += 1 if answers[0] is answers[1] else 2
            cell = result.cells[(route.key, column)]
            cell.probes += 1
            cell.statuses.add(answers[0].status)
            result.content_leaks.extend(found)
            cell.leaks += [str(f) for f in found]
            if oracle:
                leak = Leak(route.key, column, foreign.note, _sent(foreign), f"existence oracle: {oracle}")
                result.oracle_leaks.append(leak)
                cell.leaks.append(str(leak))
            if answers[0].status >= 500 or answers[1].status >= 500:
                result.errors.append(
                    f"{route.key} [{column}] {foreign.note}: {answers[0].status}/{answers[1].status}"
                )

    try:
        with ThreadPoolExecutor(WORKERS) as pool:
            futures = [
                pool.submit(run, column, route, foreign, missing)
                for route, foreign, missing in pairs
                for column in roles
            ]
            for future in futures:
                future.result()
    finally:
        for client in clients.values():
            client.close()
    return result


def walk_pass(
    server: Server,
    engine: sa.engine.Engine,
    tenants: Tenants,
    attacker: str,
    roles: Mapping[str, str],
    victim: Victim,
    routes: Sequence[rw.Route],
    ctx: rw.WalkContext,
) -> PassResult:
    """Snapshot the victim, walk ``routes`` as the attacker's roles, snapshot again."""
    missing = rw.missing_book(victim.book, missing_permalinks(engine, victim.book.strings))
    pairs = [(r, f, m) for r in routes for f, m in rw.probe_pairs(r, victim.book, missing, ctx)]
    rest_before = rest_snapshot(server, victim)
    db_before = db_snapshot(engine, victim.snapshot_ids, victim.slug, activity=True)
    result = walk_pairs(
        server, tenants, attacker, roles, pairs, victim.markers, f"{attacker} → {victim.slug}"
    )
    result.victim_changes = rw.diff_snapshots(rest_before, rest_snapshot(server, victim))
    result.victim_changes += rw.diff_snapshots(
        db_before, db_snapshot(engine, victim.snapshot_ids, victim.slug, activity=True)
    )
    return result


def unreached(routes: Sequence[rw.Route], cells: Mapping[tuple[str, str], rw.Cell]) -> list[rw.Route]:
    """Routes every role of the attacker was refused by permission (401/403) on every probe."""
    return [
        route
        for route in routes
        if all((cell := cells.get((route.key, role))) and cell.statuses <= {401, 403} for role in ROLES)
    ]


def run_walk(server: Server, tenants: Tenants) -> WalkResult:
    """The whole walk: A's roles against B, then B's admin against A where A's roles were refused.

    A (sakura-shoes) has SQL Lab switched off, so its roles are refused SQL Lab, database and
    saved-query routes by permission; B's admin holds them, so those routes are walked once more
    the other way round, with A's ids.
    """
    started = time.monotonic()
    url_map: list[dict[str, Any]] = []
    loader = threading.Thread(target=lambda: url_map.extend(flask_url_map(server)))
    loader.start()
    victims: list[Victim] = []
    with server.admin() as admin:
        objects = {slug: tenant_objects(admin, slug) for slug in (A, B)}
    try:
        victims.append(read_victim(server, tenants, objects, B, A, with_globals=True))
        victims.append(read_victim(server, tenants, objects, A, B, with_globals=False))
        loader.join()
        return _walk(server, tenants, victims[0], victims[1], url_map, started)
    finally:
        for victim in victims:
            _remove_seeded(server, tenants, victim)


def _walk(
    server: Server,
    tenants: Tenants,
    b: Victim,
    a: Victim,
    url_map: list[dict[str, Any]],
    started: float,
) -> WalkResult:
    engine = sa.create_engine(server.metadata_db_url)
    with server.admin() as admin:
        http = logged_in(admin)
        spec = admin.get("/api/v1/_openapi")
        routes = rw.merge_routes(rw.openapi_routes(spec), rw.url_map_routes(url_map))
        ctx = rw.WalkContext(
            components=spec.get("components", {}).get("schemas", {}),
            list_filters=list_filters(http, routes),
            related_columns=related_columns(http, routes),
        )
        before_inventory = inventory(admin)
    a_ids = {k: sorted(v) for k, v in a.markers.ids.items() if k in TENANT_KINDS}
    phases = {"setup": time.monotonic() - started}
    try:
        a_before = without_logins(db_snapshot(engine, a_ids, A, activity=False))
        main = walk_pass(server, engine, tenants, A, {r: r for r in ROLES}, b, routes, ctx)
        phases["A's roles → B"] = time.monotonic() - started - sum(phases.values())
        reverse_routes = unreached(routes, main.cells)
        reverse = walk_pass(server, engine, tenants, B, {REVERSE: "admin"}, a, reverse_routes, ctx)
        phases["B's admin → A"] = time.monotonic() - started - sum(phases.values())
        created = _remove_created(server, before_inventory)
        a_changes = rw.diff_snapshots(a_before, without_logins(db_snapshot(engine, a_ids, A, activity=False)))
    finally:
        engine.dispose()
    walked = {r.key for r in routes if any(main.cells.get((r.key, role)) for role in ROLES)}
    walked_counts = dict.fromkeys(rw.WALKED_METHODS, 0)
    for route in routes:
        if route.key in walked and route.path.startswith("/api/"):
            walked_counts[route.method] += 1
    spec_keys = {r.key for r in rw.merge_routes(rw.openapi_routes(spec))}
    result = WalkResult(
        routes=routes,
        columns=[*ROLES, REVERSE],
        spec_counts=rw.spec_operation_count(spec),
        walked_counts=walked_counts,
        unwalked_spec=sorted(k for k in spec_keys if k not in walked),
        passes=[main, reverse],
        reverse_routes=len(reverse_routes),
        a_changes=a_changes,
        created=created,
        seconds=time.monotonic() - started,
        phases=phases,
    )
    write_matrix(result)
    return result


def _remove_created(server: Server, before: Mapping[str, set[int]]) -> list[str]:
    """Delete whatever the walk created (with missing ids, or /dashboard/new/) and say what it was."""
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


def _remove_seeded(server: Server, tenants: Tenants, victim: Victim) -> None:
    """Delete what the walk seeded (SQL Lab history and permalinks stay: no API removes them)."""
    with server.admin() as admin:
        http = logged_in(admin)
        for path in victim.cleanup:
            with contextlib.suppress(httpx.HTTPError):
                send(http, "DELETE", path)
    if victim.owner_cleanup:
        with tenants.login(server, victim.slug, "admin") as owner:
            http = logged_in(owner)
            for path in victim.owner_cleanup:
                with contextlib.suppress(httpx.HTTPError):
                    send(http, "DELETE", path)


def write_matrix(result: WalkResult) -> None:
    """Print the route × role matrix and write it to tests/artifacts/isolation_matrix.txt."""
    total = Counter(r.method for r in result.routes)
    requests = sum(p.requests for p in result.passes)
    errors = [e for p in result.passes for e in p.errors]
    header = [
        "supertenant isolation walk: every route as each role of tenant A with tenant B's ids",
        f"routes walked: {len(result.routes)} ("
        + ", ".join(f"{m} {total[m]}" for m in rw.WALKED_METHODS)
        + f"); sources: OpenAPI spec + Flask URL map; roles: {', '.join(ROLES)}",
        "/api routes walked per method: "
        + ", ".join(
            f"{m} {result.walked_counts[m]} (spec {result.spec_counts[m]})" for m in rw.WALKED_METHODS
        ),
        f"{REVERSE}: B's admin (SQL Lab on) with A's ids, on the {result.reverse_routes} routes every "
        "role of A was refused by permission",
        f"requests sent: {requests}; runtime: {result.seconds:.0f} s ("
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in result.phases.items())
        + "; the rest: snapshots and clean-up)",
        f"content leaks: {len(result.content_leaks)}; existence oracles: {len(result.oracle_leaks)}; "
        f"changes to the other tenant: {len(result.victim_changes)}; changes to A's fixtures: "
        f"{len(result.a_changes)}; objects created and removed: {len(result.created)}; "
        f"5xx answers: {len(errors)}",
        "cell: pass|FAIL and the statuses the other tenant's ids got; - not walked",
    ]
    text = rw.format_matrix(result.routes, result.columns, result.cells, header)
    details = [
        ("LEAKS", [str(x) for x in result.content_leaks + result.oracle_leaks]),
        ("CHANGES TO THE OTHER TENANT", result.victim_changes),
        ("CHANGES TO A'S FIXTURES", result.a_changes),
        ("CREATED (removed again)", result.created),
        ("5xx ANSWERS (same for both ids unless listed as leaks)", errors),
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


def test_no_other_tenants_data_in_any_answer(walk: WalkResult) -> None:
    assert not walk.content_leaks, _listing(walk.content_leaks)


def test_other_tenants_ids_answer_like_missing_ids(walk: WalkResult) -> None:
    assert not walk.oracle_leaks, _listing(walk.oracle_leaks)


def test_nothing_of_the_other_tenant_changes(walk: WalkResult) -> None:
    assert not walk.victim_changes, _listing(walk.victim_changes)


def test_walk_leaves_a_fixtures_alone(walk: WalkResult) -> None:
    assert not walk.a_changes, _listing(walk.a_changes)
