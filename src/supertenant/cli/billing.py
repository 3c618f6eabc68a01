"""`supertenant billing`: invoices from the metered usage and the price book."""

from __future__ import annotations

import enum

import sqlalchemy as sa
import typer

from supertenant.cli.output import command
from supertenant.metering import billing
from supertenant.metering.invoice import render_csv, render_html, render_json
from supertenant.metering.pricebook import load_pricebook
from supertenant.settings import get_settings

app = typer.Typer(help="Invoices per tenant and month (docs/billing.md).", no_args_is_help=True)


class Format(enum.StrEnum):
    json = "json"
    csv = "csv"
    html = "html"


@app.command()
@command
def invoice(
    month: str = typer.Option(..., "--month", help="YYYY-MM (UTC)"),
    tenant: str | None = typer.Option(None, "--tenant", help="One tenant's slug; all tenants when omitted"),
    fmt: Format = typer.Option(Format.json, "--format", help="json, csv or html"),
) -> None:
    """Print the month's invoices; the same rows always give the same invoice."""
    settings = get_settings()
    book = load_pricebook(settings.pricebook_path)
    engine = sa.create_engine(settings.resolved_metadata_db_url)
    try:
        invoices = billing.month_invoices(engine, book, billing.parse_month(month), tenant)
    finally:
        engine.dispose()
    render = {Format.json: render_json, Format.csv: render_csv, Format.html: render_html}[fmt]
    typer.echo(render(invoices), nl=False)
