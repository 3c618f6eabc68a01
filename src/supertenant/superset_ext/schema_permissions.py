"""Keep Superset from minting a permission for every schema a tenant's connection can list.

When a database connection is created, Superset adds a ``schema_access`` permission (and
``catalog_access`` ones) for *every* schema that connection can list
(``superset.commands.database.utils.add_permissions``). Tenant connections share one
warehouse — one DuckDB file locally, one BigQuery project under a shared identity — holding
a schema per tenant. So onboarding tenant N mints about N permissions, Superset ends up with
tenants² of them, every ``POST /api/v1/database/`` runs ~10 SQL statements and 2 commits per
schema, and ``superset init`` loads them all several times (apache/superset#25040).

No tenant role is ever granted ``schema_access`` or ``catalog_access`` (tenants get
``datasource_access`` per dataset; platform admins hold ``all_database_access``), and the
permission for a dataset's own schema is still written by Superset's dataset hook
(``dataset_after_insert`` inserts it directly, not through this method). So, for databases
supertenant manages, these permissions are not created.

Wiring: put :class:`TenantSchemaPermissionsMixin` first in the bases of the security manager,
``class SupertenantSecurityManager(TenantSchemaPermissionsMixin, SupersetSecurityManager)``.
``PUT /api/v1/database/<id>`` (Superset's ``SyncPermissionsCommand``) creates its permissions
through a helper that bypasses the security manager; it is not covered.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from flask import g, has_app_context

from supertenant.templates.uuids import object_uuid

if TYPE_CHECKING:
    from superset.security.manager import SupersetSecurityManager as _Base
else:
    _Base = object

ENUMERATED_KINDS = frozenset({"schema_access", "catalog_access"})
_DATABASE_IN_PERM = re.compile(r"\[([^\[\]]+)\]\.\[")
_CACHE_ATTRIBUTE = "_supertenant_tenant_databases"


def database_of(view_menu_name: str | None) -> str | None:
    """``[acme].[sales]``, ``[acme].[main].[sales]``, ``[acme].[main]`` → ``acme``; else None."""
    match = _DATABASE_IN_PERM.match(view_menu_name or "")
    return match.group(1) if match else None


class TenantSchemaPermissionsMixin(_Base):
    """Skips schema and catalog permissions on databases supertenant manages for a tenant."""

    def add_permission_view_menu(self, permission_name: str, view_menu_name: str) -> Any:
        if permission_name in ENUMERATED_KINDS and self.is_tenant_database(database_of(view_menu_name)):
            return None
        return super().add_permission_view_menu(permission_name, view_menu_name)

    def is_tenant_database(self, database_name: str | None) -> bool:
        """True for a connection supertenant created: it carries the UUID derived from its name.

        The same proof of ownership the provisioning engine uses (a tenant's database is named
        after its slug and has the UUID ``object_uuid(slug, "database")``).

        Answers are remembered for the current app context only (one request, one CLI command):
        creating one connection asks once per schema it lists.
        """
        if database_name is None:
            return False
        cache: dict[str, bool] | None = None
        if has_app_context():
            cache = g.setdefault(_CACHE_ATTRIBUTE, {})
            if database_name in cache:
                return cache[database_name]
        from superset.models.core import Database

        found = (
            self.session.query(Database.id)
            .filter(
                Database.database_name == database_name,
                Database.uuid == object_uuid(database_name, "database"),
            )
            .first()
            is not None
        )
        if cache is not None:
            cache[database_name] = found
        return found
