"""A real Superset 6.1 with supertenant loaded, on this machine's Postgres and Redis.

One server per test session: a fresh Postgres database, a Redis DB flushed
before and after, two tenants provisioned by the real engine over REST.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import pytest
import redis

from supertenant.provision.engine import Provisioner
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import load_specs
from supertenant.spec.models import DuckDBWarehouse, TenantSpec
from supertenant.superset_api import SupersetClient
from supertenant.superset_api.form_login import sign_in_with_form
from supertenant.warehouse.local import write_sample

pytestmark = pytest.mark.integration

PG_DSN = os.environ.get("SUPERTENANT_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("SUPERTENANT_TEST_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("SUPERTENANT_TEST_REDIS_DB", "9"))
DEMO_TENANTS = Path(__file__).resolve().parents[2] / "src" / "supertenant" / "demo" / "tenants"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    admin_username: str
    admin_password: str
    metadata_db_url: str
    redis_url: str
    root: Path
    env: dict[str, str]

    def admin(self) -> SupersetClient:
        return SupersetClient(self.url, self.admin_username, self.admin_password)


@dataclass(frozen=True)
class Tenants:
    specs: dict[str, TenantSpec]
    passwords: dict[str, str]  # username → password
    base_dir: Path

    def login(self, server: Server, slug: str, role: str) -> SupersetClient:
        user = next(u for u in self.specs[slug].users if u.role == role)
        return SupersetClient(server.url, user.email, self.passwords[user.email])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    name = f"supertenant_it_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{PG_DSN}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


CLAIM_KEY = "supertenant:test-session"


def claim_redis_db(first: int = REDIS_DB, last: int = 12) -> tuple[int, redis.Redis]:
    """A Redis DB no other running test session holds, so concurrent sessions never flush each other's."""
    token = uuid.uuid4().hex
    for number in range(first, last + 1):
        client = redis.Redis.from_url(f"{REDIS_BASE}/{number}")
        if client.set(CLAIM_KEY, token, nx=True, ex=4 * 3600):
            client.flushdb()
            client.set(CLAIM_KEY, token, ex=4 * 3600)
            return number, client
        client.close()
    raise RuntimeError(f"every Redis DB {first}..{last} is held by another test session ({CLAIM_KEY})")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    number, client = claim_redis_db()
    try:
        yield f"{REDIS_BASE}/{number}"
    finally:
        client.flushdb()
        client.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, redis_url: str) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("superset")
    admin_password = secrets.token_urlsafe(16)
    env = runtime.superset_env(
        {
            "SUPERTENANT_ENV": "dev",
            "SUPERTENANT_DATA_DIR": str(root),
            "SUPERTENANT_METADATA_DB_URL": postgres_url,
            "SUPERTENANT_REDIS_URL": redis_url,
            "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
            "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
            "SUPERTENANT_USAGE_FLUSH_SECONDS": "2",  # usage rows arrive soon after the requests
        }
    )
    runtime.initialise(env, postgres_url, runtime.Admin("admin", admin_password), root / "superset.log")
    port = free_port()
    process = runtime.start_web(env, "127.0.0.1", port, root / "web.log")
    url = f"http://127.0.0.1:{port}"
    try:
        runtime.wait_until_healthy(url, process)
        yield Server(url, "admin", admin_password, postgres_url, redis_url, root, env)
    finally:
        runtime.stop(process)


@pytest.fixture(scope="session")
def tenants(server: Server) -> Tenants:
    """The two demo tenants, on a warehouse of their own, applied by the provisioning engine."""
    specs = {s.slug: s for s in load_specs(DEMO_TENANTS)}
    passwords = {
        u.password_env: secrets.token_urlsafe(12) for s in specs.values() for u in s.users if u.password_env
    }
    for spec in specs.values():
        warehouse = spec.warehouse
        assert isinstance(warehouse, DuckDBWarehouse)
        write_sample(
            server.root / warehouse.path,
            schema=warehouse.schema_name,
            accounts=warehouse.account_ids,
            flavour="ja" if spec.locale == "ja" else "en",
        )
    with server.admin() as client:
        provisioner = Provisioner(client, password_lookup=passwords.get)
        for spec in specs.values():
            provisioner.apply(spec, server.root)
    by_user = {u.email: passwords[u.password_env] for s in specs.values() for u in s.users if u.password_env}
    return Tenants(specs, by_user, server.root)


class PacedTransport(httpx.HTTPTransport):
    """Waits out Superset's rate limit instead of failing on it.

    Superset allows each address 50 requests per second (``RATELIMIT_APPLICATION``), counted in
    Redis across every server of a test session. A test that fires a burst of fast refusals can
    cross it; a 429 is then retried after the window, up to three times, and any other answer is
    returned as it is. Only for requests whose body can be sent again (JSON, forms).
    """

    WINDOW_SECONDS = 1.1
    ATTEMPTS = 3

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for _ in range(self.ATTEMPTS - 1):
            response = super().handle_request(request)
            if response.status_code != 429:
                return response
            response.close()
            time.sleep(self.WINDOW_SECONDS)
        return super().handle_request(request)


def sign_in(client: httpx.Client, username: str, password: str) -> None:
    """The login form, as a browser submits it: the client then holds the user's session cookie."""
    sign_in_with_form(client, username, password)


def run_in_app(server: Server, script: str, marker: str) -> Any:
    """Run ``script`` in a separate process with the server's environment (same config, same
    metadata DB); it writes ``marker`` then JSON to stdout, which is returned parsed."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert marker in result.stdout, result.stderr[-3000:]
    return json.loads(result.stdout.split(marker, 1)[1])
