"""How `superset init` grows with the number of permission-view-menus (PVMs), everything else fixed.

Starts from an initialised, empty Superset on a fresh Postgres database (dropped at the end),
adds K synthetic ``schema_access`` PVMs named like the ones a shared warehouse produces
(``[bench-0001].[warehouse.bench_0002]``: tenants × schemas of them), and times
``superset init`` for each K. The app's own start-up (``superset version``) is timed too.
With ``--profile`` the largest K is also run under cProfile and its top functions are kept.

    .venv/bin/python benchmarks/superset_init.py --pvms 0,10000,40000

``--tenant-databases T`` instead models an install upgraded from before the schema-permission
fix: T tenant database rows (named and UUID'd as the engine makes them) and the T × T
``schema_access`` PVMs Superset used to mint for them. It times ``superset init`` three times:
the first run purges those PVMs (``SupertenantSecurityManager.sync_role_definitions``), the
next ones start from what a fixed install holds.

    .venv/bin/python benchmarks/superset_init.py --tenant-databases 200
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pstats
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apply_tenants as bench  # the sibling script (run as a script, benchmarks/ is on sys.path)
import psycopg2

from supertenant.runtime import superset as runtime

DEFAULT_OUTPUT = bench.ROOT / "benchmarks" / "results" / "superset_init.json"


def add_schema_pvms(dsn: str, total: int) -> None:
    """Grow the synthetic ``schema_access`` PVMs to ``total`` (tenant databases × schemas)."""
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ab_permission (id, name) SELECT nextval('ab_permission_id_seq'), 'schema_access' "
            "WHERE NOT EXISTS (SELECT 1 FROM ab_permission WHERE name = 'schema_access')"
        )
        cursor.execute("SELECT id FROM ab_permission WHERE name = 'schema_access'")
        row = cursor.fetchone()
        assert row is not None
        cursor.execute("SELECT count(*) FROM ab_view_menu WHERE name LIKE '[synthetic-%'")
        have = int((cursor.fetchone() or [0])[0])
        cursor.execute(
            "INSERT INTO ab_view_menu (id, name) SELECT nextval('ab_view_menu_id_seq'), "
            "format('[synthetic-%%s].[warehouse.bench_%%s]', n / 200, n %% 200) "
            "FROM generate_series(%s, %s - 1) AS n",
            (have, total),
        )
        cursor.execute(
            "INSERT INTO ab_permission_view (id, permission_id, view_menu_id) "
            "SELECT nextval('ab_permission_view_id_seq'), %s, v.id FROM ab_view_menu v "
            "WHERE v.name LIKE '[synthetic-%%' AND NOT EXISTS "
            "(SELECT 1 FROM ab_permission_view pv WHERE pv.view_menu_id = v.id)",
            (row[0],),
        )
        con.commit()


def add_legacy_tenant_databases(dsn: str, tenants: int) -> None:
    """T tenant databases, each with a ``schema_access`` PVM per tenant schema (T × T) and three
    roles holding Gamma's permissions."""
    from supertenant.templates.uuids import object_uuid

    slugs = [f"legacy-{i:04d}" for i in range(1, tenants + 1)]
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cursor:
        for slug in slugs:
            cursor.execute(
                "INSERT INTO dbs (database_name, sqlalchemy_uri, uuid) VALUES (%s, %s, %s)",
                (slug, "duckdb:////nonexistent/warehouse.duckdb", str(object_uuid(slug, "database"))),
            )
        cursor.execute(
            "INSERT INTO ab_permission (id, name) SELECT nextval('ab_permission_id_seq'), 'schema_access' "
            "WHERE NOT EXISTS (SELECT 1 FROM ab_permission WHERE name = 'schema_access')"
        )
        cursor.execute(
            "INSERT INTO ab_view_menu (id, name) SELECT nextval('ab_view_menu_id_seq'), "
            "format('[%%s].[warehouse.%%s]', d, replace(s, '-', '_')) "
            "FROM unnest(%s::text[]) AS d, unnest(%s::text[]) AS s",
            (slugs, slugs),
        )
        cursor.execute(
            "INSERT INTO ab_permission_view (id, permission_id, view_menu_id) "
            "SELECT nextval('ab_permission_view_id_seq'), p.id, v.id FROM ab_view_menu v, ab_permission p "
            "WHERE p.name = 'schema_access' AND v.name LIKE '[legacy-%%'"
        )
        # Three roles per tenant holding Gamma's permissions, as tenant roles hold ~90 each.
        cursor.execute(
            "INSERT INTO ab_role (id, name) SELECT nextval('ab_role_id_seq'), format('%%s_%%s', d, r) "
            "FROM unnest(%s::text[]) AS d, unnest(ARRAY['admin', 'editor', 'viewer']) AS r",
            (slugs,),
        )
        cursor.execute(
            "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) "
            "SELECT nextval('ab_permission_view_role_id_seq'), pvr.permission_view_id, r.id "
            "FROM ab_permission_view_role pvr JOIN ab_role g ON g.id = pvr.role_id AND g.name = 'Gamma', "
            "ab_role r WHERE r.name LIKE 'legacy-%%'"
        )
        con.commit()


def count_pvms(dsn: str) -> int:
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ab_permission_view")
        return int((cursor.fetchone() or [0])[0])


def profiled_init(env: dict[str, str], log: Path, top: int = 25) -> str:
    """`superset init` under cProfile, in a child process; the top functions by cumulative time."""
    out = log.parent / "init.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(out), str(runtime.BIN_DIR / "superset"), "init"]
    with log.open("ab") as sink:
        subprocess.run(command, env=env, stdout=sink, stderr=sink, check=True)
    text = io.StringIO()
    pstats.Stats(str(out), stream=text).sort_stats("cumulative").print_stats(top)
    return text.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--pvms", default="0,10000,40000", help="synthetic schema PVMs to time init at")
    parser.add_argument("--repeat", type=int, default=2, help="timings per point (default 2)")
    parser.add_argument("--profile", action="store_true", help="cProfile init at the largest point")
    parser.add_argument(
        "--tenant-databases",
        type=int,
        default=0,
        help="model an upgraded install: T tenant databases with T x T old schema PVMs (see above)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    points = sorted({int(p) for p in args.pvms.split(",")})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, bench._terminate)
    workdir = Path(tempfile.mkdtemp(prefix="supertenant-init-bench-"))
    info = bench.machine_info()
    report: dict[str, Any] = {"benchmark": "superset_init", "points": [], "machine": info}
    try:
        with contextlib.ExitStack() as stack:
            try:
                metadata_url = bench.create_database(stack, jit=True)
                redis_url = bench.flushed_redis(stack)
                env = runtime.superset_env(
                    {
                        "SUPERTENANT_ENV": "dev",
                        "SUPERTENANT_DATA_DIR": str(workdir),
                        "SUPERTENANT_METADATA_DB_URL": metadata_url,
                        "SUPERTENANT_REDIS_URL": redis_url,
                        "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
                        "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
                        "SUPERTENANT_LOG_LEVEL": "WARNING",
                    }
                )
                log = workdir / "superset.log"
                admin = runtime.Admin("admin", secrets.token_urlsafe(16))
                runtime.initialise(env, metadata_url, admin, log)
                dsn = metadata_url.replace("postgresql+psycopg2://", "postgresql://")
                report["app_startup_seconds"] = round(bench.timed_superset(["version"], env, log), 2)
                if args.tenant_databases:
                    add_legacy_tenant_databases(dsn, args.tenant_databases)
                    report["tenant_databases"] = args.tenant_databases
                    for run in ("purging", "after purge", "after purge"):
                        before = count_pvms(dsn)
                        seconds = round(bench.timed_superset(["init"], env, log), 2)
                        point = {"run": run, "pvms_before": before, "pvms_after": count_pvms(dsn)}
                        report["points"].append(point | {"init_seconds": seconds})
                        print(f"{point}: superset init {seconds} s", file=sys.stderr, flush=True)
                    points = []
                for extra in points:
                    add_schema_pvms(dsn, extra)
                    seconds = [round(bench.timed_superset(["init"], env, log), 2) for _ in range(args.repeat)]
                    point = {"synthetic_schema_pvms": extra, "pvms": count_pvms(dsn), "init_seconds": seconds}
                    report["points"].append(point)
                    print(f"{point['pvms']:7d} PVMs: superset init {seconds} s", file=sys.stderr, flush=True)
                if args.profile:
                    report["profile_at_largest"] = profiled_init(env, log)
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
    except KeyboardInterrupt:
        print(f"interrupted; cleaned up (logs in {workdir})", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    shutil.rmtree(workdir, ignore_errors=True)
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["loadavg_end"] = os.getloadavg()
    bench.write_json(args.output, report)
    print(json.dumps({k: v for k, v in report.items() if k in ("app_startup_seconds", "points")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
