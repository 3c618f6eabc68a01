"""Celery beat entries for metering, merged into Superset's ``CeleryConfig`` by ``config.py``."""

from __future__ import annotations

from typing import Any

TASKS_MODULE = "supertenant.metering.tasks"


def beat_schedule(every_seconds: float = 900.0) -> dict[str, dict[str, Any]]:
    """Every 15 minutes: collect DuckDB estimates and BigQuery jobs for yesterday and today, and
    refresh the usage dashboards (the platform's and each tenant's, as `supertenant usage dashboard`).
    """
    return {
        "supertenant-collect-duckdb": {
            "task": "supertenant.metering.collect_duckdb",
            "schedule": every_seconds,
        },
        "supertenant-collect-bigquery": {
            "task": "supertenant.metering.collect_bigquery",
            "schedule": every_seconds,
        },
        "supertenant-refresh-usage-dashboards": {
            "task": "supertenant.metering.refresh_usage_dashboards",
            "schedule": every_seconds,
        },
    }
