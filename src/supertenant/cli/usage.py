"""`supertenant usage`: collect warehouse cost and summarise usage events."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa
import typer

from supertenant.cli.output import command, console, print_json
from supertenant.errors import ConfigError
from supertenant.metering import billing, collect, store
from supertenant.settings import get_settings

app = typer.Typer(help="Usage events and warehouse cost per tenant (docs/billing.md).", no_args_is_help=True)
collect_app = typer.Typer(help="Collect warehouse bytes per tenant and day.", no_args_is_help=True)
app.add_typer(collect_app, name="collect")


def _days(month: str | None) -> tuple[date, date]:
    if month is None:
        return collect.recent_days()
    start, end = store.month_bounds(billing.parse_month(month))
    return start.date(), end.date()


def _engine() -> sa.engine.Engine:
    return sa.create_engine(get_settings().resolved_metadata_db_url)


@collect_app.command("duckdb")
@command
def collect_duckdb(
    month: str | None = typer.Option(None, "--month", help="YYYY-MM; yesterday and today when omitted"),
) -> None:
    """Sum the DuckDB bytes estimates of usage events into warehouse_costs (replaces those days)."""
    engine = _engine()
    try:
        rows = collect.collect_duckdb(engine, *_days(month))
    finally:
        engine.dispose()
    console.print(f"duckdb: {len(rows)} cost row(s)")


@collect_app.command("bigquery")
@command
def collect_bigquery(
    project: str = typer.Option(..., "--project", help="The billing project whose jobs to read"),
    region: str = typer.Option(..., "--region", help="e.g. eu, us, asia-northeast1"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM; yesterday and today when omitted"),
) -> None:
    """Read INFORMATION_SCHEMA.JOBS_BY_PROJECT (Application Default Credentials) into warehouse_costs."""
    try:
        from google.cloud import bigquery
    except ImportError:
        raise ConfigError("google-cloud-bigquery is not installed: install the `bigquery` extra") from None
    engine = _engine()
    try:
        rows = collect.collect_bigquery(
            engine, bigquery.Client(project=project), project, region, *_days(month)
        )
    finally:
        engine.dispose()
    console.print(f"bigquery {project}/{region}: {len(rows)} cost row(s)")


@app.command()
@command
def summary(
    month: str = typer.Option(..., "--month", help="YYYY-MM (UTC)"),
    tenant: str | None = typer.Option(None, "--tenant"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Usage events per tenant and kind in the month."""
    start, end = store.month_bounds(billing.parse_month(month))
    engine = _engine()
    try:
        with engine.connect() as connection:
            rows = store.usage_rows(connection, start, end, tenant)
    finally:
        engine.dispose()
    counts = Counter((r["tenant"] or "_platform", r["kind"], r["status"]) for r in rows)
    result = [{"tenant": t, "kind": k, "status": s, "events": n} for (t, k, s), n in sorted(counts.items())]
    if as_json:
        print_json(result)
        return
    for item in result:
        console.print(f"{item['tenant']:<24} {item['kind']:<16} {item['status']:<8} {item['events']}")


@app.command()
@command
def dashboard(
    path: Path | None = typer.Option(
        None, "--path", help="DuckDB file Superset reads; default DATA_DIR/metering/platform.duckdb"
    ),
    tenants: bool = typer.Option(
        True, "--tenants/--no-tenants", help="Also refresh each tenant's own Usage dashboard"
    ),
    only: list[str] = typer.Option([], "--tenant", help="Refresh only this tenant's (repeatable)"),
) -> None:
    """Refresh the usage aggregates: the "Platform usage & cost" dashboard and each tenant's "Usage".

    The beat task `supertenant.metering.refresh_usage_dashboards` runs the same refresh.
    """
    from supertenant.cli.tenant import admin_client
    from supertenant.metering import platform_dashboard, tenant_dashboard
    from supertenant.metering.pricebook import load_pricebook

    settings = get_settings()
    book = load_pricebook(settings.pricebook_path)
    engine = _engine()
    try:
        result = tenant_dashboard.refresh(
            engine,
            book,
            settings.data_dir,
            admin_client,
            platform_path=path.resolve() if path else None,
            tenants=tenants,
            only=only,
        )
    finally:
        engine.dispose()
    for tenant, tenant_id in result.tenants:
        console.print(
            f"{tenant.slug}: dashboard {tenant_id} ({tenant_dashboard.dashboard_slug(tenant.slug)}), "
            f"{len(tenant.admin_user_ids)} admin(s)"
        )
    console.print(
        f"aggregates {result.platform_counts} in {result.platform_path}; "
        f"dashboard {result.platform_dashboard_id} ({platform_dashboard.DASHBOARD_SLUG})"
    )
