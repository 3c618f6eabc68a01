"""`supertenant templates`: the chart and dashboard template registry."""

from __future__ import annotations

import typer
from rich.table import Table

from supertenant.cli.output import command, console, print_json
from supertenant.cli.tenant import admin_client
from supertenant.templates import registry

app = typer.Typer(
    help="Chart and dashboard templates: list, show, roll out new versions.", no_args_is_help=True
)


@app.command("list")
@command
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every registered chart and dashboard template with its version."""
    rows = [("chart", t.name, t.version, t.description_en) for t in registry.all_charts()]
    rows += [("dashboard", t.name, t.version, t.title("en")) for t in registry.all_dashboards()]
    if as_json:
        print_json([{"kind": k, "name": n, "version": v, "description": d} for k, n, v, d in rows])
        return
    table = Table()
    for column in ("kind", "name", "version", "description"):
        table.add_column(column)
    for kind, name, version, description in rows:
        table.add_row(kind, name, str(version), description)
    console.print(table)


@app.command()
@command
def show(ref: str = typer.Argument(..., help="name or name@version")) -> None:
    """A template's parameter schema (chart) or its slots (dashboard), as JSON."""
    name, _, version = ref.partition("@")
    number = int(version) if version else None
    if name in {t.name for t in registry.all_dashboards()}:
        dashboard = registry.dashboard(name, number)
        print_json(
            {
                "kind": "dashboard",
                "name": dashboard.name,
                "version": dashboard.version,
                "title": {"en": dashboard.title("en"), "ja": dashboard.title("ja")},
                "slots": [slot.model_dump() for slot in dashboard.slots()],
            }
        )
        return
    chart = registry.chart(name, number)
    print_json(
        {
            "kind": "chart",
            "name": chart.name,
            "version": chart.version,
            "description": {"en": chart.description_en, "ja": chart.description_ja},
            "params_schema": chart.Params.model_json_schema(),
            "examples": chart.examples(),
        }
    )


@app.command()
@command
def upgrade(
    tenant: list[str] = typer.Option([], "--tenant", help="Only these tenants (repeatable)"),
    template: str | None = typer.Option(None, "--template", help="Only this dashboard template"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change"),
) -> None:
    """Roll the latest template versions out to charts that still match their old version."""
    from supertenant.provision.upgrade import upgrade_templates

    with admin_client() as client:
        results = upgrade_templates(client, slugs=tenant or None, template=template, dry_run=dry_run)
    for result in results:
        console.print(f"[bold]{result.slug}[/]: {len(result.changes) or 'no'} change(s)")
        for change in result.changes:
            console.print(f"  {change.describe()}", highlight=False)
        for name in result.kept:
            console.print(f"  = chart {name} (changed by a user; left alone)", highlight=False)
