"""`make demo`: initialise Superset, generate the sample warehouse, onboard the demo tenants, serve.

Everything lives in one directory (``.demo/`` by default). Running it again
reuses what is there: secrets and passwords are kept, initialisation is
skipped when it already ran for this Superset version, and the provisioning
engine finds nothing to change.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from supertenant.errors import ConfigError, TemporaryError
from supertenant.provision.engine import Provisioner
from supertenant.runtime import chat as chat_runtime
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import load_specs
from supertenant.spec.models import DuckDBWarehouse, TenantSpec
from supertenant.superset_api import SupersetClient
from supertenant.warehouse.local import write_sample

DEMO_TENANTS = Path(__file__).parent / "tenants"
PLATFORM_ADMIN = "admin"


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.json"

    @property
    def credentials(self) -> Path:
        return self.root / "credentials.json"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "superset.log"

    @property
    def web_log(self) -> Path:
        return self.root / "logs" / "web.log"

    @property
    def init_stamp(self) -> Path:
        return self.root / ".initialised"


def password_env_name(slug: str, role: str) -> str:
    return f"DEMO_{slug.upper().replace('-', '_')}_{role.upper()}_PASSWORD"


def load_or_create_secrets(path: Path, specs: list[TenantSpec]) -> dict[str, str]:
    """Secrets of this demo directory, created once (mode 0600) and reused on every run."""
    values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = ["SUPERTENANT_SECRET_KEY", "SUPERTENANT_GUEST_TOKEN_JWT_SECRET", "PLATFORM_ADMIN_PASSWORD"]
    wanted += [u.password_env for s in specs for u in s.users if u.password_env]
    for name in wanted:
        values.setdefault(name, secrets.token_urlsafe(32 if name.startswith("SUPERTENANT_") else 12))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(json.dumps(values, indent=2))
    return values


def superset_version() -> str:
    return metadata.version("apache-superset")


def prepare(paths: DemoPaths, url: str, console: Console) -> tuple[dict[str, str], list[TenantSpec]]:
    """Everything before the web server starts: secrets, metadata DB, sample warehouse."""
    specs = load_specs(DEMO_TENANTS)
    values = load_or_create_secrets(paths.secrets, specs)
    env = runtime.superset_env(demo_environment(paths, values))
    stamp = f"{superset_version()}:{runtime_migration_head()}"
    if not paths.init_stamp.exists() or paths.init_stamp.read_text() != stamp:
        console.print(
            "[bold]Initialising Superset[/] (db upgrade, registry migrations, init, platform admin)…"
        )
        runtime.initialise(
            env,
            f"sqlite:///{(paths.root / 'superset.db').resolve()}",
            runtime.Admin(PLATFORM_ADMIN, values["PLATFORM_ADMIN_PASSWORD"]),
            paths.log,
        )
        paths.init_stamp.write_text(stamp)
    for spec in specs:
        warehouse = spec.warehouse
        assert isinstance(warehouse, DuckDBWarehouse)
        target = paths.root / warehouse.path
        console.print(f"Sample warehouse for [bold]{spec.slug}[/] → {target}:{warehouse.schema_name}")
        write_sample(
            target,
            schema=warehouse.schema_name,
            accounts=warehouse.account_ids,
            flavour="ja" if spec.locale == "ja" else "en",
        )
    return env, specs


def runtime_migration_head() -> str:
    from supertenant.registry.migrate import head_revision

    return head_revision()


def demo_environment(paths: DemoPaths, values: dict[str, str]) -> dict[str, str]:
    return {
        "SUPERTENANT_ENV": "dev",
        "SUPERTENANT_DATA_DIR": str(paths.root.resolve()),
        "SUPERTENANT_SECRET_KEY": values["SUPERTENANT_SECRET_KEY"],
        "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": values["SUPERTENANT_GUEST_TOKEN_JWT_SECRET"],
        "SUPERTENANT_METADATA_DB_URL": f"sqlite:///{(paths.root / 'superset.db').resolve()}",
    }


def onboard(
    url: str, paths: DemoPaths, specs: list[TenantSpec], values: dict[str, str], console: Console
) -> None:
    with SupersetClient(url, PLATFORM_ADMIN, values["PLATFORM_ADMIN_PASSWORD"]) as client:
        provisioner = Provisioner(client, password_lookup=values.get)
        for spec in specs:
            result = provisioner.apply(spec, paths.root)
            summary = f"{len(result.changes)} change(s)" if result.changed else "no changes"
            console.print(f"Tenant [bold]{spec.slug}[/]: {summary}")


def credentials(url: str, specs: list[TenantSpec], values: dict[str, str]) -> dict[str, Any]:
    tenants: dict[str, dict[str, dict[str, str]]] = {}
    for spec in specs:
        for user in spec.users:
            assert user.password_env
            tenants.setdefault(spec.slug, {})[user.role] = {
                "username": user.email,
                "password": values[user.password_env],
            }
    return {
        "superset_url": url,
        "platform_admin": {"username": PLATFORM_ADMIN, "password": values["PLATFORM_ADMIN_PASSWORD"]},
        "tenants": tenants,
    }


def print_logins(creds: dict[str, Any], console: Console) -> None:
    table = Table(title=f"supertenant demo — {creds['superset_url']}")
    for column in ("tenant", "role", "username", "password"):
        table.add_column(column)
    admin = creds["platform_admin"]
    table.add_row("(platform)", "platform admin", admin["username"], admin["password"])
    for slug, roles in creds["tenants"].items():
        for role, login in roles.items():
            table.add_row(slug, role, login["username"], login["password"])
    console.print(table)


def run(root: Path, host: str = "127.0.0.1", port: int = 8088) -> None:
    """Bring the demo up and serve until Ctrl-C (or SIGTERM); then stop everything."""
    console = Console()
    paths = DemoPaths(root)
    url = f"http://{host}:{port}"
    started = time.monotonic()
    env, specs = prepare(paths, url, console)
    values = json.loads(paths.secrets.read_text())
    chat_port = chat_runtime.port_or_free(host, port + 1)
    chat_url = f"http://{host}:{chat_port}"
    env = {**env, "SUPERTENANT_CHAT_SERVICE_URL": chat_url}  # where the chat page's proxy finds the service
    console.print(f"Starting Superset (gunicorn) on {url} …")
    process = runtime.start_web(env, host, port, paths.web_log)
    chat_process = None
    try:
        runtime.wait_until_healthy(url, process)
        console.print(f"Login page is up after {time.monotonic() - started:.1f}s")
        chat_process = chat_runtime.start(
            chat_runtime.chat_env(env, url), host, chat_port, paths.root / "logs" / "chat.log"
        )
        onboard(url, paths, specs, values, console)
        try:
            chat_runtime.wait_until_healthy(chat_url, chat_process)
        except (ConfigError, TemporaryError) as exc:  # the demo still serves Superset without the chat
            console.print(
                f"[yellow]Chat service not available: {exc} (see {paths.root / 'logs' / 'chat.log'})[/]"
            )
            chat_runtime.stop(chat_process)
            chat_process = None
        creds = credentials(url, specs, values)
        paths.credentials.write_text(json.dumps(creds, indent=2, ensure_ascii=False))
        os.chmod(paths.credentials, 0o600)
        print_logins(creds, console)
        for spec in specs if chat_process is not None else []:
            host_name = next(iter(spec.branding.hostnames), None) if spec.branding else None
            page = f"http://{host_name}:{port}" if host_name else url
            console.print(f"Chat for [bold]{spec.slug}[/]: {page}/supertenant/chat/ (service {chat_url})")
        console.print(f"Logins saved to {paths.credentials}. Press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGINT, _interrupt)  # also when started with SIGINT ignored (nohup, &)
        process.wait()
    except KeyboardInterrupt:
        console.print("Stopping…")
    finally:
        if chat_process is not None:
            chat_runtime.stop(chat_process)
        runtime.stop(process)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt
