"""The provisioning engine against a real Superset: converge, isolate rows, no-op second apply."""

from __future__ import annotations

import contextlib

import psycopg2
import pytest

from supertenant.errors import NotFoundError
from supertenant.provision.engine import Provisioner
from supertenant.runtime import superset as runtime
from supertenant.superset_api.client import SupersetClient
from supertenant.superset_ext.schema_permissions import ENUMERATED_KINDS

from .conftest import Server, Tenants
from .test_foundation import _cost_by_account

pytestmark = pytest.mark.integration


def test_second_apply_changes_nothing(server: Server, tenants: Tenants) -> None:
    with server.admin() as admin:
        provisioner = Provisioner(admin, password_lookup=lambda _: None)
        for spec in tenants.specs.values():
            assert provisioner.plan(spec, tenants.base_dir).changes == []
            assert provisioner.apply(spec, tenants.base_dir).changes == []


@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_viewer_reads_only_its_own_accounts(server: Server, tenants: Tenants, slug: str) -> None:
    spec = tenants.specs[slug]
    with tenants.login(server, slug, "viewer") as viewer:
        datasets = list(viewer.iter_list("dataset"))
        assert sorted(d["table_name"] for d in datasets) == sorted(
            ["ads_campaign_daily", "ads_adgroup_daily", "ads_keyword_daily", "ads_geo_daily"]
        )
        for dataset in datasets:
            rows = viewer.post("/api/v1/chart/data", _cost_by_account(dataset["id"]))["result"][0]["data"]
            assert sorted(r["account_id"] for r in rows) == sorted(spec.warehouse.account_ids)


def test_viewer_cannot_query_another_tenants_dataset(server: Server, tenants: Tenants) -> None:
    with tenants.login(server, "northwind-outdoor", "viewer") as other:
        foreign = [d["id"] for d in other.iter_list("dataset")]
    with tenants.login(server, "sakura-shoes", "viewer") as viewer:
        for dataset_id in [*foreign, 987654]:  # another tenant's dataset answers like a missing one
            with pytest.raises(NotFoundError):
                viewer.post("/api/v1/chart/data", _cost_by_account(dataset_id))


def _schema_permissions(admin: SupersetClient) -> list[str]:
    """View-menu names of every schema_access and catalog_access PVM in Superset."""
    kinds = admin.iter_list(
        "security/permissions", filters=[{"col": "name", "opr": "in", "value": sorted(ENUMERATED_KINDS)}]
    )
    names: list[str] = []
    for kind in kinds:
        rows = admin.iter_list(
            "security/permissions-resources",
            filters=[{"col": "permission", "opr": "rel_o_m", "value": int(kind["id"])}],
        )
        names.extend(row["view_menu"]["name"] for row in rows if row.get("view_menu"))
    return names


def test_no_schema_permissions_for_tenant_databases_even_after_a_database_update(
    server: Server, tenants: Tenants
) -> None:
    """Tenant roles use datasource_access per dataset; Superset's per-schema PVMs are never made."""
    prefixes = tuple(f"[{spec.database_name}]." for spec in tenants.specs.values())
    with server.admin() as admin:
        assert [n for n in _schema_permissions(admin) if n.startswith(prefixes)] == []
        for spec in tenants.specs.values():
            database = admin.find_one("database", "database_name", spec.database_name)
            assert database is not None
            current = admin.get(f"/api/v1/database/{database['id']}")["result"]
            # PUT runs Superset's SyncPermissionsCommand, which adds PVMs without the security manager
            admin.put(f"/api/v1/database/{database['id']}", {"expose_in_sqllab": current["expose_in_sqllab"]})
        assert [n for n in _schema_permissions(admin) if n.startswith(prefixes)] == []
        # and isolation still holds through datasource_access alone: each tenant's roles hold exactly
        # its own four datasets
        for spec in tenants.specs.values():
            role = admin.find_one("security/roles", "name", spec.role_name("viewer"))
            assert role is not None
            perms = admin.get(f"/api/v1/security/roles/{role['id']}/permissions/")["result"]
            data = sorted(p["view_menu_name"] for p in perms if p["permission_name"] == "datasource_access")
            assert len(data) == 4
            assert all(name.startswith(f"[{spec.database_name}].") for name in data)


def test_superset_init_purges_schema_permissions_made_before_the_fix(
    server: Server, tenants: Tenants
) -> None:
    """An install upgraded from before the mixin: `superset init` deletes the old tenant schema PVMs."""
    database = tenants.specs["sakura-shoes"].database_name
    stale = f"[{database}].[warehouse.stale_schema]"
    foreign = "[not-a-tenant].[public]"  # no tenant database of that name: left alone
    dsn = server.metadata_db_url.replace("postgresql+psycopg2://", "postgresql://")
    with contextlib.closing(psycopg2.connect(dsn)) as con, con.cursor() as cursor:
        cursor.execute("SELECT id FROM ab_permission WHERE name = 'schema_access'")
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO ab_permission (id, name) "
                "VALUES (nextval('ab_permission_id_seq'), 'schema_access') RETURNING id"
            )
            row = cursor.fetchone()
        assert row is not None
        for name in (stale, foreign):
            cursor.execute(
                "INSERT INTO ab_view_menu (id, name) "
                "VALUES (nextval('ab_view_menu_id_seq'), %s) RETURNING id",
                (name,),
            )
            view = cursor.fetchone()
            assert view is not None
            cursor.execute(
                "INSERT INTO ab_permission_view (id, permission_id, view_menu_id) "
                "VALUES (nextval('ab_permission_view_id_seq'), %s, %s)",
                (row[0], view[0]),
            )
        con.commit()
    with server.admin() as admin:
        assert {stale, foreign} <= set(_schema_permissions(admin))
    runtime.run_superset(["init"], server.env, server.root / "init_purge.log")
    with server.admin() as admin:
        left = set(_schema_permissions(admin))
    assert stale not in left
    assert foreign in left
