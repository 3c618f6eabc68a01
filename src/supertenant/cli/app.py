"""The root `supertenant` command; one sub-command group per file."""

from __future__ import annotations

import typer

from supertenant.cli import billing, chat, db, demo, deploy, ops, templates, tenant, usage, warehouse
from supertenant.logs import configure_logging

app = typer.Typer(
    help="supertenant: a multi-tenant analytics SaaS on one Apache Superset 6.1.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every change as JSON on stderr"),
) -> None:
    configure_logging("INFO" if verbose else "WARNING")


app.add_typer(db.app, name="db")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(tenant.app, name="tenant")
app.add_typer(templates.app, name="templates")
app.add_typer(demo.app, name="demo")
app.add_typer(chat.app, name="chat")
app.add_typer(billing.app, name="billing")
app.add_typer(usage.app, name="usage")
app.add_typer(deploy.app, name="deploy")
app.command()(ops.backup)
app.command()(ops.restore)


def main() -> None:
    app()
