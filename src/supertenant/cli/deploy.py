"""`supertenant deploy`: the per-tenant Terraform input rendered from the tenant specs."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from supertenant.cli.output import command, console
from supertenant.ops import render
from supertenant.settings import get_settings
from supertenant.spec.loader import load_spec, load_specs

app = typer.Typer(help="Cloud deployment helpers (Terraform input from tenant specs).", no_args_is_help=True)

DEFAULT_OUT = Path("deploy/terraform/tenants.auto.tfvars.json")


@app.command("render-tenants")
@command
def render_tenants(
    path: Path = typer.Option(..., "-f", "--file", help="A tenant spec file, or a directory of them"),
    out: Path = typer.Option(DEFAULT_OUT, "--out", help="The tfvars JSON file to write"),
    check: bool = typer.Option(False, "--check", help="Exit 1 if --out is not up to date; write nothing"),
) -> None:
    """Write the `tenants` map Terraform's per-tenant module is instantiated from."""
    text = json.dumps(render.render(load_specs(path)), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if check:
        current = out.read_text(encoding="utf-8") if out.exists() else ""
        if current != text:
            console.print(f"{out} is out of date: run `supertenant deploy render-tenants -f {path}`")
            raise typer.Exit(1)
        console.print(f"{out} is up to date")
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}", highlight=False)


@app.command("superset-url")
@command
def superset_url(
    path: Path = typer.Option(..., "-f", "--file", help="One tenant spec file"),
) -> None:
    """The Superset a spec must be applied to: the tenant's own instance when `isolation: dedicated`."""
    typer.echo(render.superset_url(load_spec(path), get_settings().superset_url))
