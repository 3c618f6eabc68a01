"""The metadata DB's complete copy: ``pg_dump -Fc`` for Postgres, SQLite's online backup API.

This copy holds secrets (Superset's encrypted connection credentials, password hashes), so it
never goes into the git repository: it is written with mode 0600 to a directory of its own,
which in production is a Cloud Storage bucket with its own access control (docs/runbooks/backup.md).
The password is handed to pg_dump in its environment, never on the command line.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from supertenant.errors import ConfigError, TemporaryError


def pg_arguments(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection flags and environment for a SQLAlchemy Postgres URL (pure)."""
    parsed = make_url(url)
    args: list[str] = []
    host = parsed.host or str(parsed.query.get("host") or "")  # ?host=/cloudsql/… (Unix socket)
    if host:
        args += ["--host", host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    if not parsed.database:
        raise ConfigError("SUPERTENANT_METADATA_DB_URL names no database")
    args += ["--dbname", parsed.database]
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    if sslmode := parsed.query.get("sslmode"):  # Cloud SQL with ENCRYPTED_ONLY: ?sslmode=require
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def dump(url: str, directory: Path, *, now: datetime | None = None) -> Path:
    """Dump the metadata DB into ``directory``; returns the file (mode 0600)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        target = directory / f"metadata-{stamp}.pgdump"
        args, env = pg_arguments(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args], env
        )
    elif backend == "sqlite":
        target = directory / f"metadata-{stamp}.sqlite"
        source = make_url(url).database
        if not source:
            raise ConfigError("the SQLite metadata DB URL names no file")
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # consistent even while Superset writes
    else:
        raise ConfigError(f"cannot dump a {backend!r} metadata DB (Postgres and SQLite are supported)")
    target.chmod(0o600)
    return target


def load(url: str, dump_file: Path) -> None:
    """Restore a dump made by :func:`dump` into an empty database at ``url``."""
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        args, env = pg_arguments(url)
        _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *args, str(dump_file)], env)
    elif backend == "sqlite":
        target = make_url(url).database
        if not target:
            raise ConfigError("the SQLite metadata DB URL names no file")
        with sqlite3.connect(dump_file) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
    else:
        raise ConfigError(f"cannot restore into a {backend!r} metadata DB")


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=os.environ | env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ConfigError(f"{command[0]} is not installed (Debian: postgresql-client)") from None
    if result.returncode != 0:
        message = result.stderr.strip()[-400:]
        if "could not connect" in message or "Connection refused" in message:
            raise TemporaryError(f"{command[0]}: {message}")
        raise ConfigError(f"{command[0]} failed (exit {result.returncode}): {message}")
