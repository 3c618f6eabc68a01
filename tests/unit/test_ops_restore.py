"""Restore and tenant slicing against plain values and a fake Superset (httpx.MockTransport)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import yaml

from supertenant.errors import OwnershipError
from supertenant.ops import backup, layout, restore
from supertenant.superset_api import SupersetClient


def fake_superset(registered: list[str], calls: list[str]) -> SupersetClient:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/api/v1/security/login":
            return httpx.Response(200, json={"access_token": "jwt"})
        if request.url.path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "csrf"})
        if request.url.path == "/api/v1/supertenant/tenants/":
            return httpx.Response(200, json={"result": [{"slug": s} for s in registered]})
        return httpx.Response(500, json={"message": "not expected in this test"})

    return SupersetClient(
        "http://superset.test", "admin", "pw", transport=httpx.MockTransport(handle), retries=0
    )


def one_tenant_snapshot() -> layout.Snapshot:
    tenant = layout.TenantBackup(
        record={"slug": "sakura-shoes", "name": "S", "warehouse": {"engine": "duckdb"}},
        database_uuid=None,
        role_names={},
        dashboard_uuids={},
        home_dashboard_uuid=None,
        members=[],
    )
    return layout.Snapshot(tenants=[tenant])


def test_restore_refuses_a_target_that_already_has_the_tenant_and_writes_nothing() -> None:
    calls: list[str] = []
    with (
        fake_superset(["sakura-shoes"], calls) as client,
        pytest.raises(OwnershipError, match="sakura-shoes"),
    ):
        restore.restore(client, one_tenant_snapshot(), restore.RestoreSecrets())
    assert not [c for c in calls if not c.startswith("GET") and "security/login" not in c]


def test_the_secrets_file_is_strict_and_optional(tmp_path: Path) -> None:
    assert restore.RestoreSecrets.load(None) == restore.RestoreSecrets()
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"databases": {"acme": {"password": "pw"}}, "users": {"u": "p"}}))
    loaded = restore.RestoreSecrets.load(path)
    assert loaded.databases["acme"].password == "pw"
    path.write_text(json.dumps({"passwords": {}}))
    with pytest.raises(ValueError, match="passwords"):
        restore.RestoreSecrets.load(path)


def test_a_tenant_slice_keeps_only_that_tenants_objects() -> None:
    mine, theirs = "a" * 8, "b" * 8
    snapshot = layout.Snapshot(
        assets={
            "charts/mine.yaml": yaml.safe_dump({"uuid": mine}),
            "charts/theirs.yaml": yaml.safe_dump({"uuid": theirs}),
        },
        roles=[
            layout.RoleBackup(name="sakura-shoes_viewer", permissions=[]),
            layout.RoleBackup(name="northwind-outdoor_viewer", permissions=[]),
            layout.RoleBackup(name="Admin", permissions=[]),
        ],
        users=[
            layout.UserBackup(username="v@sakura", first_name="", last_name="", email="", roles=[]),
            layout.UserBackup(username="v@northwind", first_name="", last_name="", email="", roles=[]),
        ],
        rls=[
            layout.RlsBackup(
                name="sakura-shoes__accounts", filter_type="Regular", clause="1", tables=[], roles=[]
            ),
            layout.RlsBackup(
                name="northwind-outdoor__accounts", filter_type="Regular", clause="1", tables=[], roles=[]
            ),
        ],
        tenants=[
            layout.TenantBackup(
                record={"slug": slug, "name": slug, "warehouse": {}},
                database_uuid=None,
                role_names={"viewer": f"{slug}_viewer"},
                dashboard_uuids={},
                home_dashboard_uuid=None,
                members=[layout.MemberBackup(username=user, role="viewer")],
            )
            for slug, user in (("sakura-shoes", "v@sakura"), ("northwind-outdoor", "v@northwind"))
        ],
        owners={mine: ["v@sakura"], theirs: ["v@northwind"]},
    )
    sliced = backup.tenant_slice(snapshot, {"sakura-shoes"}, {mine})
    assert list(sliced.assets) == ["charts/mine.yaml"]
    assert [r.name for r in sliced.roles] == ["sakura-shoes_viewer"]
    assert [u.username for u in sliced.users] == ["v@sakura"]
    assert [r.name for r in sliced.rls] == ["sakura-shoes__accounts"]
    assert [t.slug for t in sliced.tenants] == ["sakura-shoes"]
    assert sliced.owners == {mine: ["v@sakura"]}


def test_restore_wants_exactly_one_source_and_backup_keeps_dumps_out_of_the_repo(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from supertenant.cli.app import app

    runner = CliRunner()
    neither = runner.invoke(app, ["restore"])
    assert neither.exit_code == 1
    assert "exactly one of --repo" in neither.output
    both = runner.invoke(app, ["restore", "--repo", str(tmp_path), "--db-dump", str(tmp_path / "x")])
    assert both.exit_code == 1
    inside = runner.invoke(app, ["backup", "--repo", str(tmp_path), "--dump-dir", str(tmp_path / "dumps")])
    assert inside.exit_code == 1
    assert "outside --repo" in inside.output
    assert not (tmp_path / "dumps").exists()
