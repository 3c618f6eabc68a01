"""The "Platform usage & cost" dashboard for the platform admin.

Superset never reads the metadata DB directly: `export_aggregates` writes daily aggregates of
``usage_events`` and ``warehouse_costs`` (with cost priced from the price book) into a DuckDB
file of its own, replaced atomically; `provision` points a Superset database
(``_platform_metering``, read-only) at it and creates the datasets, charts and dashboard over
REST, idempotently (found by name, updated in place). Tenant roles get no access to it.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from supertenant.metering.pricebook import PriceBook
from supertenant.metering.rating import bytes_cost
from supertenant.registry.tables import usage_events, warehouse_costs
from supertenant.templates.layout import Component, position_json

DATABASE_NAME = "_platform_metering"
DASHBOARD_SLUG = "platform-usage-cost"
DASHBOARD_TITLE = "Platform usage & cost"
PLATFORM = "_platform"


def default_path(data_dir: Path) -> Path:
    """Where the CLI and the scheduled task write the aggregates (Superset must read the same file)."""
    return (Path(data_dir) / "metering" / "platform.duckdb").resolve()


def _day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def aggregates(
    usage: Iterable[dict[str, Any]], costs: Iterable[dict[str, Any]], book: PriceBook
) -> dict[str, list[tuple[Any, ...]]]:
    """Rows of the three tables, from registry rows (pure)."""
    usage_daily: dict[tuple[date, str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    users: dict[tuple[date, str], set[int]] = defaultdict(set)
    for row in usage:
        day, tenant = _day(row["occurred_at"]), row["tenant"] or PLATFORM
        acc = usage_daily[(day, tenant, row["kind"], row["status"])]
        acc[0] += 1
        acc[1] += int(row["bytes_scanned"] or 0)
        acc[2] += int(row["duration_ms"] or 0)
        if row["user_id"] is not None and row["status"] == "ok":
            users[(day, tenant)].add(int(row["user_id"]))
    prices = book.warehouse.by_source()
    cost_daily = [
        (
            row["day"],
            row["tenant"],
            row["source"],
            int(row["jobs"]),
            int(row["bytes_billed"]),
            float(bytes_cost(int(row["bytes_billed"]), prices.get(row["source"], Decimal(0)))),
        )
        for row in costs
    ]
    return {
        "usage_daily": [(*key, *vals) for key, vals in sorted(usage_daily.items())],
        "users_daily": [(d, t, len(ids)) for (d, t), ids in sorted(users.items())],
        "cost_daily": sorted(cost_daily),
    }


SCHEMAS = {
    "usage_daily": "day DATE, tenant VARCHAR, kind VARCHAR, status VARCHAR, events BIGINT,"
    " bytes_scanned BIGINT, duration_ms BIGINT",
    "users_daily": "day DATE, tenant VARCHAR, active_users BIGINT",
    "cost_daily": "day DATE, tenant VARCHAR, source VARCHAR, jobs BIGINT, bytes_billed BIGINT, cost DOUBLE",
}


def export_aggregates(engine: sa.engine.Engine, book: PriceBook, path: Path) -> dict[str, int]:
    """Write the aggregates to ``path`` (a new file, renamed over the old one); returns row counts."""
    with engine.connect() as connection:
        usage = [dict(r._mapping) for r in connection.execute(sa.select(usage_events))]
        costs = [dict(r._mapping) for r in connection.execute(sa.select(warehouse_costs))]
    return write_tables(aggregates(usage, costs, book), path)


def write_tables(tables: dict[str, list[tuple[Any, ...]]], path: Path) -> dict[str, int]:
    """Write the tables (``SCHEMAS``) to a new DuckDB file renamed over ``path``; returns row counts."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for name, rows in tables.items():
            con.execute(f"CREATE TABLE {name} ({SCHEMAS[name]})")
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)  # noqa: S608 (fixed names)
    finally:
        con.close()
    os.replace(tmp, path)
    return {name: len(rows) for name, rows in tables.items()}


# --- Superset objects ---------------------------------------------------------------------------


def _metric(sql: str, label: str) -> dict[str, Any]:
    return {"expressionType": "SQL", "sqlExpression": sql, "label": label}


def _kind_filter(kind: str) -> dict[str, Any]:
    return {
        "expressionType": "SIMPLE",
        "clause": "WHERE",
        "subject": "kind",
        "operator": "==",
        "comparator": kind,
    }


def chart_specs() -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(key, title, dataset, params, width) of every chart, in layout order."""
    cost = _metric("SUM(cost)", "Cost")
    series = {"x_axis": "day", "time_grain_sqla": "P1D", "groupby": ["tenant"], "row_limit": 10000}
    return [
        (
            "cost_per_day",
            "Cost per tenant per day",
            "cost_daily",
            {"viz_type": "echarts_timeseries_bar", "metrics": [cost], "stack": "Stack", **series},
            8,
        ),
        (
            "top_tenants",
            "Top tenants by cost",
            "cost_daily",
            {
                "viz_type": "table",
                "query_mode": "aggregate",
                "groupby": ["tenant"],
                "metrics": [cost],
                "timeseries_limit_metric": cost,
                "order_desc": True,
                "row_limit": 10,
            },
            4,
        ),
        (
            "active_users",
            "Active users per day",
            "users_daily",
            {
                "viz_type": "echarts_timeseries_line",
                "markerEnabled": True,
                "metrics": [_metric("SUM(active_users)", "Active users")],
                **series,
            },
            6,
        ),
        (
            "views",
            "Dashboard views per day",
            "usage_daily",
            {
                "viz_type": "echarts_timeseries_bar",
                "metrics": [_metric("SUM(events)", "Views")],
                "adhoc_filters": [_kind_filter("dashboard_view")],
                "stack": "Stack",
                **series,
            },
            6,
        ),
        (
            "bytes",
            "Warehouse bytes per tenant",
            "cost_daily",
            {
                "viz_type": "table",
                "query_mode": "aggregate",
                "groupby": ["tenant", "source"],
                "metrics": [_metric("SUM(bytes_billed)", "Bytes"), _metric("SUM(jobs)", "Queries")],
                "order_desc": True,
                "row_limit": 100,
            },
            12,
        ),
    ]


def provision(client: Any, path: Path) -> int:
    """Create or update the database, datasets, charts and dashboard; returns the dashboard id."""
    database_id = _ensure_database(client, path)
    datasets = {name: _ensure_dataset(client, database_id, name) for name in SCHEMAS}
    dashboard_id = _ensure_dashboard_shell(client)
    components: list[list[Component]] = [[], [], []]
    rows_of = {"cost_per_day": 0, "top_tenants": 0, "active_users": 1, "views": 1, "bytes": 2}
    for key, title, dataset, params, width in chart_specs():
        dataset_id = datasets[dataset]
        full = {
            **params,
            "datasource": f"{dataset_id}__table",
            "adhoc_filters": params.get("adhoc_filters", []),
        }
        chart_id = _ensure_chart(client, title, dataset_id, full, dashboard_id)
        meta = {"chartId": chart_id, "width": width, "height": 50, "sliceName": title}
        components[rows_of[key]].append(Component(f"CHART-{key}", "CHART", meta))
    client.put(
        f"/api/v1/dashboard/{dashboard_id}",
        {
            "position_json": json.dumps(position_json(DASHBOARD_TITLE, components)),
            "json_metadata": json.dumps({"refresh_frequency": 0, "color_scheme": "supersetColors"}),
            "published": True,
        },
    )
    return dashboard_id


def _ensure_database(client: Any, path: Path) -> int:
    body = {
        "database_name": DATABASE_NAME,
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
    found = client.find_one("database", "database_name", DATABASE_NAME)
    if found is None:
        return int(client.post("/api/v1/database/", body)["id"])
    client.put(f"/api/v1/database/{found['id']}", body)
    return int(found["id"])


def _ensure_dataset(client: Any, database_id: int, table: str) -> int:
    for dataset in client.iter_list("dataset", filters=[{"col": "table_name", "opr": "eq", "value": table}]):
        if dataset.get("database", {}).get("id") == database_id:
            return int(dataset["id"])
    created = client.post(
        "/api/v1/dataset/", {"database": database_id, "schema": "main", "table_name": table}
    )
    return int(created["id"])


def _ensure_dashboard_shell(client: Any) -> int:
    found = client.find_one("dashboard", "slug", DASHBOARD_SLUG)
    if found is not None:
        return int(found["id"])
    body = {"dashboard_title": DASHBOARD_TITLE, "slug": DASHBOARD_SLUG, "published": True}
    return int(client.post("/api/v1/dashboard/", body)["id"])


def _ensure_chart(client: Any, title: str, dataset_id: int, params: dict[str, Any], dashboard_id: int) -> int:
    body = {
        "slice_name": title,
        "viz_type": params["viz_type"],
        "datasource_id": dataset_id,
        "datasource_type": "table",
        "params": json.dumps(params),
        "dashboards": [dashboard_id],
    }
    for chart in client.iter_list("chart", filters=[{"col": "slice_name", "opr": "eq", "value": title}]):
        if chart.get("datasource_id") != dataset_id:
            continue  # a chart of the same name on other data (a tenant's usage dashboard) is not ours
        client.put(f"/api/v1/chart/{chart['id']}", body)
        return int(chart["id"])
    return int(client.post("/api/v1/chart/", body)["id"])
