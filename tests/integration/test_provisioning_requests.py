"""What makes an onboarding cheaper, checked on the real Superset it runs against.

- ``POST /api/v1/supertenant/permission-ids`` gives the ids FAB's own listings give, to the
  platform admin only, and names a bad body.
- A dataset import without ``data`` does not open the warehouse to ask whether the table exists;
  one with ``data`` still does (``superset_ext/imports.py``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from supertenant.errors import NotFoundError, SupersetAPIError
from supertenant.provision.engine import PermissionIndex

from .conftest import Server, Tenants, run_in_app

pytestmark = pytest.mark.integration

ENDPOINT = "/api/v1/supertenant/permission-ids"


def _role_pvms(server: Server, role_name: str) -> dict[tuple[str, str], int]:
    """A role's PVMs as FAB's own API lists them."""
    with server.admin() as admin:
        role = admin.find_one("security/roles", "name", role_name)
        assert role is not None, role_name
        rows = admin.get(f"/api/v1/security/roles/{role['id']}/permissions/")["result"]
    return {(r["permission_name"], r["view_menu_name"]): int(r["id"]) for r in rows}


def test_permission_ids_match_fabs_listing_for_a_tenant_role(server: Server, tenants: Tenants) -> None:
    spec = next(iter(tenants.specs.values()))
    listed = _role_pvms(server, spec.role_name("editor"))
    assert any(p == "datasource_access" for p, _ in listed)  # dataset permissions are among them
    with server.admin() as admin:
        pairs = sorted(listed)
        answered = admin.post(ENDPOINT, {"permissions": [list(p) for p in pairs]})["result"]
        assert {(r["permission"], r["view_menu"]): r["id"] for r in answered} == listed
        assert PermissionIndex(admin).ids(pairs) == [listed[p] for p in pairs]
        unknown = admin.post(ENDPOINT, {"permissions": [["can_fly", "Dashboard"]]})["result"]
        assert unknown == []


def test_permission_ids_refuse_tenant_admins_and_name_bad_bodies(server: Server, tenants: Tenants) -> None:
    slug = next(iter(tenants.specs))
    # a tenant's admin holds no permission on supertenant's API: the guards answer "not found"
    with tenants.login(server, slug, "admin") as tenant_admin, pytest.raises(NotFoundError):
        tenant_admin.post(ENDPOINT, {"permissions": [["can_read", "Dashboard"]]})
    with server.admin() as admin:
        with pytest.raises(SupersetAPIError, match=r"permissions\[1\]") as bad:
            admin.post(ENDPOINT, {"permissions": [["can_read", "Dashboard"], ["can_read"]]})
        assert bad.value.status == 400
        with pytest.raises(SupersetAPIError, match='"permissions" list'):
            admin.post(ENDPOINT, {"perms": []})


IMPORT_SCRIPT = """
import json, sys, traceback, uuid
from pathlib import Path
import duckdb
from flask import g
from superset.app import create_app

root = Path(sys.argv[1])
warehouse = root / "import_checks.duckdb"
with duckdb.connect(str(warehouse)) as con:
    con.execute("CREATE OR REPLACE TABLE without_data AS SELECT 1 AS x")
    con.execute("CREATE OR REPLACE TABLE with_data AS SELECT 1 AS x")
database_uuid, a_uuid, b_uuid = (str(uuid.uuid4()) for _ in range(3))

def bundle(dataset_uuid, table, data=None):
    dataset = {
        "table_name": table, "schema": "main", "uuid": dataset_uuid, "database_uuid": database_uuid,
        "columns": [{"column_name": "x", "type": "INTEGER"}], "metrics": [], "version": "1.0.0",
    }
    if data:
        dataset["data"] = data
    database = {
        "database_name": "import_checks", "sqlalchemy_uri": f"duckdb:///{warehouse}",
        "uuid": database_uuid, "version": "1.0.0", "expose_in_sqllab": False, "allow_ctas": False,
        "allow_cvas": False, "allow_dml": False, "allow_csv_upload": False, "extra": {},
    }
    metadata = {"version": "1.0.0", "type": "SqlaTable", "timestamp": "2026-01-01T00:00:00+00:00"}
    return {
        "metadata.yaml": json.dumps(metadata),
        "databases/import_checks.yaml": json.dumps(database),
        f"datasets/import_checks/{table}.yaml": json.dumps(dataset),
    }

app = create_app()
opened = []
with app.app_context():
    from superset import security_manager as sm
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db
    from superset.models.core import Database
    original = Database.get_sqla_engine
    def counting(self, *args, **kwargs):
        # which of Superset's functions opened the warehouse (importing a new database does too)
        callers = {frame.name for frame in traceback.extract_stack()}
        opened.append("has_table" if "has_table" in callers else "other")
        return original(self, *args, **kwargs)
    Database.get_sqla_engine = counting
    asked = []
    patched_has_table = Database.has_table
    def recording(self, table):
        answer = patched_has_table(self, table)
        asked.append([str(table), answer])
        return answer
    Database.has_table = recording
    admin = sm.find_user(username=sys.argv[2])
    found = {}
    try:
        for key, contents in (
            ("without_data", bundle(a_uuid, "without_data")),
            # the table exists, so Superset's check answers True and nothing is downloaded
            ("with_data", bundle(b_uuid, "with_data", data="https://example.invalid/with_data.csv")),
        ):
            with app.test_request_context():
                g.user = admin
                opened.clear()
                asked.clear()
                ImportDatasetsCommand(contents, overwrite=False).run()
                found[key] = {
                    "opened": list(opened),
                    "imported": db.session.query(SqlaTable).filter_by(table_name=key).count(),
                    "asked": list(asked),
                }
    finally:
        for dataset in db.session.query(SqlaTable).filter(SqlaTable.uuid.in_([a_uuid, b_uuid])).all():
            db.session.delete(dataset)
        for database in db.session.query(Database).filter_by(database_name="import_checks").all():
            db.session.delete(database)
        db.session.commit()
sys.stdout.write("\\n@@FOUND@@" + json.dumps(found))
"""


def test_dataset_import_without_data_does_not_open_the_warehouse(server: Server) -> None:
    found: dict[str, Any] = run_in_app(
        server,
        IMPORT_SCRIPT.replace("sys.argv[1]", json.dumps(str(server.root))).replace(
            "sys.argv[2]", json.dumps(server.admin_username)
        ),
        "@@FOUND@@",
    )
    assert found["without_data"]["imported"] == 1
    assert "has_table" not in found["without_data"]["opened"]
    assert found["without_data"]["asked"] == [["main.without_data", True]]  # answered, not asked
    # the counter works: a bundle that carries data still asks the warehouse, as Superset does
    assert found["with_data"]["imported"] == 1
    assert "has_table" in found["with_data"]["opened"], found


def test_setting_a_roles_permissions_keeps_fabs_contract(server: Server, tenants: Tenants) -> None:
    """``FasterRoleApi``: same request and outcome as FAB's (unknown ids skipped, duplicates once)."""
    spec = next(iter(tenants.specs.values()))
    wanted = _role_pvms(server, spec.role_name("viewer"))
    ids = sorted(wanted.values())
    with server.admin() as admin:
        role_id = int(admin.post("/api/v1/security/roles/", {"name": "supertenant-it-role-api"})["id"])
        try:
            path = f"/api/v1/security/roles/{role_id}/permissions"
            asked = [*ids, ids[0], 987654321]  # a duplicate and an id no permission has
            answer = admin.post(path, {"permission_view_menu_ids": asked})
            assert answer["result"]["permission_view_menu_ids"] == asked  # FAB echoes the request
            assert _role_pvms(server, "supertenant-it-role-api") == wanted
            admin.post(path, {"permission_view_menu_ids": ids[:2]})  # replaces, does not add
            assert sorted(_role_pvms(server, "supertenant-it-role-api").values()) == ids[:2]
            admin.post(path, {"permission_view_menu_ids": []})
            assert _role_pvms(server, "supertenant-it-role-api") == {}
            with pytest.raises(NotFoundError):
                admin.post("/api/v1/security/roles/987654321/permissions", {"permission_view_menu_ids": ids})
        finally:
            admin.delete(f"/api/v1/security/roles/{role_id}")
