"""Benchmark (issue #3): apply tenants 1→N to one real Superset and watch per-tenant cost.

Starts its own Superset 6.1 on this machine's Postgres (a fresh database
``supertenant_bench_<random>``, dropped at the end) and Redis (DB 10, flushed
before and after), writes one DuckDB warehouse with one schema per tenant,
then applies tenants one at a time with the real :class:`Provisioner`, each
through a fresh admin client (as one ``supertenant tenant apply -f FILE`` per
onboarding would). For every apply it records the wall seconds and the HTTP
requests sent (per engine step and per endpoint). Finally it times
``superset init`` again (upstream apache/superset#25040: it grows with the
number of permissions) and writes ``benchmarks/results/apply_tenants.json``.

    .venv/bin/python benchmarks/apply_tenants.py --tenants 200

Ctrl-C (or SIGTERM) at any point stops Superset, flushes Redis DB 10 and drops
the benchmark database before exiting.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import functools
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import prison
import psycopg2
import redis

from supertenant.errors import ConfigError, NotFoundError, TemporaryError
from supertenant.logs import configure_logging
from supertenant.provision import engine
from supertenant.provision.engine import Provisioner
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import DuckDBWarehouse, TenantSpec
from supertenant.superset_api.client import SupersetClient, verifying_tls_context
from supertenant.warehouse.local import write_sample

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results" / "apply_tenants.json"
SCOPED_CONFIG = ROOT / "benchmarks" / "superset_config_scoped.py"
PG_DSN = os.environ.get("SUPERTENANT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("SUPERTENANT_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = 10
TARGET_P50_SECONDS = 3.0
TARGET_RATIO = 1.5
RATIO_EARLY_TENANT = 10
PROGRESS_EVERY = 10  # tenants between partial reports (a 200-tenant run takes over an hour)
# The engine's steps, in the order `Provisioner._converge` runs them; requests are attributed to these.
STEPS = (
    "check_contract",
    "resolve_templates",
    "claim_registry",
    "look_up",  # reads for the later steps, side by side with database and datasets
    "database",
    "datasets",
    "access",  # roles, users and rls, side by side with dashboards
    "roles",
    "users",
    "rls",
    "dashboards",
    "finish_registry",
)
LOGIN = "login"
CURRENT_STEP: contextvars.ContextVar[str] = contextvars.ContextVar("bench_current_step", default=LOGIN)

SPEC = """
slug: {slug}
name: Benchmark tenant {index}
locale: en
warehouse:
  engine: duckdb
  path: {path}
  schema: {schema}
  account_ids: ["{account}"]
users:
  - {{email: admin@{slug}.example, role: admin}}
  - {{email: editor@{slug}.example, role: editor}}
  - {{email: viewer@{slug}.example, role: viewer, password_env: {viewer_password_env}}}
"""
VIEWER_PASSWORD_ENV = "SUPERTENANT_BENCH_VIEWER_PASSWORD"  # noqa: S105 (a variable name, for guard_overhead.py)


# --- counting HTTP requests ----------------------------------------------------------------------


@dataclass
class EndpointStats:
    count: int = 0
    seconds: float = 0.0
    rows: int = 0  # rows returned by list (GET …/) requests

    def as_list(self) -> list[float | int]:
        return [self.count, round(self.seconds, 4), self.rows]


@dataclass
class Recorder:
    """What one tenant apply sent: requests per engine step and per endpoint.

    The engine sends some requests side by side from threads: the step a request belongs to is
    the one running in its context (``CURRENT_STEP``), and the counts are updated under a lock.
    """

    requests: int = 0
    retries: int = 0
    by_step: dict[str, EndpointStats] = field(default_factory=lambda: defaultdict(EndpointStats))
    by_endpoint: dict[str, EndpointStats] = field(default_factory=lambda: defaultdict(EndpointStats))
    wall_by_step: dict[str, float] = field(default_factory=dict)  # seconds from a step's start to its end
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str, seconds: float, rows: int) -> None:
        with self.lock:
            self.requests += 1
            for stats in (self.by_step[CURRENT_STEP.get()], self.by_endpoint[key]):
                stats.count += 1
                stats.seconds += seconds
                stats.rows += rows

    def retried(self) -> None:
        with self.lock:
            self.retries += 1


_ID = re.compile(r"/\d+(?=/|$|\?)")


def endpoint_key(method: str, path: str, params: Any) -> str:
    """``GET /api/v1/chart/ [uuid:in]``: ids and tenant slugs folded, list filters named."""
    path = _ID.sub("/{id}", path)
    path = re.sub(r"(/supertenant/tenants/)[^/]+", r"\1{slug}", path)
    if isinstance(params, dict) and "q" in params:
        try:
            query = prison.loads(params["q"])
        except Exception:
            return f"{method} {path}"
        filters = query.get("filters") if isinstance(query, dict) else None
        named = ",".join(f"{f.get('col')}:{f.get('opr')}" for f in filters or [])
        return f"{method} {path} [{named or 'all'}]"
    return f"{method} {path}"


class CountingHTTP(httpx.Client):
    """An httpx client that reports every exchange (logins and retries included) to a Recorder."""

    def __init__(self, recorder: Recorder, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recorder = recorder

    def request(self, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        key = endpoint_key(method, str(url), kwargs.get("params"))
        started = time.perf_counter()
        try:
            response = super().request(method, url, **kwargs)
        except httpx.TransportError:
            self.recorder.record(key + " (transport error)", time.perf_counter() - started, 0)
            raise
        rows = 0
        if method == "GET" and key.endswith("]") and response.status_code == 200:
            with contextlib.suppress(ValueError):
                result = response.json().get("result")
                rows = len(result) if isinstance(result, list) else 0
        if response.status_code in (429, 502, 503, 504):
            self.recorder.retried()
        self.recorder.record(key, time.perf_counter() - started, rows)
        return response


class CountingClient(SupersetClient):
    """The real SupersetClient, with its HTTP session swapped for a counting one."""

    def __init__(self, base_url: str, username: str, password: str, *, recorder: Recorder) -> None:
        super().__init__(base_url, username, password)
        timeout = self._http.timeout
        self._http.close()
        self._http = CountingHTTP(
            recorder, base_url=self.base_url, timeout=timeout, verify=verifying_tls_context()
        )


@contextlib.contextmanager
def steps_attributed_to(recorder_of: Callable[[], Recorder]) -> Iterator[None]:
    """Wrap the engine's step methods so each request is attributed to the step that sent it."""

    def attributed(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            token = CURRENT_STEP.set(name)
            started = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                recorder_of().wall_by_step[name] = round(time.perf_counter() - started, 4)
                CURRENT_STEP.reset(token)

        return wrapped

    originals: dict[str, Callable[..., Any]] = {name: getattr(engine._Run, name) for name in STEPS}
    for name, original in originals.items():
        setattr(engine._Run, name, attributed(name, original))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(engine._Run, name, original)


class LegacyPermissionIndex(engine.PermissionIndex):
    """The index before issue #3's fix: lists every PVM whenever one is unknown (``--legacy-...``)."""

    def ids(self, perms: Any) -> list[int]:
        wanted = sorted(set(perms))
        if any(p not in self._ids for p in wanted):
            self._ids = {
                (row["permission"]["name"], row["view_menu"]["name"]): row["id"]
                for row in self._client.iter_list("security/permissions-resources")
            }
        missing = [p for p in wanted if p not in self._ids]
        if missing:
            raise NotFoundError(f"Superset lacks permissions {missing[:10]}")
        return [self._ids[p] for p in wanted]


@contextlib.contextmanager
def permission_index(legacy: bool) -> Iterator[None]:
    original = engine.PermissionIndex
    if legacy:
        engine.PermissionIndex = LegacyPermissionIndex  # type: ignore[misc]
    try:
        yield
    finally:
        engine.PermissionIndex = original  # type: ignore[misc]


# --- the local stack -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_database(stack: contextlib.ExitStack, *, jit: bool, keep: bool = False) -> str:
    """A fresh Postgres database, dropped when ``stack`` unwinds unless ``keep``; returns its URL."""
    name = f"supertenant_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{PG_DSN}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        if not jit:  # before any connection: every session of this database gets it
            cursor.execute(f'ALTER DATABASE "{name}" SET jit = off')

    def drop() -> None:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()
        print(f"dropped Postgres database {name}", file=sys.stderr)

    if keep:  # for profiling afterwards: the caller drops it by hand
        stack.callback(admin.close)
    else:
        stack.callback(drop)
    print(f"created Postgres database {name}" + (" (kept)" if keep else ""), file=sys.stderr)
    return f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"


def flushed_redis(stack: contextlib.ExitStack) -> str:
    url = f"{REDIS_BASE}/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()

    def flush() -> None:
        client.flushdb()
        client.close()

    stack.callback(flush)
    return url


def timed_superset(args: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    runtime.run_superset(args, env, log)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Server:
    url: str
    admin_username: str
    admin_password: str
    env: dict[str, str]
    log: Path
    metadata_db_url: str = ""


def start_superset(
    stack: contextlib.ExitStack, root: Path, args: argparse.Namespace, timings: dict[str, Any]
) -> Server:
    metadata_url = create_database(stack, jit=not args.no_jit, keep=args.keep_database)
    redis_url = flushed_redis(stack)
    env = runtime.superset_env(
        {
            "SUPERTENANT_ENV": "dev",
            "SUPERTENANT_DATA_DIR": str(root),
            "SUPERTENANT_METADATA_DB_URL": metadata_url,
            "SUPERTENANT_REDIS_URL": redis_url,
            "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
            "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
            "SUPERTENANT_LOG_LEVEL": "WARNING",
        }
    )
    if args.scoped_schema_permissions:
        env["SUPERSET_CONFIG_PATH"] = str(SCOPED_CONFIG)
    log = root / "superset.log"
    password = secrets.token_urlsafe(16)
    print("initialising Superset (db upgrade, init, admin)…", file=sys.stderr)
    started = time.perf_counter()
    runtime.initialise(env, metadata_url, runtime.Admin("admin", password), log)
    timings["initialise_seconds"] = round(time.perf_counter() - started, 2)
    # The baselines for the final `superset init`: the app's own start-up, and a re-run with 0 tenants.
    timings["app_startup_seconds"] = round(timed_superset(["version"], env, log), 2)
    timings["init_seconds_0_tenants"] = round(timed_superset(["init"], env, log), 2)
    port = free_port()
    process = runtime.start_web(env, "127.0.0.1", port, root / "web.log", workers=args.workers)
    stack.callback(runtime.stop, process)
    url = f"http://127.0.0.1:{port}"
    timings["web_start_seconds"] = round(runtime.wait_until_healthy(url, process), 2)
    print(f"Superset is up at {url} (pid {process.pid})", file=sys.stderr)
    return Server(url, "admin", password, env, log, metadata_url)


def metadata_counts(metadata_db_url: str) -> dict[str, int]:
    """How big Superset's metadata got: PVMs by kind, and the objects tenants own."""
    dsn = metadata_db_url.replace("postgresql+psycopg2://", "postgresql://")
    queries = {
        "pvms": "SELECT count(*) FROM ab_permission_view",
        "pvms_schema_access": "SELECT count(*) FROM ab_permission_view pv JOIN ab_permission p "
        "ON p.id = pv.permission_id WHERE p.name = 'schema_access'",
        "pvms_datasource_access": "SELECT count(*) FROM ab_permission_view pv JOIN ab_permission p "
        "ON p.id = pv.permission_id WHERE p.name = 'datasource_access'",
        "view_menus": "SELECT count(*) FROM ab_view_menu",
        "databases": "SELECT count(*) FROM dbs",
        "datasets": "SELECT count(*) FROM tables",
        "charts": "SELECT count(*) FROM slices",
        "dashboards": "SELECT count(*) FROM dashboards",
        "users": "SELECT count(*) FROM ab_user",
        "roles": "SELECT count(*) FROM ab_role",
    }
    counts: dict[str, int] = {}
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cursor:
        for key, sql in queries.items():
            cursor.execute(sql)
            row = cursor.fetchone()
            counts[key] = int(row[0]) if row else 0
    return counts


def full_pvm_listing(server: Server) -> dict[str, float | int]:
    """One listing of every PVM: what the legacy PermissionIndex did on each apply."""
    recorder = Recorder()
    started = time.perf_counter()
    with CountingClient(
        server.url, server.admin_username, server.admin_password, recorder=recorder
    ) as client:
        rows = sum(1 for _ in client.iter_list("security/permissions-resources"))
    return {"seconds": round(time.perf_counter() - started, 2), "requests": recorder.requests, "rows": rows}


# --- tenants ---------------------------------------------------------------------------------------


def tenant_spec(index: int, warehouse: Path) -> TenantSpec:
    slug = f"bench-{index:04d}"
    text = SPEC.format(
        slug=slug,
        index=index,
        path=warehouse,
        schema=slug.replace("-", "_"),
        account=f"900-{index // 10000:03d}-{index % 10000:04d}",
        viewer_password_env=VIEWER_PASSWORD_ENV,
    )
    return parse_spec(text, source=f"{slug}.yaml")


def warehouse_path(spec: TenantSpec) -> Path:
    assert isinstance(spec.warehouse, DuckDBWarehouse)
    return Path(spec.warehouse.path)


def write_tenant_sample(spec: TenantSpec, index: int, days: int, attempts: int = 20) -> float:
    """Write one tenant's schema; retried while Superset holds the file (it opens it per query)."""
    assert isinstance(spec.warehouse, DuckDBWarehouse)
    path = warehouse_path(spec)
    started = time.perf_counter()
    for attempt in range(attempts):
        try:
            write_sample(
                path,
                schema=spec.warehouse.schema_name,
                accounts=spec.warehouse.account_ids,
                seed=index,
                days=days,
            )
            break
        except TemporaryError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return time.perf_counter() - started


def write_warehouse(specs: list[TenantSpec], days: int) -> float:
    return sum(write_tenant_sample(spec, index, days) for index, spec in enumerate(specs, start=1))


@dataclass
class TenantResult:
    index: int
    slug: str
    seconds: float
    requests: int
    retries: int
    changes: int
    by_step: dict[str, list[float | int]]
    by_endpoint: dict[str, list[float | int]]
    wall_by_step: dict[str, float]  # the access steps and the dashboards step overlap


def apply_tenants(
    server: Server,
    specs: list[TenantSpec],
    base_dir: Path,
    *,
    legacy_index: bool = False,
    on_progress: Callable[[list[TenantResult]], None] | None = None,
    before_each: Callable[[int, TenantSpec], None] | None = None,
) -> list[TenantResult]:
    current = Recorder()
    results: list[TenantResult] = []
    with steps_attributed_to(lambda: current), permission_index(legacy_index):
        for index, spec in enumerate(specs, start=1):
            if before_each is not None:
                before_each(index, spec)  # not timed as part of the apply
            current = Recorder()
            started = time.perf_counter()
            with CountingClient(
                server.url, server.admin_username, server.admin_password, recorder=current
            ) as client:
                result = Provisioner(client).apply(spec, base_dir)
            seconds = time.perf_counter() - started
            results.append(
                TenantResult(
                    index=index,
                    slug=spec.slug,
                    seconds=round(seconds, 4),
                    requests=current.requests,
                    retries=current.retries,
                    changes=len(result.changes),
                    by_step={k: v.as_list() for k, v in current.by_step.items()},
                    wall_by_step=dict(current.wall_by_step),
                    by_endpoint={k: v.as_list() for k, v in sorted(current.by_endpoint.items())},
                )
            )
            print(
                f"tenant {index:4d}/{len(specs)} {spec.slug}: {seconds:6.2f} s, "
                f"{current.requests:4d} requests; wall seconds per step: "
                + " ".join(f"{k} {v:.2f}" for k, v in current.wall_by_step.items()),
                file=sys.stderr,
                flush=True,
            )
            if on_progress is not None and index % PROGRESS_EVERY == 0:
                on_progress(results)
    return results


def reapply_sample(server: Server, specs: list[TenantSpec], base_dir: Path) -> list[dict[str, Any]]:
    """Apply a spread of already converged tenants again: the no-op path every template upgrade takes."""
    n = len(specs)
    picks = sorted({i for i in (1, RATIO_EARLY_TENANT, n // 4, n // 2, 3 * n // 4, n) if 1 <= i <= n})
    rows = []
    for index in picks:
        recorder = Recorder()
        started = time.perf_counter()
        with CountingClient(
            server.url, server.admin_username, server.admin_password, recorder=recorder
        ) as client:
            result = Provisioner(client).apply(specs[index - 1], base_dir)
        rows.append(
            {
                "index": index,
                "seconds": round(time.perf_counter() - started, 3),
                "requests": recorder.requests,
                "changes": len(result.changes),
            }
        )
    print(f"re-applied (no changes expected): {rows}", file=sys.stderr)
    return rows


# --- summary ---------------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def window_median(results: list[TenantResult], center: int, half: int = 5) -> float:
    """Median seconds of the tenants around #``center`` (1-based): one sample is noisy on 2 cores."""
    lo, hi = max(0, center - 1 - half), min(len(results), center + half)
    return statistics.median(r.seconds for r in results[lo:hi])


def growth_table(results: list[TenantResult], buckets: int = 10) -> list[dict[str, Any]]:
    """Median seconds and requests per decile of tenants: where the cost goes as N grows."""
    size = max(1, len(results) // buckets)
    rows = []
    for start in range(0, len(results), size):
        chunk = results[start : start + size]
        roles = [float(r.by_step.get("roles", [0, 0.0])[1]) for r in chunk]
        dashboards = [float(r.by_step.get("dashboards", [0, 0.0])[1]) for r in chunk]
        rows.append(
            {
                "tenants": f"{chunk[0].index}-{chunk[-1].index}",
                "median_seconds": round(statistics.median(r.seconds for r in chunk), 3),
                "median_requests": statistics.median(r.requests for r in chunk),
                "median_roles_step_seconds": round(statistics.median(roles), 3),
                "median_dashboards_step_seconds": round(statistics.median(dashboards), 3),
            }
        )
    return rows


def endpoint_growth(results: list[TenantResult], sample: int = 10) -> dict[str, dict[str, float]]:
    """Per endpoint: mean calls, seconds and rows per apply in the first vs the last ``sample`` tenants."""

    def means(chunk: list[TenantResult]) -> dict[str, tuple[float, float, float]]:
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for r in chunk:
            for key, (count, seconds, rows) in r.by_endpoint.items():
                totals[key][0] += count
                totals[key][1] += seconds
                totals[key][2] += rows
        return {k: (v[0] / len(chunk), v[1] / len(chunk), v[2] / len(chunk)) for k, v in totals.items()}

    first, last = means(results[:sample]), means(results[-sample:])
    table = {}
    for key in sorted(set(first) | set(last)):
        f, la = first.get(key, (0.0, 0.0, 0.0)), last.get(key, (0.0, 0.0, 0.0))
        table[key] = {
            "calls_first": round(f[0], 2),
            "calls_last": round(la[0], 2),
            "seconds_first": round(f[1], 3),
            "seconds_last": round(la[1], 3),
            "rows_first": round(f[2], 1),
            "rows_last": round(la[2], 1),
        }
    return table


def summarise(results: list[TenantResult], timings: dict[str, Any]) -> dict[str, Any]:
    seconds = [r.seconds for r in results]
    n = len(results)
    early = min(RATIO_EARLY_TENANT, n)
    p50 = percentile(seconds, 50)
    ratio = results[-1].seconds / results[early - 1].seconds
    window_ratio = window_median(results, n) / window_median(results, early)
    return {
        "tenants": n,
        "p50_seconds": round(p50, 3),
        "p95_seconds": round(percentile(seconds, 95), 3),
        "mean_seconds": round(statistics.fmean(seconds), 3),
        "min_seconds": round(min(seconds), 3),
        "max_seconds": round(max(seconds), 3),
        "total_apply_seconds": round(sum(seconds), 1),
        f"tenant_{early}_seconds": results[early - 1].seconds,
        f"tenant_{n}_seconds": results[-1].seconds,
        f"ratio_tenant_{n}_vs_{early}": round(ratio, 3),
        # Median of ±5 tenants around each end: robust to one slow request on a busy machine.
        f"window_ratio_tenant_{n}_vs_{early}": round(window_ratio, 3),
        f"tenant_{early}_requests": results[early - 1].requests,
        f"tenant_{n}_requests": results[-1].requests,
        "requests_p50": percentile([float(r.requests) for r in results], 50),
        "retried_requests": sum(r.retries for r in results),
        "reapply_seconds": [r["seconds"] for r in timings.get("reapply", [])],
        "reapply_requests": [r["requests"] for r in timings.get("reapply", [])],
        "superset_init_seconds": timings.get("init_seconds_n_tenants"),
        "superset_init_seconds_0_tenants": timings.get("init_seconds_0_tenants"),
        "targets": {
            "p50_le_3s": p50 <= TARGET_P50_SECONDS,
            f"tenant_{n}_le_1.5x_tenant_{early}": ratio <= TARGET_RATIO,
            f"window_tenant_{n}_le_1.5x_tenant_{early}": window_ratio <= TARGET_RATIO,
        },
    }


# --- machine -------------------------------------------------------------------------------------


def other_processes() -> list[str]:
    """Other Superset, gunicorn or pytest processes on the machine (they compete for the 2 cores)."""
    mine = {os.getpid()}
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if re.search(r"pytest|gunicorn|bin/superset|celery", cmd) and "apply_tenants.py" not in cmd:
            found.append(f"{entry.name} {cmd[:160]}")
    return sorted(found)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(*args: str) -> str:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    return ""


def machine_info() -> dict[str, Any]:
    cpu = re.search(r"model name\s*:\s*(.+)", _read("/proc/cpuinfo"))
    mem = re.search(r"MemTotal:\s*(\d+) kB", _read("/proc/meminfo"))
    with contextlib.closing(psycopg2.connect(f"{PG_DSN}/postgres")) as con, con.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name LIKE 'jit%' OR name = 'max_connections'"
        )
        pg_settings = dict(cursor.fetchall())
    redis_info: dict[str, Any] = redis.Redis.from_url(f"{REDIS_BASE}/0").info("server")  # type: ignore[assignment]
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu.group(1).strip() if cpu else None,
        "memory_gb": round(int(mem.group(1)) / 1024**2, 1) if mem else None,
        "postgres": row[0] if row else None,
        "postgres_settings": pg_settings,
        "redis": redis_info.get("redis_version"),
        "apache_superset": importlib.metadata.version("apache-superset"),
        "flask_appbuilder": importlib.metadata.version("flask-appbuilder"),
        "supertenant_commit": _git("rev-parse", "--short", "HEAD"),
        # Other sessions edit this tree while benchmarks run: say exactly what was measured.
        "supertenant_changed_files": _git("status", "--porcelain").splitlines(),
        "loadavg_start": os.getloadavg(),
        "other_processes_start": other_processes(),
    }


# --- main ----------------------------------------------------------------------------------------


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200, help="how many tenants to apply (default 200)")
    parser.add_argument("--days", type=int, default=14, help="days of sample data per tenant (default 14)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, as in tests)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON")
    parser.add_argument("--keep-workdir", action="store_true", help="keep logs and the DuckDB file")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="keep the Postgres metadata database (to profile against afterwards; drop it by hand)",
    )
    parser.add_argument(
        "--incremental-warehouse",
        action="store_true",
        help="write tenant i's schema just before applying it (as onboarding over time would), "
        "instead of all N schemas first",
    )
    parser.add_argument(
        "--warehouse-per-tenant",
        action="store_true",
        help="one DuckDB file per tenant (its schema plus its own ads_raw rows) instead of one "
        "file with every tenant's schema",
    )
    parser.add_argument(
        "--guard-overhead",
        action="store_true",
        help="also run guard_overhead.py's measurement before tenant 3 and after tenant N",
    )
    parser.add_argument("--guard-rounds", type=int, default=40, help="rounds per guard measurement")
    parser.add_argument(
        "--guard-output",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "guard_overhead.json",
        help="where the guard measurement goes",
    )
    variants = parser.add_argument_group("variants (A/B against the default: the repository as it is)")
    variants.add_argument(
        "--legacy-permission-index",
        action="store_true",
        help="the engine's PermissionIndex as before issue #3 (lists every PVM per apply)",
    )
    variants.add_argument(
        "--no-jit", action="store_true", help="ALTER DATABASE … SET jit = off on the benchmark database"
    )
    variants.add_argument(
        "--scoped-schema-permissions",
        action="store_true",
        help="wire superset_ext/schema_permissions.py in (benchmarks/superset_config_scoped.py)",
    )
    args = parser.parse_args(argv)
    if args.tenants < 1:
        parser.error("--tenants must be at least 1")
    return args


def run(
    stack: contextlib.ExitStack,
    args: argparse.Namespace,
    workdir: Path,
    timings: dict[str, Any],
    on_progress: Callable[[list[TenantResult]], None],
) -> list[TenantResult]:
    server = start_superset(stack, workdir, args, timings)
    timings["metadata_0_tenants"] = metadata_counts(server.metadata_db_url)
    if args.warehouse_per_tenant:  # one file per tenant, as BigQuery has one dataset per tenant
        specs = [tenant_spec(i, workdir / f"warehouse_{i:04d}.duckdb") for i in range(1, args.tenants + 1)]
    else:
        specs = [tenant_spec(i, workdir / "warehouse.duckdb") for i in range(1, args.tenants + 1)]
    guards: list[dict[str, Any]] = []

    def guard_snapshot(label: str, tenants: int) -> None:
        import guard_overhead  # benchmarks/ is on sys.path: this script's directory

        viewer = next(u.email for u in specs[0].users if u.role == "viewer")
        guards.append(
            guard_overhead.snapshot(
                label=label,
                tenants=tenants,
                server_url=server.url,
                env=server.env,
                workdir=workdir,
                port=free_port(),
                workers=args.workers,
                username=viewer,
                password=os.environ[VIEWER_PASSWORD_ENV],
                rounds=args.guard_rounds,
            )
        )
        report = guard_overhead.report(guards, machine_info())
        timings["guard_overhead"] = report["summary"]
        guard_overhead.write(args.guard_output, report)

    if args.incremental_warehouse:
        timings["warehouse_seconds"] = 0.0
    else:
        timings["warehouse_seconds"] = round(write_warehouse(specs, args.days), 2)
        print(f"warehouse: {args.tenants} schemas in {timings['warehouse_seconds']} s", file=sys.stderr)

    def before_each(index: int, spec: TenantSpec) -> None:
        if args.guard_overhead and index == 3:  # two tenants provisioned: the baseline
            guard_snapshot("2 tenants", 2)
        if args.incremental_warehouse:
            seconds = write_tenant_sample(spec, index, args.days)
            timings["warehouse_seconds"] = round(timings["warehouse_seconds"] + seconds, 2)

    results = apply_tenants(
        server,
        specs,
        workdir,
        legacy_index=args.legacy_permission_index,
        on_progress=on_progress,
        before_each=before_each,
    )
    if args.guard_overhead:
        guard_snapshot(f"{len(specs)} tenants", len(specs))
    timings["reapply"] = reapply_sample(server, specs, workdir)
    timings["metadata_n_tenants"] = metadata_counts(server.metadata_db_url)
    timings["full_pvm_listing_n_tenants"] = full_pvm_listing(server)
    print("timing `superset init` with all tenants…", file=sys.stderr)
    try:
        timings["init_seconds_n_tenants"] = round(timed_superset(["init"], server.env, server.log), 2)
    except ConfigError as exc:  # e.g. the source tree changed under a long run: keep the results
        timings["init_seconds_n_tenants"] = None
        timings["init_error"] = str(exc)[-1500:]
    return results


def build_report(
    args: argparse.Namespace,
    results: list[TenantResult],
    timings: dict[str, Any],
    info: dict[str, Any],
    *,
    complete: bool,
) -> dict[str, Any]:
    return {
        "benchmark": "apply_tenants",
        "complete": complete,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {
            "tenants": args.tenants,
            "days": args.days,
            "warehouse": "incremental" if args.incremental_warehouse else f"all {args.tenants} schemas first",
            "warehouse_files": "one per tenant" if args.warehouse_per_tenant else "one shared",
            "gunicorn_workers": args.workers,
            "users_per_tenant": 3,
            "templates": ["google_ads_overview@1", "getting_started@1"],
            "client_per_tenant": True,
            "legacy_permission_index": args.legacy_permission_index,
            # superset_ext/config.py turns JIT off per session for a Postgres metadata DB.
            "postgres_jit": "off (ALTER DATABASE and config)" if args.no_jit else "off (config)",
            "scoped_schema_permissions": args.scoped_schema_permissions,
        },
        "summary": summarise(results, timings),
        "timings": timings,
        "machine": info,
        "caveat": (
            "2-core machine shared with other work (e.g. integration tests started by another "
            "process); see machine.other_processes_* and loadavg. Single-tenant times are noisy; "
            "the window ratio (median of 11 tenants around each end) is the steadier figure."
        ),
        "growth": growth_table(results),
        "endpoints_first_vs_last_10": endpoint_growth(results),
        "per_tenant": [r.__dict__ for r in results],
    }


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging("WARNING")  # the engine logs every change at INFO: 40 lines per tenant
    # Explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps it so.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGHUP) is not signal.SIG_IGN:  # started under nohup: stay immune
        signal.signal(signal.SIGHUP, _terminate)
    os.environ.setdefault(VIEWER_PASSWORD_ENV, secrets.token_urlsafe(18))
    workdir = Path(tempfile.mkdtemp(prefix="supertenant-bench-"))
    partial = args.output.with_suffix(".partial.json")
    info = machine_info()
    timings: dict[str, Any] = {}

    def progress(done: list[TenantResult]) -> None:
        write_json(partial, build_report(args, done, timings, info, complete=False))

    failed = True
    try:
        with contextlib.ExitStack() as stack:
            try:
                results = run(stack, args, workdir, timings, progress)
                info["loadavg_end"] = os.getloadavg()
                info["other_processes_end"] = other_processes()
            finally:
                # Unwinding `stack` stops Superset and drops the database: a second Ctrl-C must not
                # cut that short.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
        failed = False
    except KeyboardInterrupt as stop:
        reason = stop.args[0] if stop.args else "SIGINT"
        print(f"\ninterrupted by {reason}; cleaned up (logs kept in {workdir})", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if failed:
            for path in workdir.glob("warehouse*.duckdb"):
                path.unlink(missing_ok=True)
            print(f"logs: {workdir}/superset.log, {workdir}/web.log", file=sys.stderr)
            if partial.exists():
                print(f"results so far: {partial}", file=sys.stderr)
        elif not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    report = build_report(args, results, timings, info, complete=True)
    write_json(args.output, report)
    partial.unlink(missing_ok=True)
    print_summary(report, args.output)
    return 0


def print_summary(report: dict[str, Any], output: Path) -> None:
    s, t = report["summary"], report["timings"]
    n = s["tenants"]
    early = min(RATIO_EARLY_TENANT, n)
    print(f"\n== apply_tenants: {n} tenants ==")
    print(f"p50 {s['p50_seconds']:.2f} s   p95 {s['p95_seconds']:.2f} s   mean {s['mean_seconds']:.2f} s")
    print(
        f"tenant #{early} {s[f'tenant_{early}_seconds']:.2f} s / {s[f'tenant_{early}_requests']} requests   "
        f"tenant #{n} {s[f'tenant_{n}_seconds']:.2f} s / {s[f'tenant_{n}_requests']} requests"
    )
    print(
        f"ratio #{n}/#{early}: {s[f'ratio_tenant_{n}_vs_{early}']:.2f}   "
        f"(window medians: {s[f'window_ratio_tenant_{n}_vs_{early}']:.2f})"
    )
    print(
        f"superset init: {t['init_seconds_0_tenants']} s with 0 tenants, "
        f"{t['init_seconds_n_tenants']} s with {n} (app start-up alone {t['app_startup_seconds']} s)"
        + (f"; init failed: {t['init_error'][-200:]}" if "init_error" in t else "")
    )
    meta = t["metadata_n_tenants"]
    print(
        f"metadata with {n} tenants: {meta['pvms']} PVMs ({meta['pvms_schema_access']} schema_access), "
        f"{meta['charts']} charts; one full PVM listing: {t['full_pvm_listing_n_tenants']}"
    )
    for row in report["growth"]:
        print(
            f"  tenants {row['tenants']:>9}: median {row['median_seconds']:6.2f} s, "
            f"{row['median_requests']:6.0f} requests, roles step {row['median_roles_step_seconds']:5.2f} s"
        )
    for name, ok in s["targets"].items():
        print(f"target {name}: {'met' if ok else 'MISSED'}")
    print(
        f"other processes at start/end: {len(report['machine']['other_processes_start'])}/"
        f"{len(report['machine']['other_processes_end'])}; loadavg end {report['machine']['loadavg_end']}"
    )
    print(f"written to {output}")


if __name__ == "__main__":
    sys.exit(main())
