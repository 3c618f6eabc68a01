"""`supertenant db`: the registry's migrations."""

from __future__ import annotations

import typer

from supertenant.cli.output import command, console
from supertenant.registry import migrate
from supertenant.settings import get_settings

app = typer.Typer(help="The tenant registry's tables in Superset's metadata DB.", no_args_is_help=True)


@app.command()
@command
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Run the registry migrations (after `superset db upgrade`); safe to repeat."""
    settings = get_settings()
    at = migrate.upgrade(settings.resolved_metadata_db_url, revision)
    console.print(f"registry at revision [bold]{at}[/]")


@app.command()
@command
def current() -> None:
    """Print the registry's current and head revisions."""
    import sqlalchemy as sa

    engine = sa.create_engine(get_settings().resolved_metadata_db_url)
    try:
        console.print(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")
    finally:
        engine.dispose()
