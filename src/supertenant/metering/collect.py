"""Collection jobs: warehouse bytes per tenant and day into ``warehouse_costs`` (CLI and Celery)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from supertenant.metering import bigquery_jobs, store
from supertenant.metering.rating import CostRow

DUCKDB_SCOPE = "estimate"


def day_range(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, datetime.min.time(), tzinfo=UTC),
        datetime.combine(end, datetime.min.time(), tzinfo=UTC),
    )


def collect_duckdb(engine: sa.engine.Engine, start: date, end: date) -> list[CostRow]:
    """Sum the per-event DuckDB estimates of [start, end) into one cost row per tenant and day."""
    lo, hi = day_range(start, end)
    with engine.begin() as connection:
        totals = store.scanned_bytes_by_tenant_day(connection, lo, hi)
        rows = [CostRow("duckdb", DUCKDB_SCOPE, day, tenant, "", q, b, b) for tenant, day, q, b in totals]
        store.replace_costs(connection, rows)
    return rows


def collect_bigquery(
    engine: sa.engine.Engine, client: Any, project: str, region: str, start: date, end: date
) -> list[CostRow]:
    """Read JOBS_BY_PROJECT for [start, end) and store one row per day, tenant and service account."""
    lo, hi = day_range(start, end)
    rows = bigquery_jobs.collect(client, project, region, lo, hi)
    with engine.begin() as connection:
        store.replace_costs(connection, rows)
    return rows


def recent_days(today: date | None = None, days: int = 2) -> tuple[date, date]:
    """[yesterday, tomorrow): late jobs and late flushes of yesterday are picked up again."""
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=days - 1), today + timedelta(days=1)
