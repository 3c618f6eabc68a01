"""The security-manager mixin that keeps tenant connections from minting a PVM per visible schema."""

from __future__ import annotations

from typing import Any

import pytest

from supertenant.superset_ext.schema_permissions import TenantSchemaPermissionsMixin, database_of


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
