"""Each tenant's own "Usage" dashboard, for that tenant's admins only (docs/billing.md §7).

Per tenant: a DuckDB file holding only that tenant's daily aggregates (the same three tables as
the platform dashboard), so no query on it — chart, Explore or SQL Lab — can reach another
tenant's rows; a read-only Superset database ``_usage_<slug>`` on it, its three datasets, four
charts and the dashboard ``<slug>-usage``, all with UUIDs derived from the slug. The tenant guard
attributes the database (name and UUID, ``policy.usage_database_tenant``) and so everything on it
to the tenant: every other tenant's users get "not found".

Inside the tenant, only its admins: the data permission (``datasource_access`` on the three
datasets) is held by the role ``<slug>_usage``, given to the tenant's admins through the group
``<slug>_usage_admins``. The provisioning engine converges the tenant roles' permissions and the
users' roles exactly, so it would strip a grant made there on the next apply; it never touches
groups. Each run re-reads the registry's admins into the group.

`refresh` is what `supertenant usage dashboard` and the beat task
``supertenant.metering.refresh_usage_dashboards`` run; `supertenant tenant delete`
(provision/teardown.py) removes all of this for the tenant, found by the same names and UUIDs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from supertenant.errors import OwnershipError
from supertenant.metering import platform_dashboard
from supertenant.metering.platform_dashboard import (
    SCHEMAS,
    _kind_filter,
    _metric,
    aggregates,
    write_tables,
)
from supertenant.metering.pricebook import PriceBook
from supertenant.provision.permissions import dataset_permission
from supertenant.registry import store
from supertenant.registry.tables import usage_events, warehouse_costs
from supertenant.superset_ext.policy import usage_database_name, usage_uuid
from supertenant.templates.charts.table import _table_queries
from supertenant.templates.layout import Component, position_json
from supertenant.templates.querycontext import BuildQuery, build_query_context, timeseries_queries

DASHBOARD_TITLE = "Usage"


@dataclass(frozen=True)
class TenantUsage:
    """A tenant whose usage dashboard to build, and who may see it (its admins' user ids)."""

    slug: str
    admin_user_ids: tuple[int, ...]


def default_path(data_dir: Path, slug: str) -> Path:
    return (Path(data_dir) / "metering" / "tenants" / f"{slug}.duckdb").resolve()


def dashboard_slug(slug: str) -> str:
    return f"{slug}-usage"


def role_name(slug: str) -> str:
    return f"{slug}_usage"


def group_name(slug: str) -> str:
    return f"{slug}_usage_admins"


def tenant_aggregates(
    slug: str, usage: Iterable[dict[str, Any]], costs: Iterable[dict[str, Any]], book: PriceBook
) -> dict[str, list[tuple[Any, ...]]]:
    """The tenant's rows of the three tables; rows of any other tenant (or none) are dropped (pure)."""
    return aggregates(
        (row for row in usage if row["tenant"] == slug), (row for row in costs if row["tenant"] == slug), book
    )


def export_tenant(engine: sa.engine.Engine, book: PriceBook, slug: str, path: Path) -> dict[str, int]:
    """Write one tenant's aggregates to ``path`` (replaced atomically); returns row counts."""
    with engine.connect() as connection:
        usage = [
            dict(r._mapping)
            for r in connection.execute(sa.select(usage_events).where(usage_events.c.tenant == slug))
        ]
        costs = [
            dict(r._mapping)
            for r in connection.execute(sa.select(warehouse_costs).where(warehouse_costs.c.tenant == slug))
        ]
    return write_tables(tenant_aggregates(slug, usage, costs, book), path)


def registry_tenants(engine: sa.engine.Engine, only: Iterable[str] = ()) -> list[TenantUsage]:
    """The registry's tenants (all but those being deleted), each with its admins' user ids."""
    wanted = set(only)
    with engine.connect() as connection:
        records = [r for r in store.list_tenants(connection) if r.status != "deleting"]
        return [
            TenantUsage(
                r.slug,
                tuple(sorted(m.user_id for m in store.list_members(connection, r.slug) if m.role == "admin")),
            )
            for r in records
            if not wanted or r.slug in wanted
        ]


def chart_specs() -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(key, title, dataset, params, width) of every chart, in layout order."""
    series = {"x_axis": "day", "time_grain_sqla": "P1D", "row_limit": 10000}
    return [
        (
            "cost_per_day",
            "Usage: warehouse cost per day",
            "cost_daily",
            {
                "viz_type": "echarts_timeseries_bar",
                "metrics": [_metric("SUM(cost)", "Cost")],
                "groupby": ["source"],
                "stack": "Stack",
                **series,
            },
            6,
        ),
        (
            "active_users",
            "Usage: active users per day",
            "users_daily",
            {
                "viz_type": "echarts_timeseries_line",
                "markerEnabled": True,
                "metrics": [_metric("SUM(active_users)", "Active users")],
                "groupby": [],
                **series,
            },
            6,
        ),
        (
            "views",
            "Usage: dashboard views per day",
            "usage_daily",
            {
                "viz_type": "echarts_timeseries_bar",
                "metrics": [_metric("SUM(events)", "Views")],
                "adhoc_filters": [_kind_filter("dashboard_view")],
                "groupby": [],
                **series,
            },
            6,
        ),
        (
            "activity",
            "Usage: activity by kind",
            "usage_daily",
            {
                "viz_type": "table",
                "query_mode": "aggregate",
                "groupby": ["kind", "status"],
                "metrics": [
                    _metric("SUM(events)", "Events"),
                    _metric("SUM(bytes_scanned)", "Bytes scanned"),
                ],
                "order_desc": True,
                "row_limit": 100,
            },
            6,
        ),
    ]


# The buildQuery mirror of each viz type the charts use (templates/querycontext.py, charts/table.py).
QUERY_BUILDERS: dict[str, BuildQuery] = {
    "echarts_timeseries_bar": timeseries_queries,
    "echarts_timeseries_line": timeseries_queries,
    "table": _table_queries,
}


def chart_body(params: dict[str, Any], dataset_id: int, title: str, dashboard_id: int) -> dict[str, Any]:
    """The chart as `POST/PUT /api/v1/chart/` want it, with the query context Explore would save (pure).

    Superset answers `GET /api/v1/chart/<id>/data/` (cache warm-up, reports, thumbnails) from the
    saved ``query_context``; a chart without one can only be rendered by the frontend.
    """
    form = {**params, "datasource": f"{dataset_id}__table", "adhoc_filters": params.get("adhoc_filters", [])}
    query_context = build_query_context(copy.deepcopy(form), QUERY_BUILDERS[params["viz_type"]])
    return {
        "slice_name": title,
        "viz_type": params["viz_type"],
        "datasource_id": dataset_id,
        "datasource_type": "table",
        "params": json.dumps(form),
        "query_context": json.dumps(query_context, sort_keys=True),
        "dashboards": [dashboard_id],
    }


def provision(client: Any, tenant: TenantUsage, path: Path) -> int:
    """Create or update the tenant's database, datasets, charts, dashboard and grant; the dashboard id."""
    slug = tenant.slug
    database_id = _ensure_database(client, slug, path)
    datasets = {name: _ensure_dataset(client, slug, database_id, name) for name in SCHEMAS}
    _ensure_grant(client, tenant, datasets)
    dashboard_id = _ensure_dashboard_shell(client, slug)
    existing = _charts_by_uuid(client, [str(usage_uuid(slug, "chart", key)) for key, *_ in chart_specs()])
    components: list[list[Component]] = [[], []]
    for index, (key, title, dataset, params, width) in enumerate(chart_specs()):
        body = chart_body(params, datasets[dataset], title, dashboard_id)
        chart_uuid = str(usage_uuid(slug, "chart", key))
        if chart_uuid in existing:
            chart_id = existing[chart_uuid]
            client.put(f"/api/v1/chart/{chart_id}", body)
        else:
            chart_id = int(client.post("/api/v1/chart/", body | {"uuid": chart_uuid})["id"])
        meta = {"chartId": chart_id, "width": width, "height": 50, "sliceName": title}
        components[index // 2].append(Component(f"CHART-{key}", "CHART", meta))
    client.put(
        f"/api/v1/dashboard/{dashboard_id}",
        {
            "position_json": json.dumps(position_json(DASHBOARD_TITLE, components)),
            "json_metadata": json.dumps({"refresh_frequency": 0, "color_scheme": "supersetColors"}),
            "published": True,
        },
    )
    return dashboard_id


def _owned(found: dict[str, Any], kind: str, key: str, expected: object) -> int:
    """The object's id if it carries the UUID derived for the tenant; anything else is not ours."""
    if str(found.get("uuid")) != str(expected):
        raise OwnershipError(f"{kind} {key!r} (id {found.get('id')}) was not created by supertenant")
    return int(found["id"])


def _ensure_database(client: Any, slug: str, path: Path) -> int:
    name = usage_database_name(slug)
    body = {
        "database_name": name,
        "sqlalchemy_uri": f"duckdb:///{path}",
        "expose_in_sqllab": False,
        "extra": json.dumps(
            {
                "engine_params": {
                    "connect_args": {"read_only": True, "config": {"enable_external_access": False}}
                }
            }
        ),
    }
    expected = usage_uuid(slug, "database")
    found = client.find_one("database", "database_name", name)
    if found is None:
        return int(client.post("/api/v1/database/", body | {"uuid": str(expected)})["id"])
    database_id = _owned(found, "database", name, expected)
    current = client.get(f"/api/v1/database/{database_id}/connection")["result"]
    if current.get("sqlalchemy_uri") != body["sqlalchemy_uri"] or current.get("expose_in_sqllab"):
        client.put(f"/api/v1/database/{database_id}", body)
    return database_id


def _ensure_dataset(client: Any, slug: str, database_id: int, table: str) -> int:
    expected = usage_uuid(slug, "dataset", table)
    rows = client.iter_list("dataset", filters=[{"col": "uuid", "opr": "eq", "value": str(expected)}])
    for row in rows:
        if str(row.get("uuid")) == str(expected):
            return int(row["id"])
    body = {"database": database_id, "schema": "main", "table_name": table, "uuid": str(expected)}
    return int(client.post("/api/v1/dataset/", body)["id"])


def _charts_by_uuid(client: Any, uuids: list[str]) -> dict[str, int]:
    rows = client.iter_list(
        "chart", filters=[{"col": "uuid", "opr": "in", "value": uuids}], columns=["id", "uuid"]
    )
    return {str(r["uuid"]): int(r["id"]) for r in rows if str(r.get("uuid")) in set(uuids)}


def _ensure_dashboard_shell(client: Any, slug: str) -> int:
    expected = str(usage_uuid(slug, "dashboard"))
    rows = client.iter_list(
        "dashboard", filters=[{"col": "uuid", "opr": "eq", "value": expected}], columns=["id", "uuid"]
    )
    for row in rows:
        if str(row.get("uuid")) == expected:
            return int(row["id"])
    if client.find_one("dashboard", "slug", dashboard_slug(slug)) is not None:
        raise OwnershipError(f"dashboard {dashboard_slug(slug)!r} exists but was not created by supertenant")
    body = {"dashboard_title": DASHBOARD_TITLE, "slug": dashboard_slug(slug), "published": True}
    return int(client.post("/api/v1/dashboard/", body | {"uuid": expected})["id"])


def _ensure_grant(client: Any, tenant: TenantUsage, datasets: dict[str, int]) -> None:
    """Role ``<slug>_usage`` holds exactly the datasets; group ``<slug>_usage_admins`` the admins."""
    from supertenant.provision.engine import PermissionIndex

    slug = tenant.slug
    perms = [dataset_permission(usage_database_name(slug), t, i) for t, i in sorted(datasets.items())]
    wanted = sorted(PermissionIndex(client).ids(perms))
    role = client.find_one("security/roles", "name", role_name(slug))
    if role is None:
        role_id = int(client.post("/api/v1/security/roles/", {"name": role_name(slug)})["id"])
        current: list[int] = []
    else:
        role_id = int(role["id"])
        rows = client.get(f"/api/v1/security/roles/{role_id}/permissions/")["result"]
        current = sorted(int(r["id"]) for r in rows)
    if current != wanted:
        client.post(f"/api/v1/security/roles/{role_id}/permissions", {"permission_view_menu_ids": wanted})
    body = {
        "name": group_name(slug),
        "label": f"{slug}: usage dashboard",
        "description": "managed by supertenant (usage dashboard): the tenant's admins",
        "roles": [role_id],
        "users": list(tenant.admin_user_ids),
    }
    group = client.find_one("security/groups", "name", group_name(slug))
    if group is None:
        client.post("/api/v1/security/groups/", body)
    else:
        client.put(f"/api/v1/security/groups/{group['id']}", body)


# --- the refresh `supertenant usage dashboard` and the beat task run ------------------------------


@dataclass
class Refreshed:
    """What one refresh wrote and built."""

    platform_path: Path
    platform_counts: dict[str, int]
    platform_dashboard_id: int = 0
    tenants: list[tuple[TenantUsage, int]] = field(default_factory=list)  # (tenant, dashboard id)


def refresh(
    engine: sa.engine.Engine,
    book: PriceBook,
    data_dir: Path,
    client_factory: Callable[[], AbstractContextManager[Any]],
    *,
    platform_path: Path | None = None,
    tenants: bool = True,
    only: Iterable[str] = (),
) -> Refreshed:
    """Rewrite the platform's and each tenant's aggregate files, then converge their Superset objects.

    The files first (metadata DB only), then one admin session over REST (``client_factory``).
    ``tenants=False`` and no ``only``: the platform dashboard alone; ``only``: just those tenants.
    """
    only = list(only)
    target = platform_path or platform_dashboard.default_path(data_dir)
    counts = platform_dashboard.export_aggregates(engine, book, target)
    selected = registry_tenants(engine, only) if tenants or only else []
    files = {t.slug: default_path(data_dir, t.slug) for t in selected}
    for tenant in selected:
        export_tenant(engine, book, tenant.slug, files[tenant.slug])
    result = Refreshed(target, counts)
    with client_factory() as client:
        result.platform_dashboard_id = platform_dashboard.provision(client, target)
        for tenant in selected:
            result.tenants.append((tenant, provision(client, tenant, files[tenant.slug])))
    return result
