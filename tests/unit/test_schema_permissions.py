"""The security-manager mixin that keeps tenant connections from minting a PVM per visible schema."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from supertenant.superset_ext.schema_permissions import (
    TenantSchemaPermissionsMixin,
    database_of,
    is_tenant_database_row,
    purgeable,
    skip_listing_for_tenant_databases,
)
from supertenant.templates.uuids import object_uuid


@pytest.mark.parametrize(
    ("view_menu", "database"),
    [
        ("[acme].[sales]", "acme"),  # schema_access without catalog
        ("[acme].[warehouse.bench_0303]", "acme"),  # DuckDB lists schemas as catalog.schema
        ("[acme].[main].[sales]", "acme"),  # schema_access with catalog
        ("[acme].[main]", "acme"),  # catalog_access
        ("[nippon-trade].[x]", "nippon-trade"),
        ("[acme].(id:3)", None),  # database_access: not a schema or catalog permission
        ("Dashboard", None),
        ("", None),
        (None, None),
    ],
)
def test_database_of(view_menu: str | None, database: str | None) -> None:
    assert database_of(view_menu) == database


class FakeSupersetManager:
    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []

    def add_permission_view_menu(self, permission_name: str, view_menu_name: str) -> Any:
        self.created.append((permission_name, view_menu_name))
        return object()


class Manager(TenantSchemaPermissionsMixin, FakeSupersetManager):
    tenant_databases = frozenset({"acme"})

    def is_tenant_database(self, database_name: str | None) -> bool:
        return database_name in self.tenant_databases


@pytest.mark.parametrize(
    ("permission", "view_menu", "created"),
    [
        ("schema_access", "[acme].[bench_0002]", False),  # another tenant's schema, seen by acme's connection
        ("schema_access", "[acme].[acme]", False),  # its own: written by Superset's dataset hook instead
        ("catalog_access", "[acme].[warehouse]", False),
        ("schema_access", "[examples].[public]", True),  # not a tenant database: Superset's behaviour
        ("datasource_access", "[acme].[ads_campaign_daily](id:7)", True),
        ("database_access", "[acme].(id:3)", True),
        ("can_read", "Dashboard", True),
    ],
)
def test_only_schema_and_catalog_permissions_of_tenant_databases_are_skipped(
    permission: str, view_menu: str, created: bool
) -> None:
    manager = Manager()
    result = manager.add_permission_view_menu(permission, view_menu)
    assert (manager.created == [(permission, view_menu)]) is created
    assert (result is not None) is created


class FakeFindingManager:
    """Superset's lookup: finds only the PVMs in ``existing``."""

    existing: frozenset[tuple[str, str]] = frozenset({("schema_access", "[acme].[old_schema]")})

    def find_permission_view_menu(self, permission_name: str, view_menu_name: str) -> Any:
        return (
            ("real", permission_name, view_menu_name)
            if (
                permission_name,
                view_menu_name,
            )
            in self.existing
            else None
        )

    def permissionview_model(self) -> Any:
        return "placeholder"


class FindingManager(TenantSchemaPermissionsMixin, FakeFindingManager):
    def is_tenant_database(self, database_name: str | None) -> bool:
        return database_name == "acme"


@pytest.mark.parametrize(
    ("permission", "view_menu", "found"),
    [
        # "create if missing" code (PUT /database's add_pvm, the dataset hook) sees it as there
        ("schema_access", "[acme].[bench_0002]", "placeholder"),
        ("catalog_access", "[acme].[warehouse]", "placeholder"),
        # one that still exists is returned, so deleting the database still deletes it
        ("schema_access", "[acme].[old_schema]", ("real", "schema_access", "[acme].[old_schema]")),
        ("schema_access", "[examples].[public]", None),  # not a tenant database: Superset's behaviour
        ("datasource_access", "[acme].[ads_campaign_daily](id:7)", None),
        ("database_access", "[acme].(id:3)", None),
    ],
)
def test_lookups_of_missing_tenant_schema_permissions_answer_with_a_placeholder(
    permission: str, view_menu: str, found: object
) -> None:
    assert FindingManager().find_permission_view_menu(permission, view_menu) == found


def test_is_tenant_database_row_requires_the_derived_uuid() -> None:
    assert is_tenant_database_row("acme", object_uuid("acme", "database"))
    assert is_tenant_database_row("acme", str(object_uuid("acme", "database")))
    assert not is_tenant_database_row("acme", object_uuid("other", "database"))  # same name, foreign
    assert not is_tenant_database_row("examples", "8d4a0f55-0000-0000-0000-000000000000")
    assert not is_tenant_database_row(None, object_uuid("acme", "database"))


def test_purgeable_keeps_granted_and_non_tenant_permissions() -> None:
    pvms = [
        (1, "schema_access", "[acme].[bench_0002]"),
        (2, "catalog_access", "[acme].[warehouse]"),
        (3, "schema_access", "[acme].[acme]"),  # held by a role someone made: kept
        (4, "schema_access", "[examples].[public]"),  # not a tenant database
        (5, "datasource_access", "[acme].[ads_campaign_daily](id:7)"),
        (6, "database_access", "[acme].(id:3)"),
        (7, "schema_access", "[globex].[x]"),
    ]
    assert purgeable(pvms, frozenset({"acme", "globex"}), frozenset({3})) == [1, 2, 7]
    assert purgeable(pvms, frozenset(), frozenset()) == []


def test_the_shipped_security_manager_has_the_mixin_first() -> None:
    from supertenant.superset_ext.security import SupertenantSecurityManager

    mro = SupertenantSecurityManager.__mro__
    assert mro[1] is TenantSchemaPermissionsMixin
    for method in ("add_permission_view_menu", "find_permission_view_menu"):
        owner = next(klass for klass in mro if method in vars(klass))
        assert owner is TenantSchemaPermissionsMixin


def test_superset_lists_schemas_only_for_databases_that_are_not_tenants() -> None:
    listed: list[str] = []
    add_permissions = skip_listing_for_tenant_databases(
        lambda database: listed.append(database.database_name)
    )
    tenant = SimpleNamespace(database_name="acme", uuid=object_uuid("acme", "database"))
    impostor = SimpleNamespace(database_name="acme", uuid=object_uuid("other", "database"))
    platform = SimpleNamespace(database_name="examples", uuid="0b2f0a39-0000-4000-8000-000000000000")
    for database in (tenant, impostor, platform):
        add_permissions(database)
    assert listed == ["acme", "examples"]
