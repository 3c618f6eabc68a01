"""Benchmark (issue #5): intent → saved chart through the chat service, on a real local stack.

Starts its own Superset 6.1 on this machine's Postgres (a fresh database ``supertenant_chatbench_<random>``,
dropped at the end) and Redis (DB 11, flushed before and after), onboards the two demo tenants with
the real provisioning engine, starts the chat service (uvicorn, as `make demo` does), signs in one
editor per tenant through Superset's login form, and then sends intents (Japanese for sakura-shoes,
English for northwind-outdoor) ``--rounds`` times each. Every request is timed from the POST to the
answer carrying the saved chart's id, directly to the service and through Superset's same-origin
proxy. The first request per tenant (reading its datasets and values from Superset) is reported
apart as the cold cost. Target: p95 ≤ 1 s. Writes ``benchmarks/results/chat_service.json``.

    .venv/bin/python benchmarks/chat_service.py --rounds 5
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg2
import redis

from supertenant.provision.engine import Provisioner
from supertenant.runtime import chat as chat_runtime
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import load_specs
from supertenant.spec.models import DuckDBWarehouse
from supertenant.superset_api import SupersetClient
from supertenant.superset_api.form_login import sign_in_with_form
from supertenant.warehouse.local import write_sample

RESULTS = Path(__file__).parent / "results" / "chat_service.json"
DEMO_TENANTS = Path(__file__).resolve().parents[1] / "src" / "supertenant" / "demo" / "tenants"
PG_DSN = os.environ.get("SUPERTENANT_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("SUPERTENANT_BENCH_REDIS", "redis://127.0.0.1:6379/11")
TARGET_P95_MS = 1000.0
HOSTS = {"sakura-shoes": "sakura.localhost", "northwind-outdoor": "northwind.localhost"}
INTENTS = {
    "sakura-shoes": [
        "先月のキャンペーン別費用トップ10",
        "過去30日のデバイス別クリック数の推移",
        "今年のデバイス別クリックの構成比",
        "先月の費用",
        "キャンペーン別のコンバージョン数トップ5",
        "月別のコンバージョン推移",
    ],
    "northwind-outdoor": [
        "total cost last month",
        "weekly clicks by device for the last 90 days",
        "top 5 campaigns by conversions this year",
        "device split of clicks this year",
        "keywords with cpa, cost and conversions",
        "monthly roas by campaign type",
    ],
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50": round(statistics.median(samples), 1),
        "p95": round(percentile(samples, 0.95), 1),
        "p99": round(percentile(samples, 0.99), 1),
        "max": round(max(samples), 1),
        "mean": round(statistics.fmean(samples), 1),
    }


def database(stack: contextlib.ExitStack) -> str:
    name = f"supertenant_chatbench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(f"{PG_DSN}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()

    stack.callback(drop)
    return f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{name}"


def sign_in(base: str, host: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, headers={"Host": host}, timeout=120)
    sign_in_with_form(client, username, password)
    return client


def page_csrf(client: httpx.Client) -> str:
    page = client.get("/supertenant/chat/")
    found = re.search(r'"csrf": "([^"]+)"', page.text)
    assert found, f"chat page without a CSRF token ({page.status_code})"
    return found.group(1)


def via_service(chat_url: str, cookie: dict[str, str], text: str) -> httpx.Response:
    return httpx.post(f"{chat_url}/v1/chat", json={"text": text}, cookies=cookie, timeout=120)


def via_proxy(browser: httpx.Client, csrf: str, text: str) -> httpx.Response:
    return browser.post("/supertenant/chat/api/chat", json={"text": text}, headers={"X-CSRFToken": csrf})


def timed(call: Any, *args: Any) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = call(*args)
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    if response.status_code != 200 or body.get("kind") != "chart":
        raise SystemExit(f"no chart: {response.status_code} {body}")
    return elapsed, body


def show_logs(root: Path) -> None:
    """On a failed run, the tails of the service's and Superset's logs (the directory is removed)."""
    for name in ("chat.log", "web.log"):
        path = root / name
        if path.exists():
            print(f"--- {name}", *path.read_text(errors="replace").splitlines()[-25:], sep="\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="Times each intent is sent (per path)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chatbench-")))
        cache = redis.Redis.from_url(REDIS_URL)
        cache.flushdb()
        stack.callback(cache.flushdb)
        metadata_url = database(stack)
        chat_port = free_port()
        chat_url = f"http://127.0.0.1:{chat_port}"
        env = runtime.superset_env(
            {
                "SUPERTENANT_ENV": "dev",
                "SUPERTENANT_DATA_DIR": str(root),
                "SUPERTENANT_METADATA_DB_URL": metadata_url,
                "SUPERTENANT_REDIS_URL": REDIS_URL,
                "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
                "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
                "SUPERTENANT_CHAT_SERVICE_URL": chat_url,
            }
        )
        admin_password = secrets.token_urlsafe(16)
        print("initialising Superset …", flush=True)
        runtime.initialise(env, metadata_url, runtime.Admin("admin", admin_password), root / "superset.log")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        process = runtime.start_web(env, "127.0.0.1", port, root / "web.log")
        stack.callback(runtime.stop, process)
        runtime.wait_until_healthy(base, process)
        chat = chat_runtime.start(chat_runtime.chat_env(env, base), "127.0.0.1", chat_port, root / "chat.log")
        stack.callback(chat_runtime.stop, chat)

        specs = {s.slug: s for s in load_specs(DEMO_TENANTS)}
        passwords = {
            u.password_env: secrets.token_urlsafe(12)
            for s in specs.values()
            for u in s.users
            if u.password_env
        }
        print("onboarding the demo tenants …", flush=True)
        with SupersetClient(base, "admin", admin_password) as client:
            provisioner = Provisioner(client, password_lookup=passwords.get)
            for spec in specs.values():
                warehouse = spec.warehouse
                assert isinstance(warehouse, DuckDBWarehouse)
                flavour = "ja" if spec.locale == "ja" else "en"
                write_sample(
                    root / warehouse.path,
                    schema=warehouse.schema_name,
                    accounts=warehouse.account_ids,
                    flavour=flavour,
                )
                provisioner.apply(spec, root)
        chat_runtime.wait_until_healthy(chat_url, chat)

        stack.push(lambda kind, *_: show_logs(root) if kind is not None else None)
        cold: dict[str, float] = {}
        direct: list[float] = []
        proxied: list[float] = []
        by_tenant: dict[str, list[float]] = {}
        charts = 0
        for slug, intents in INTENTS.items():
            editor = next(u for u in specs[slug].users if u.role == "editor")
            assert editor.password_env
            browser = sign_in(base, HOSTS[slug], editor.email, passwords[editor.password_env])
            stack.callback(browser.close)
            cookie = {"session": browser.cookies["session"]}
            csrf = page_csrf(browser)
            cold[slug], _ = timed(via_service, chat_url, cookie, intents[0])
            charts += 1
            for _ in range(args.rounds):
                for text in intents:
                    ms, _ = timed(via_service, chat_url, cookie, text)
                    direct.append(ms)
                    by_tenant.setdefault(slug, []).append(ms)
                    ms, _ = timed(via_proxy, browser, csrf, text)
                    proxied.append(ms)
                    charts += 2
        metrics_text = httpx.get(f"{chat_url}/metrics", timeout=30).text

    p95 = percentile(direct + proxied, 0.95)
    result = {
        "benchmark": "chat_service",
        "rounds": args.rounds,
        "intents_per_tenant": {slug: len(texts) for slug, texts in INTENTS.items()},
        "charts_saved": charts,
        "ms": {
            "direct_to_service": summary(direct),
            "through_superset_proxy": summary(proxied),
            "by_tenant_direct": {slug: summary(values) for slug, values in by_tenant.items()},
            "cold_first_request_per_tenant": {slug: round(ms, 1) for slug, ms in cold.items()},
        },
        "target_p95_ms": TARGET_P95_MS,
        "p95_ms_all_paths": round(p95, 1),
        "meets_target": p95 <= TARGET_P95_MS,
        "metrics_sample": [
            line for line in metrics_text.splitlines() if line.startswith("supertenant_chat_requests_total")
        ],
        "stack": "Superset 6.1 (gunicorn 2x4 threads), Postgres, Redis; chat service (uvicorn, 1 process)",
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
