"""`supertenant demo`: the browsable multi-tenant demo behind `make demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from supertenant.cli.output import command

app = typer.Typer(
    help="Run the demo on embedded defaults (SQLite, in-process cache, DuckDB).", no_args_is_help=True
)


@app.command()
@command
def run(
    directory: Path = typer.Option(Path(".demo"), "--dir", help="Where the demo keeps its state"),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8088, "--port"),
) -> None:
    """Initialise, onboard the demo tenants and serve Superset until Ctrl-C."""
    from supertenant.demo.run import run as run_demo

    run_demo(directory, host, port)
