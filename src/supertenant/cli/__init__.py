"""The `supertenant` command: thin Typer commands over the engines."""
