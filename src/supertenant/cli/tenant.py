"""`supertenant tenant`: plan, apply, list, show and delete tenants from their specs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from supertenant.cli.output import command, console, print_json
from supertenant.errors import ConfigError
from supertenant.provision.engine import ApplyResult, Provisioner
from supertenant.settings import get_settings
from supertenant.spec.loader import load_specs
from supertenant.superset_api import SupersetClient

app = typer.Typer(help="Onboard and manage tenants from their YAML specs.", no_args_is_help=True)

SpecPath = typer.Option(..., "-f", "--file", help="A tenant spec file, or a directory of them")


def admin_client() -> SupersetClient:
    settings = get_settings()
    if settings.admin_password is None:
        raise ConfigError("SUPERTENANT_ADMIN_PASSWORD is not set (the Superset platform admin's password)")
    return SupersetClient(
        settings.superset_url, settings.admin_username, settings.admin_password.get_secret_value()
    )


def _base_dir(path: Path) -> Path:
    return (path if path.is_dir() else path.parent).resolve()


@app.command()
@command
def plan(
    path: Path = SpecPath, as_json: bool = typer.Option(False, "--json", help="Print a list of changes")
) -> None:
    """Show what `apply` would change, object by object; changes nothing."""
    specs = load_specs(path)
    with admin_client() as client:
        provisioner = Provisioner(client)
        results = [provisioner.plan(spec, _base_dir(path)) for spec in specs]
    if as_json:
        print_json([c.model_dump() | {"tenant": r.slug} for r in results for c in r.changes])
        return
    for result in results:
        _print_changes(result, verb="would change")


@app.command()
@command
def apply(path: Path = SpecPath) -> None:
    """Make Superset and the warehouse match the spec(s); safe to interrupt and run again."""
    specs = load_specs(path)
    with admin_client() as client:
        provisioner = Provisioner(client)
        results: list[ApplyResult] = []
        with Progress(console=console, transient=True, disable=len(specs) < 3) as progress:
            task = progress.add_task("applying tenants", total=len(specs))
            for spec in specs:
                results.append(provisioner.apply(spec, _base_dir(path)))
                progress.advance(task)
    for result in results:
        _print_changes(result, verb="changed")
        for username, password in result.new_passwords.items():
            # Shown exactly once, on the terminal only; never logged.
            console.print(f"  new password for [bold]{username}[/]: {password}", highlight=False)


@app.command("list")
@command
def list_(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every tenant with its status and object counts."""
    with admin_client() as client:
        rows = client.get("/api/v1/supertenant/tenants/")["result"]
    if as_json:
        print_json(rows)
        return
    from rich.table import Table

    table = Table()
    for column in ("slug", "name", "status", "locale", "plan", "roles", "dashboards"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["slug"],
            row["name"],
            row["status"],
            row["locale"],
            row["plan"],
            str(len(row["role_ids"])),
            str(len(row["dashboard_ids"])),
        )
    console.print(table)


@app.command()
@command
def show(slug: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """One tenant and every object it owns."""
    with admin_client() as client:
        record = client.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
        record["members"] = client.get(f"/api/v1/supertenant/tenants/{slug}/members")["result"]
    if as_json:
        print_json(record)
        return
    console.print_json(data=record)


def _print_changes(result: ApplyResult, *, verb: str) -> None:
    if not result.changes:
        console.print(f"[bold]{result.slug}[/]: no changes")
        return
    console.print(f"[bold]{result.slug}[/]: {len(result.changes)} {verb}")
    for change in result.changes:
        console.print(f"  {change.describe()}", highlight=False)


@app.command()
@command
def delete(
    slug: str,
    export: Path | None = typer.Option(
        None, "--export", help="Export the tenant's dashboards and datasets here first"
    ),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
    dry_run: bool = typer.Option(False, "--dry-run", help="List what would be deleted"),
) -> None:
    """Remove every object of the tenant (and nothing of any other); refuses objects it does not own."""
    from supertenant.provision.teardown import Teardown

    if not (yes or dry_run):
        typer.confirm(f"Delete tenant {slug!r} and every object it owns?", abort=True)
    with admin_client() as client:
        changes = Teardown(client, slug).run(export_dir=export, dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    console.print(f"[bold]{slug}[/]: {verb} {len(changes)} object(s)")
    for change in changes:
        console.print(f"  {change.describe()}", highlight=False)


@app.command()
@command
def export(
    slug: str,
    out: Path = typer.Option(..., "--out", help="Directory to write (restorable with `supertenant restore`)"),
) -> None:
    """Offboarding: the tenant's assets, roles, RLS, users and registry row, without secrets."""
    from supertenant.ops import backup, layout

    with admin_client() as client:
        snapshot = backup.collect(client, [slug])
    layout.write_snapshot(snapshot, out)
    console.print(
        f"[bold]{slug}[/]: exported {len(snapshot.assets)} asset file(s), {len(snapshot.roles)} roles,"
        f" {len(snapshot.users)} users, {len(snapshot.rls)} RLS rules to {out}",
        highlight=False,
    )
