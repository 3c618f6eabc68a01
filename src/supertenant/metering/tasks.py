"""Celery tasks for the beat entries in `schedule` (imported by Superset's worker)."""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from superset.extensions import celery_app

from supertenant.metering import collect, platform_dashboard
from supertenant.metering.pricebook import load_pricebook
from supertenant.settings import get_settings

log = structlog.get_logger(__name__)


def collect_duckdb() -> int:
    settings = get_settings()
    engine = sa.create_engine(settings.resolved_metadata_db_url)
    try:
        rows = collect.collect_duckdb(engine, *collect.recent_days())
        # keep the platform dashboard's aggregates fresh (the dashboard itself: `supertenant usage dashboard`)
        book = load_pricebook(settings.pricebook_path)
        platform_dashboard.export_aggregates(engine, book, platform_dashboard.default_path(settings.data_dir))
    finally:
        engine.dispose()
    log.info("metering_collected", source="duckdb", rows=len(rows))
    return len(rows)


def collect_bigquery() -> int:
    settings = get_settings()
    if not settings.bigquery_jobs_scopes:
        return 0
    from google.cloud import bigquery

    engine = sa.create_engine(settings.resolved_metadata_db_url)
    total = 0
    try:
        for scope in settings.bigquery_jobs_scopes:
            project, region = scope.split("/", 1)
            rows = collect.collect_bigquery(
                engine, bigquery.Client(project=project), project, region, *collect.recent_days()
            )
            total += len(rows)
            log.info("metering_collected", source="bigquery", scope=scope, rows=len(rows))
    finally:
        engine.dispose()
    return total


# Registered without decorators so the functions keep their types (Celery's decorator is untyped).
celery_app.task(name="supertenant.metering.collect_duckdb", ignore_result=True)(collect_duckdb)
celery_app.task(name="supertenant.metering.collect_bigquery", ignore_result=True)(collect_bigquery)
