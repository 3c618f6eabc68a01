"""`supertenant backup` and `supertenant restore`: the metadata DB dump plus a secret-free git backup."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer

from supertenant.cli.output import command, console, print_json
from supertenant.cli.tenant import admin_client
from supertenant.errors import ConfigError, PermanentError
from supertenant.ops import backup as backups
from supertenant.ops import dbdump, layout
from supertenant.ops import restore as restores
from supertenant.settings import get_settings

RepoOption = typer.Option(..., "--repo", help="The backup git repository (created if missing)")


@command
def backup(
    repo: Path = RepoOption,
    dump_dir: Path | None = typer.Option(
        None, "--dump-dir", help="Where the metadata DB dump goes (never the repo); default DATA_DIR/backups"
    ),
    no_db_dump: bool = typer.Option(False, "--no-db-dump", help="Skip the metadata DB dump"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Dump the metadata DB and commit every tenant's assets, roles, RLS, users and registry to git."""
    started = time.monotonic()
    settings = get_settings()
    dumped = None
    if not no_db_dump:
        target = dump_dir or settings.data_dir / "backups"
        if target.resolve().is_relative_to(repo.resolve()):
            raise PermanentError("--dump-dir must be outside --repo: the dump holds secrets")
        dumped = dbdump.dump(settings.resolved_metadata_db_url, target)
    with admin_client() as client:
        snapshot = backups.collect(client)
    revision = backups.commit(repo, snapshot)
    summary = {
        "commit": revision,
        "db_dump": str(dumped) if dumped else None,
        "tenants": sorted(t.slug for t in snapshot.tenants),
        "assets": len(snapshot.assets),
        "roles": len(snapshot.roles),
        "users": len(snapshot.users),
        "rls": len(snapshot.rls),
        "seconds": round(time.monotonic() - started, 1),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"backup [bold]{revision[:12]}[/]: {len(snapshot.tenants)} tenant(s),"
        f" {summary['assets']} asset file(s), {summary['roles']} roles, {summary['users']} users,"
        f" {summary['rls']} RLS rules"
        f" in {summary['seconds']} s",
        highlight=False,
    )
    if dumped:
        console.print(f"metadata DB dump: {dumped} (holds secrets; keep it out of git)", highlight=False)


@command
def restore(
    repo: Path | None = typer.Option(
        None, "--repo", help="A backup repository or a `tenant export` directory"
    ),
    db_dump: Path | None = typer.Option(
        None, "--db-dump", help="Instead: load this metadata DB dump into SUPERTENANT_METADATA_DB_URL (empty)"
    ),
    secrets_file: Path | None = typer.Option(
        None,
        "--secrets",
        help="JSON: database passwords/keys, user passwords (default: $SUPERTENANT_RESTORE_SECRETS_FILE)",
    ),
    credentials_out: Path | None = typer.Option(
        None,
        "--credentials-out",
        help="Write generated user passwords here (mode 0600) instead of the terminal",
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Restore a backup into an empty Superset: assets, roles, users, owners, RLS rules, registry."""
    started = time.monotonic()
    if (repo is None) == (db_dump is None):
        raise ConfigError("give exactly one of --repo (git backup, over REST) and --db-dump (database dump)")
    if db_dump is not None:
        dbdump.load(get_settings().resolved_metadata_db_url, db_dump)
        console.print(
            f"metadata DB loaded from {db_dump} in {time.monotonic() - started:.1f} s", highlight=False
        )
        return
    assert repo is not None
    env_secrets = os.environ.get("SUPERTENANT_RESTORE_SECRETS_FILE")
    secrets_ = restores.RestoreSecrets.load(secrets_file or (Path(env_secrets) if env_secrets else None))
    snapshot = layout.read_snapshot(repo)
    with admin_client() as client:
        result = restores.restore(client, snapshot, secrets_)
    if credentials_out is not None and result.new_passwords:
        credentials_out.touch(mode=0o600)
        credentials_out.write_text(json.dumps(result.new_passwords, indent=2), encoding="utf-8")
    summary: dict[str, object] = {
        "restored": result.restored,
        "problems": result.problems,
        "seconds": round(time.monotonic() - started, 1),
    }
    if as_json:
        if credentials_out is None and result.new_passwords:
            summary["new_passwords"] = result.new_passwords
        print_json(summary)
    else:
        console.print(
            "restored "
            + ", ".join(f"{n} {k}" for k, n in result.restored.items())
            + f" in {summary['seconds']} s",
            highlight=False,
        )
        for problem in result.problems:
            console.print(f"  [yellow]problem:[/] {problem}", highlight=False)
    if result.new_passwords and credentials_out is None and not as_json:
        for username, password in result.new_passwords.items():  # shown once, never logged
            console.print(f"  new password for [bold]{username}[/]: {password}", highlight=False)
    if result.problems:
        raise typer.Exit(1)
