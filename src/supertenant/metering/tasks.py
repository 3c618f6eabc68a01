"""Celery tasks for the beat entries in `schedule` (imported by Superset's worker)."""

from __future__ import annotations

import sqlalchemy as sa
import structlog
from superset.extensions import celery_app

from supertenant.metering import collect, platform_dashboard, tenant_dashboard
from supertenant.metering.pricebook import load_pricebook
from supertenant.settings import get_settings
from supertenant.superset_api.client import SupersetClient

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


def refresh_usage_dashboards() -> int:
    """What `supertenant usage dashboard` does: every aggregate file, then the dashboards over REST.

    As the platform admin (``SUPERTENANT_ADMIN_PASSWORD``, ``SUPERTENANT_SUPERSET_URL``), like the
    CLI; without the password it does nothing and says so. Returns the tenant dashboards refreshed.
    """
    settings = get_settings()
    if settings.admin_password is None:
        log.warning("usage_dashboards_skipped", reason="SUPERTENANT_ADMIN_PASSWORD is not set")
        return 0
    password = settings.admin_password.get_secret_value()

    def admin_client() -> SupersetClient:
        return SupersetClient(settings.superset_url, settings.admin_username, password)

    engine = sa.create_engine(settings.resolved_metadata_db_url)
    try:
        book = load_pricebook(settings.pricebook_path)
        result = tenant_dashboard.refresh(engine, book, settings.data_dir, admin_client)
    finally:
        engine.dispose()
    log.info(
        "usage_dashboards_refreshed",
        platform_dashboard=result.platform_dashboard_id,
        tenants=[tenant.slug for tenant, _ in result.tenants],
    )
    return len(result.tenants)


# Registered without decorators so the functions keep their types (Celery's decorator is untyped).
celery_app.task(name="supertenant.metering.collect_duckdb", ignore_result=True)(collect_duckdb)
celery_app.task(name="supertenant.metering.collect_bigquery", ignore_result=True)(collect_bigquery)
celery_app.task(name="supertenant.metering.refresh_usage_dashboards", ignore_result=True)(
    refresh_usage_dashboards
)
