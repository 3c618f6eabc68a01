"""Benchmark (issue #6): what metering adds to chart-data latency. Target: ≤ 2 % (medians).

One real Superset (Postgres + Redis, two demo tenants provisioned by the engine) served by two
gunicorns over the same metadata DB and Redis: the shipped config ("on": usage events, budget
check, SQL audit log, Prometheus metrics) and ``metering_superset_config_off.py`` ("off"). The
same tenant viewer sends each request to both servers back to back (a pair, in random order), after
warm-up rounds; the overhead is the median of the paired differences over the off median, so that
load from other jobs on this shared 2-core machine falls on both sides of a pair alike. ``--control``
runs the same with metering off on both servers (an A/A run): how far apart two equal servers measure.

- ``chart_data``: ``POST /api/v1/chart/data`` answered from the data cache (a dashboard reload);
- ``chart_data_forced``: the same with ``force: true`` (runs the DuckDB query every time, so the
  SQL audit line and the statement capture are on the path too).

It also times `Recorder.record` alone (the spool append every usage request pays).

    nice -n 10 .venv/bin/python benchmarks/metering_overhead.py --rounds 300 [--control]

Results: ``benchmarks/results/metering_overhead.json`` (``metering_overhead_control.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2
import redis
import sqlalchemy as sa

from supertenant.metering.events import UsageEvent
from supertenant.metering.recorder import Recorder
from supertenant.provision.engine import Provisioner
from supertenant.registry.tables import metadata, usage_events
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import load_specs
from supertenant.spec.models import DuckDBWarehouse
from supertenant.superset_api.client import SupersetClient
from supertenant.warehouse.local import write_sample

HERE = Path(__file__).resolve().parent
OFF_CONFIG = HERE / "metering_superset_config_off.py"
OUTPUT = HERE / "results" / "metering_overhead.json"
CONTROL_OUTPUT = HERE / "results" / "metering_overhead_control.json"
DEMO_TENANTS = HERE.parent / "src" / "supertenant" / "demo" / "tenants"
PG_DSN = os.environ.get("SUPERTENANT_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("SUPERTENANT_BENCH_REDIS", "redis://127.0.0.1:6379/11")
TARGET = 1.02
WARMUP = 10
KINDS = ("chart_data", "chart_data_forced")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def body(dataset_id: int, *, force: bool) -> dict[str, Any]:
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{"columns": ["account_id"], "metrics": ["cost"], "filters": [], "row_limit": 100}],
        "result_format": "json",
        "result_type": "full",
        "force": force,
    }


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
        "n": len(ordered),
    }


def spool_append_cost(workdir: Path, n: int = 20000) -> dict[str, float]:
    """Microseconds per `Recorder.record` (JSON line + write + flush to the page cache)."""
    engine = sa.create_engine("sqlite://")  # flushed to only at exit, after the timing
    metadata.create_all(engine, tables=[usage_events])
    rec = Recorder(workdir / "bench-spool", lambda: engine, flush_seconds=3600)
    event = UsageEvent(kind="chart_data", tenant="sakura-shoes", user_id=1, username="u@x", duration_ms=12)
    rec.record(event)
    started = time.perf_counter()
    for _ in range(n):
        rec.record(event)
    return {"us_per_event": round((time.perf_counter() - started) / n * 1e6, 2), "n": n}


def hook_cost(workdir: Path, n: int = 3000) -> dict[str, float]:
    """Microseconds the usage hooks and metrics add to one chart-data request, in process.

    A bare Flask app answers a chart-data request with and without `UsageHooks` (a real spool
    recorder, a cached budget decision, real multiprocess metrics); the view parses the JSON body
    as Superset's does, so the hooks' body parse is not counted twice.
    """
    from dataclasses import dataclass
    from decimal import Decimal

    from flask import Flask, g, jsonify, request

    from supertenant.metering.pricebook import parse_pricebook
    from supertenant.metering.rating import BudgetDecision
    from supertenant.superset_ext.context import EXTENSION_KEY
    from supertenant.superset_ext.metrics import Metrics, multiprocess_dir
    from supertenant.superset_ext.usage import UsageHooks, add_observer

    @dataclass(frozen=True)
    class Tenant:
        slug: str

    class Directory:
        def tenant_of_user(self, user_id: int | None) -> Tenant:
            return Tenant("sakura-shoes")

    class User:
        id = 1
        username = "viewer@sakura-shoes.example"
        is_authenticated = True

    class Budget:
        book = parse_pricebook("plans: {}")

        def decision(self, tenant: str) -> BudgetDecision:
            return BudgetDecision(True, Decimal(1), Decimal(25))

    multiprocess_dir(workdir)
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine, tables=[usage_events])

    def client(with_hooks: bool) -> Any:
        app = Flask(__name__)
        app.extensions[EXTENSION_KEY] = Directory()
        app.before_request(lambda: setattr(g, "user", User()))
        if with_hooks:
            hooks = UsageHooks(Recorder(workdir / "hook-spool", lambda: engine, 3600), Budget())  # type: ignore[arg-type]
            app.before_request(hooks.before)
            app.after_request(hooks.after)
            app.teardown_request(hooks.teardown)
            add_observer(app, Metrics().observe)

        @app.post("/api/v1/chart/data")
        def chart_data() -> Any:
            request.get_json(cache=True)  # Superset parses the body too
            return jsonify({"result": [{"data": list(range(100))}]})

        return app.test_client()

    payload = {
        "datasource": {"id": 1, "type": "table"},
        "queries": [{"columns": ["a"]}],
        "form_data": {"slice_id": 3},
    }
    result: dict[str, float] = {}
    for name, with_hooks in (("without_us", False), ("with_us", True)):
        test_client = client(with_hooks)
        for _ in range(200):
            test_client.post("/api/v1/chart/data", json=payload)
        took = []
        for _ in range(n):
            started = time.perf_counter()
            test_client.post("/api/v1/chart/data", json=payload)
            took.append(time.perf_counter() - started)
        result[name] = round(statistics.median(took) * 1e6, 1)
    result["added_us"] = round(result["with_us"] - result["without_us"], 1)
    return result


def measure(on: SupersetClient, off: SupersetClient, rounds: int, seed: int = 0) -> dict[str, Any]:
    rng = random.Random(seed)  # noqa: S311 (request order, not a secret)
    dataset_id = next(
        int(d["id"]) for d in on.iter_list("dataset") if d["table_name"] == "ads_campaign_daily"
    )
    clients = {"on": on, "off": off}
    samples: dict[tuple[str, str], list[float]] = {(k, s): [] for k in KINDS for s in clients}
    diffs: dict[str, list[float]] = {k: [] for k in KINDS}
    for index in range(WARMUP + rounds):
        kinds = list(KINDS)
        rng.shuffle(kinds)
        for kind in kinds:
            # a pair: the same request to both servers back to back, in random order, so that load
            # drifts on this shared machine hit both sides of the pair alike
            sides = list(clients)
            rng.shuffle(sides)
            took: dict[str, float] = {}
            for side in sides:
                payload = body(dataset_id, force=kind == "chart_data_forced")
                started = time.perf_counter()
                response = clients[side].request("POST", "/api/v1/chart/data", json=payload)
                took[side] = time.perf_counter() - started
                assert response.status_code == 200, response.text[:200]
            if index >= WARMUP:
                for side, elapsed in took.items():
                    samples[(kind, side)].append(elapsed)
                diffs[kind].append(took["on"] - took["off"])
    result: dict[str, Any] = {}
    for kind in KINDS:
        on_s, off_s = summary(samples[(kind, "on")]), summary(samples[(kind, "off")])
        ratio = on_s["median_ms"] / off_s["median_ms"]
        paired = statistics.median(diffs[kind]) * 1000
        result[kind] = {
            "on": on_s,
            "off": off_s,
            "ratio_on_vs_off": round(ratio, 4),
            "overhead_pct": round((ratio - 1) * 100, 2),
            "added_ms": round(on_s["median_ms"] - off_s["median_ms"], 3),
            "paired_median_added_ms": round(paired, 3),
            "paired_overhead_pct": round(paired / off_s["median_ms"] * 100, 2),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument(
        "--control",
        action="store_true",
        help="A/A run: both servers without metering, to see how far apart two equal servers measure",
    )
    parser.add_argument(
        "--off",
        default="usage,metrics,query_logger",
        help="what the comparison server switches off (to attribute the cost to one part)",
    )
    parser.add_argument(
        "--hooks-only",
        action="store_true",
        help="only the in-process hook cost, merged into an existing results file",
    )
    args = parser.parse_args()
    if args.hooks_only:
        cost = hook_cost(Path(tempfile.mkdtemp(prefix="metering-hooks-")))
        merged = json.loads(args.output.read_text()) if args.output.exists() else {}
        merged["hooks_in_process"] = cost
        args.output.write_text(json.dumps(merged, indent=2) + "\n")
        print(f"hooks in process: +{cost['added_us']} µs per chart-data request", file=sys.stderr)
        return 0
    if args.control and args.output == OUTPUT:
        args.output = CONTROL_OUTPUT

    workdir = Path(tempfile.mkdtemp(prefix="metering-bench-"))
    db_name = f"supertenant_bench_{uuid.uuid4().hex[:8]}"
    admin_db = psycopg2.connect(f"{PG_DSN}/postgres")
    admin_db.autocommit = True
    with admin_db.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{db_name}"')
    db_url = f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{db_name}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    password = secrets.token_urlsafe(16)
    env = runtime.superset_env(
        {
            "SUPERTENANT_ENV": "dev",
            "SUPERTENANT_DATA_DIR": str(workdir),
            "SUPERTENANT_METADATA_DB_URL": db_url,
            "SUPERTENANT_REDIS_URL": REDIS_URL,
            "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
            "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
            "SUPERTENANT_RATE_LIMITS": "false",
        }
    )
    processes = []
    try:
        runtime.initialise(env, db_url, runtime.Admin("admin", password), workdir / "superset.log")
        on_port, off_port = free_port(), free_port()
        on_env = (
            env | {"SUPERSET_CONFIG_PATH": str(OFF_CONFIG), "SUPERTENANT_BENCH_OFF": args.off}
            if args.control
            else env
        )
        on_proc = runtime.start_web(on_env, "127.0.0.1", on_port, workdir / "web_on.log", args.workers)
        processes.append(on_proc)
        off_env = env | {"SUPERSET_CONFIG_PATH": str(OFF_CONFIG), "SUPERTENANT_BENCH_OFF": args.off}
        off_proc = runtime.start_web(off_env, "127.0.0.1", off_port, workdir / "web_off.log", args.workers)
        processes.append(off_proc)
        on_url, off_url = f"http://127.0.0.1:{on_port}", f"http://127.0.0.1:{off_port}"
        runtime.wait_until_healthy(on_url, on_proc)
        runtime.wait_until_healthy(off_url, off_proc)
        specs = {s.slug: s for s in load_specs(DEMO_TENANTS)}
        passwords = {u.password_env: secrets.token_urlsafe(12) for s in specs.values() for u in s.users}
        with SupersetClient(on_url, "admin", password) as admin:
            for spec in specs.values():
                assert isinstance(spec.warehouse, DuckDBWarehouse)
                write_sample(
                    workdir / spec.warehouse.path,
                    schema=spec.warehouse.schema_name,
                    accounts=spec.warehouse.account_ids,
                    flavour="ja" if spec.locale == "ja" else "en",
                )
                Provisioner(admin, password_lookup=passwords.get).apply(spec, workdir)
        viewer = next(u for u in specs["sakura-shoes"].users if u.role == "viewer")
        viewer_password = passwords[viewer.password_env or ""]
        with (
            SupersetClient(on_url, viewer.email, viewer_password) as on,
            SupersetClient(off_url, viewer.email, viewer_password) as off,
        ):
            requests = measure(on, off, args.rounds)
        result = {
            "benchmark": "metering_overhead",
            "control_a_a": args.control,
            "off": args.off,
            "target": f"on ≤ {TARGET} × off (median chart-data latency)",
            "rounds": args.rounds,
            "workers": args.workers,
            "requests": requests,
            "spool_append": spool_append_cost(workdir),
            "hooks_in_process": hook_cost(workdir),
            "met": {k: v["paired_overhead_pct"] <= (TARGET - 1) * 100 for k, v in requests.items()},
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()},
        }
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(result, indent=2) + "\n")
        for kind, stats in requests.items():
            print(
                f"{kind:18s} on {stats['on']['median_ms']:8.2f} ms  off {stats['off']['median_ms']:8.2f} ms"
                f"  overhead {stats['overhead_pct']:6.2f} %  paired {stats['paired_median_added_ms']:6.2f} ms"
                f" ({stats['paired_overhead_pct']:5.2f} %)",
                file=sys.stderr,
            )
        print(f"spool append: {result['spool_append']['us_per_event']} µs per event", file=sys.stderr)
        return 0
    finally:
        for process in processes:
            runtime.stop(process)
        with admin_db.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (db_name,)
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
        admin_db.close()
        redis.Redis.from_url(REDIS_URL).flushdb()


if __name__ == "__main__":
    sys.exit(main())
