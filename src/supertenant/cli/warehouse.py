"""`supertenant warehouse`: the local DuckDB warehouse (sample data, contract check)."""

from __future__ import annotations

from pathlib import Path

import typer

from supertenant.cli.output import command, console
from supertenant.warehouse.local import check_contract, write_sample

app = typer.Typer(
    help="Local DuckDB warehouse: sample Google Ads data and contract checks.", no_args_is_help=True
)


@app.command()
@command
def sample(
    path: Path = typer.Option(..., "--path", help="DuckDB file (created if missing)"),
    schema: str = typer.Option(..., "--schema", help="Schema that receives the tenant's contract views"),
    accounts: str = typer.Option(..., "--accounts", help="Comma-separated Google Ads ids, e.g. 123-456-7890"),
    seed: int = typer.Option(42, "--seed", help="Same seed, same rows"),
    flavour: str = typer.Option("en", "--flavour", help="Campaign names: ja or en"),
) -> None:
    """Generate deterministic sample data for ACCOUNTS and (re)create SCHEMA's contract views."""
    if flavour not in ("ja", "en"):
        raise typer.BadParameter("must be ja or en", param_hint="--flavour")
    ids = [a.strip() for a in accounts.split(",") if a.strip()]
    summary = write_sample(path, schema=schema, accounts=ids, seed=seed, flavour=flavour)
    rows = ", ".join(f"{view}={count}" for view, count in summary.rows.items())
    console.print(
        f"{path}:{summary.schema} ← accounts {', '.join(summary.accounts)}, "
        f"{summary.start_date}…{summary.end_date}; rows {rows}"
    )


@app.command()
@command
def check(
    path: Path = typer.Option(..., "--path"),
    schema: str = typer.Option(..., "--schema"),
) -> None:
    """Check SCHEMA against the dataset contract; names every missing view, column and wrong type."""
    check_contract(path, schema)
    console.print(f"{path}:{schema} satisfies the dataset contract")
