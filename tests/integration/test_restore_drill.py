"""Restore drill: two tenants → backup → wipe the metadata DB → restore → nothing lost.

Runs its own Superset (own Postgres database, own Redis DB, own port) because it destroys and
rebuilds the metadata DB. The state is compared by UUID and name, never by id: ids change on a
restore, and whatever refers to them (role permissions, RLS rules, the registry) must follow.
Both recovery paths are drilled: the git backup into a freshly initialised Superset, and the
metadata DB dump (pg_restore) into an empty database.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import prison
import psycopg2
import pytest
import redis
import yaml

from supertenant.ops import layout
from supertenant.provision.engine import Provisioner
from supertenant.runtime import superset as runtime
from supertenant.spec.loader import load_specs
from supertenant.spec.models import DuckDBWarehouse
from supertenant.superset_api import SupersetClient
from supertenant.warehouse.local import write_sample

from .conftest import DEMO_TENANTS, PG_DSN, REDIS_BASE, free_port

pytestmark = pytest.mark.integration

REDIS_DB = 13  # the session server uses 9; this drill flushes its own
CLI = str(Path(sys.executable).parent / "supertenant")


class Drill:
    """One Superset whose metadata DB this test may drop and rebuild."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.name = f"supertenant_drill_{uuid.uuid4().hex[:10]}"
        self.db_url = f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{self.name}"
        self.redis_url = f"{REDIS_BASE}/{REDIS_DB}"
        self.admin_password = secrets.token_urlsafe(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = runtime.superset_env(
            {
                "SUPERTENANT_ENV": "dev",
                "SUPERTENANT_DATA_DIR": str(root),
                "SUPERTENANT_METADATA_DB_URL": self.db_url,
                "SUPERTENANT_REDIS_URL": self.redis_url,
                "SUPERTENANT_SECRET_KEY": secrets.token_urlsafe(40),
                "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": secrets.token_urlsafe(40),
                "SUPERTENANT_SUPERSET_URL": self.url,
                "SUPERTENANT_ADMIN_USERNAME": "admin",
                "SUPERTENANT_ADMIN_PASSWORD": self.admin_password,
            }
        )
        self.process: Any = None

    def _admin_sql(self, *statements: str) -> None:
        connection = psycopg2.connect(f"{PG_DSN}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.name,)
            )
            for statement in statements:
                cursor.execute(statement)
        connection.close()

    def create_empty(self) -> None:
        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.name}"', f'CREATE DATABASE "{self.name}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def initialise(self) -> None:
        runtime.initialise(
            self.env, self.db_url, runtime.Admin("admin", self.admin_password), self.root / "superset.log"
        )

    def shift_ids(self) -> None:
        """Move every id sequence far ahead, as on an instance with a different history."""
        connection = psycopg2.connect(f"{PG_DSN}/{self.name}")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT sequence_schema || '.' || sequence_name FROM information_schema.sequences")
            for (sequence,) in cursor.fetchall():
                cursor.execute("SELECT setval(%s, nextval(%s) + 1000)", (sequence, sequence))
        connection.close()

    def start(self) -> None:
        self.process = runtime.start_web(self.env, "127.0.0.1", self.port, self.root / "web.log")
        runtime.wait_until_healthy(self.url, self.process)

    def stop(self) -> None:
        if self.process is not None:
            runtime.stop(self.process)
            self.process = None

    def drop(self) -> None:
        self.stop()
        self._admin_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
        redis.Redis.from_url(self.redis_url).flushdb()

    def admin(self) -> SupersetClient:
        return SupersetClient(self.url, "admin", self.admin_password)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([CLI, *args], env=self.env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"supertenant {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture(scope="module")
def drill(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Drill]:
    drill = Drill(tmp_path_factory.mktemp("drill"))
    drill.create_empty()
    try:
        drill.initialise()
        drill.start()
        yield drill
    finally:
        drill.drop()


# -- the state, by UUID and name ------------------------------------------------------------------

_ID_VIEW = re.compile(r"\(id:(\d+)\)$")
_CHART_ID_KEYS = {"chartId", "slice_id", "chart_id"}
_DATASET_ID_KEYS = {"datasetId", "datasource_id"}


def _listing(client: SupersetClient, resource: str, columns: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    page = 0
    while True:
        q = {"page": page, "page_size": 100, "columns": columns}
        body = client.get(f"/api/v1/{resource}/", params={"q": prison.dumps(q)})
        rows += body["result"]
        if len(rows) >= body["count"]:
            return rows
        page += 1


def _unids(value: Any, charts: dict[int, str], datasets: dict[int, str], key: str = "") -> Any:
    """Replace chart and dataset ids inside exported JSON/YAML by their UUIDs."""
    if isinstance(value, dict) and key == "datasource" and isinstance(value.get("id"), int):
        return value | {"id": datasets.get(value["id"], f"?dataset {value['id']}")}
    if isinstance(value, dict):
        return {
            (charts.get(int(k), k) if isinstance(k, str) and k.isdigit() else k): _unids(
                v, charts, datasets, k
            )
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_unids(v, charts, datasets, key) for v in value]
    if isinstance(value, str) and key in ("json_metadata", "position_json", "params", "query_context"):
        try:
            return _unids(json.loads(value), charts, datasets, key)
        except ValueError:
            return value
    if isinstance(value, str) and (match := re.fullmatch(r"(\d+)__table", value)):
        return f"{datasets.get(int(match[1]), '?')}__table"
    if isinstance(value, int) and not isinstance(value, bool):
        if key in _CHART_ID_KEYS or key in ("chartsInScope", "immune", "excluded"):
            return charts.get(value, f"?chart {value}")
        if key in _DATASET_ID_KEYS:
            return datasets.get(value, f"?dataset {value}")
    return value


def state(client: SupersetClient) -> dict[str, Any]:
    users = {int(u["id"]): u for u in _listing(client, "security/users", [])}
    roles = {int(r["id"]): r["name"] for r in _listing(client, "security/roles", [])}
    databases = {int(d["id"]): str(d["uuid"]) for d in _listing(client, "database", ["id", "uuid"])}
    datasets = {int(d["id"]): str(d["uuid"]) for d in _listing(client, "dataset", ["id", "uuid"])}
    charts = {int(c["id"]): str(c["uuid"]) for c in _listing(client, "chart", ["id", "uuid"])}
    dashboards = {int(d["id"]): str(d["uuid"]) for d in _listing(client, "dashboard", ["id", "uuid"])}
    names = {i: u["username"] for i, u in users.items()}

    def owners(resource: str) -> dict[str, list[str]]:
        rows = _listing(client, resource, ["id", "uuid", "owners.id"])
        return {str(r["uuid"]): sorted(names[int(o["id"])] for o in r["owners"]) for r in rows}

    exported = layout.unzip_export(client.request("GET", "/api/v1/assets/export/").content)
    assets = {}
    for text in exported.values():
        loaded = yaml.safe_load(text)
        loaded.pop("version", None)
        metadata = loaded.get("metadata")
        if isinstance(metadata, dict) and metadata.get("native_filter_configuration") == []:
            del metadata["native_filter_configuration"]  # the dashboard importer adds this empty default
            if not metadata:
                del loaded["metadata"]
        params = loaded.get("params")
        if isinstance(params, dict) and params.get("annotation_layers") == []:
            del params["annotation_layers"]  # the chart importer adds this empty default
        assets[str(loaded["uuid"])] = _unids(loaded, charts, datasets)
    dataset_details = {}
    for dataset_id, dataset_uuid in datasets.items():
        detail = client.get(f"/api/v1/dataset/{dataset_id}")["result"]
        dataset_details[dataset_uuid] = {
            "managed": detail.get("is_managed_externally"),
            "database": databases[int(detail["database"]["id"])],
            "metrics": sorted((m["metric_name"], m["expression"]) for m in detail["metrics"]),
            "columns": sorted((c["column_name"], c.get("type")) for c in detail["columns"]),
        }

    def view(name: str) -> str:
        if match := _ID_VIEW.search(name):
            number = int(match[1])
            ref = datasets.get(number) if "].[" in name else databases.get(number)
            return name[: match.start()] + f"(uuid:{ref})"
        return name

    role_perms = {}
    for role_id, role_name in roles.items():
        rows = client.get(f"/api/v1/security/roles/{role_id}/permissions/")["result"]
        role_perms[role_name] = sorted((r["permission_name"], view(r["view_menu_name"])) for r in rows)
    rls = {}
    for row in _listing(client, "rowlevelsecurity", ["id"]):
        rule = client.get(f"/api/v1/rowlevelsecurity/{row['id']}")["result"]
        rls[rule["name"]] = {
            "clause": rule["clause"],
            "filter_type": rule["filter_type"],
            "group_key": rule.get("group_key") or "",
            "description": rule.get("description"),
            "tables": sorted(datasets[int(t["id"])] for t in rule["tables"]),
            "roles": sorted(roles[int(r["id"])] for r in rule["roles"]),
        }
    registry = {}
    for row in client.get("/api/v1/supertenant/tenants/")["result"]:
        members = client.get(f"/api/v1/supertenant/tenants/{row['slug']}/members")["result"]
        for key in ("created_at", "updated_at"):
            row.pop(key)
        row["superset_database_id"] = databases.get(row["superset_database_id"])
        row["role_ids"] = {k: roles[v] for k, v in row["role_ids"].items()}
        row["dashboard_ids"] = {k: dashboards[v] for k, v in row["dashboard_ids"].items()}
        row["home_dashboard_id"] = dashboards.get(row["home_dashboard_id"])
        row["members"] = sorted((names[m["user_id"]], m["username"], m["role"]) for m in members)
        registry[row["slug"]] = row
    return {
        "assets": assets,
        "datasets": dataset_details,
        "owners": {**owners("dataset"), **owners("chart"), **owners("dashboard")},
        "roles": role_perms,
        "rls": rls,
        "users": {
            u["username"]: (
                u["first_name"],
                u["last_name"],
                u["email"],
                u["active"],
                sorted(r["name"] for r in u["roles"]),
            )
            for u in users.values()
        },
        "registry": registry,
    }


def _differences(before: Any, after: Any, path: str = "") -> list[str]:
    """Where two values differ, as paths with both values (short enough to read)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [
            d
            for k in sorted(set(before) | set(after), key=str)
            for d in _differences(before.get(k, "<absent>"), after.get(k, "<absent>"), f"{path}.{k}")
        ]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [
            d
            for i, (b, a) in enumerate(zip(before, after, strict=True))
            for d in _differences(b, a, f"{path}[{i}]")
        ]
    return [] if before == after else [f"{path}: {str(before)[:200]} -> {str(after)[:200]}"]


def assert_same(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every part equal, key by key; all differences reported at once."""
    problems = []
    for part in before:
        ours, theirs = dict(before[part]), dict(after[part])
        if part == "users":  # the platform admin is re-created by `fab create-admin`, not restored
            ours.pop("admin"), theirs.pop("admin")
        if missing := sorted(set(ours) - set(theirs)):
            problems.append(f"{part}: lost {missing}")
        if extra := sorted(set(theirs) - set(ours)):
            problems.append(f"{part}: appeared {extra}")
        for key in sorted(k for k in ours if k in theirs and ours[k] != theirs[k]):
            problems += [f"{part}: {key}{where}" for where in _differences(ours[key], theirs[key])]
    assert not problems, "\n".join(problems)


def visible(drill: Drill, specs: dict[str, Any], passwords: dict[str, str]) -> dict[str, set[str]]:
    """The dashboards each tenant user can list, by "slug/role" (logging in with their password)."""
    seen = {}
    for spec in specs.values():
        for user in spec.users:
            with SupersetClient(drill.url, user.email, passwords[user.password_env]) as client:
                rows = _listing(client, "dashboard", ["id", "uuid"])
            seen[f"{spec.slug}/{user.role}"] = {str(d["uuid"]) for d in rows}
    return seen


# -- the drill --------------------------------------------------------------------------------------


def test_backup_wipe_restore_loses_nothing(drill: Drill, tmp_path: Path) -> None:
    specs = {s.slug: s for s in load_specs(DEMO_TENANTS)}
    passwords = {u.password_env: secrets.token_urlsafe(12) for s in specs.values() for u in s.users}
    for spec in specs.values():
        assert isinstance(spec.warehouse, DuckDBWarehouse)
        write_sample(
            drill.root / spec.warehouse.path,
            schema=spec.warehouse.schema_name,
            accounts=spec.warehouse.account_ids,
            flavour="ja" if spec.locale == "ja" else "en",
        )
    with drill.admin() as client:
        provisioner = Provisioner(client, password_lookup=passwords.get)
        for spec in specs.values():
            provisioner.apply(spec, drill.root)
    # A dashboard a tenant user made: it belongs to the tenant through its owner only.
    editor = next(u for u in specs["sakura-shoes"].users if u.role == "editor")
    with SupersetClient(drill.url, editor.email, passwords[editor.password_env]) as client:
        own = client.post("/api/v1/dashboard/", {"dashboard_title": "編集者のボード", "published": True})
        own_uuid = str(client.get(f"/api/v1/dashboard/{own['id']}")["result"]["uuid"])
    visible_before = visible(drill, specs, passwords)
    with drill.admin() as client:
        before = state(client)
    assert before["owners"][own_uuid] == [editor.email]
    assert set(before["registry"]) == set(specs)
    assert len(before["assets"]) >= 2 * 8
    assert len(before["rls"]) >= 4

    repo, dumps = tmp_path / "backup-repo", tmp_path / "dumps"
    started = time.monotonic()
    drill.cli("backup", "--repo", str(repo), "--dump-dir", str(dumps))
    backup_seconds = time.monotonic() - started
    text = "\n".join(p.read_text() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert not layout.find_secrets({"repo": text})
    for password in [drill.admin_password, *passwords.values()]:
        assert password not in text
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "--oneline"], capture_output=True, text=True, check=True
    )
    assert len(log.stdout.splitlines()) == 1
    (dump,) = dumps.glob("metadata-*.pgdump")

    # Offboarding export: one tenant's slice, nothing of the other tenant, no secrets.
    exported = tmp_path / "sakura-export"
    drill.cli("tenant", "export", "sakura-shoes", "--out", str(exported))
    sliced = layout.read_snapshot(exported)
    sakura = before["registry"]["sakura-shoes"]
    assert [t.slug for t in sliced.tenants] == ["sakura-shoes"]
    assert {r.name for r in sliced.roles} == set(sakura["role_ids"].values())
    assert {u.username for u in sliced.users} == {m[1] for m in sakura["members"]}
    exported_uuids = {layout.asset_uuid(t) for t in sliced.assets.values()}
    assert exported_uuids >= set(sakura["dashboard_ids"].values()) | {own_uuid}
    exported_text = "\n".join(p.read_text() for p in exported.rglob("*") if p.is_file())
    assert "northwind" not in exported_text
    assert not layout.find_secrets({"export": exported_text})

    # Disaster: the metadata DB is gone. Rebuild an empty Superset and restore the git backup.
    started = time.monotonic()
    drill.stop()
    drill.create_empty()
    drill.initialise()
    drill.shift_ids()  # every restored object gets an id unlike its original: remapping is proven
    drill.start()
    secrets_file = tmp_path / "restore-secrets.json"
    user_passwords = {u.email: passwords[u.password_env] for s in specs.values() for u in s.users}
    secrets_file.write_text(json.dumps({"users": user_passwords}))
    restored = drill.cli("restore", "--repo", str(repo), "--secrets", str(secrets_file), "--json")
    rto_git = time.monotonic() - started
    summary = json.loads(restored.stdout)
    assert summary["problems"] == []
    restore_seconds = summary["seconds"]
    with drill.admin() as client:
        after = state(client)
    assert_same(before, after)

    # The restored tenants work: their users log in with their own passwords and see what they saw.
    visible_after = visible(drill, specs, passwords)
    assert visible_after == visible_before
    for slug, other in (("sakura-shoes", "northwind-outdoor"), ("northwind-outdoor", "sakura-shoes")):
        assert set(after["registry"][slug]["dashboard_ids"].values()) <= visible_after[f"{slug}/viewer"]
        theirs = set(after["registry"][other]["dashboard_ids"].values()) | (
            {own_uuid} if other == "sakura-shoes" else set()
        )
        assert not any(visible_after[f"{slug}/{role}"] & theirs for role in ("admin", "editor", "viewer"))
    # ...and the provisioning engine finds nothing to change.
    with drill.admin() as client:
        provisioner = Provisioner(client, password_lookup=passwords.get)
        for spec in specs.values():
            assert [c.describe() for c in provisioner.plan(spec, drill.root).changes] == []

    # The second path: the metadata DB dump into an empty database (no init needed).
    started = time.monotonic()
    drill.stop()
    drill.create_empty()
    drill.cli("restore", "--db-dump", str(dump))
    drill.start()
    rto_dump = time.monotonic() - started
    with drill.admin() as client:
        from_dump = state(client)
    # The dump keeps ids too, so the state is the original one exactly (before the git restore).
    assert_same(before, from_dump)
    print(
        f"\nrestore drill: backup {backup_seconds:.1f}s,"
        f" git restore {rto_git:.1f}s (of which `supertenant restore` {restore_seconds}s),"
        f" dump restore {rto_dump:.1f}s"
    )
