"""Keep Superset from minting a permission for every schema a tenant's connection can list.

When a database connection is created, Superset adds a ``schema_access`` permission (and
``catalog_access`` ones) for *every* schema that connection can list
(``superset.commands.database.utils.add_permissions``). Tenant connections share one
warehouse — one DuckDB file locally, one BigQuery project under a shared identity — holding
a schema per tenant. So onboarding tenant N mints about N permissions, Superset ends up with
tenants² of them, every ``POST /api/v1/database/`` runs ~10 SQL statements and 2 commits per
schema, and ``superset init`` loads them all several times (apache/superset#25040).

No tenant role is ever granted ``schema_access`` or ``catalog_access`` (tenants get
``datasource_access`` per dataset; platform admins hold ``all_database_access``). So, for
databases supertenant manages, these permissions are never created, by any of Superset's
three paths:

- ``add_permission_view_menu`` (a new connection: ``CreateDatabaseCommand``);
- ``find_permission_view_menu`` answering "already there" with a detached placeholder, which
  makes ``add_pvm`` (``PUT /api/v1/database/<id>``: ``SyncPermissionsCommand``) and the
  dataset hook (``dataset_after_insert`` writes the dataset's own schema permission) skip
  their insert. The placeholder is never added to a session and has no id, so nothing can
  grant it; a real PVM, where one still exists, is returned as before;
- :func:`purge_tenant_schema_permissions`, run by ``superset init`` (the security manager's
  ``sync_role_definitions``), deletes the ones created before this was wired in, except any a
  role holds.

Since none of these permissions is created for a tenant connection, Superset is also kept from
listing its schemas to mint them (:func:`install_listing_skip`).

Wiring: :class:`TenantSchemaPermissionsMixin` is first in the bases of
``SupertenantSecurityManager`` (``security.py``); ``init_app`` calls :func:`install_listing_skip`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
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
_SKIP_MARK = "_supertenant_skips_tenant_listing"


def database_of(view_menu_name: str | None) -> str | None:
    """``[acme].[sales]``, ``[acme].[main].[sales]``, ``[acme].[main]`` → ``acme``; else None."""
    match = _DATABASE_IN_PERM.match(view_menu_name or "")
    return match.group(1) if match else None


def is_tenant_database_row(name: str | None, uuid: object) -> bool:
    """A connection supertenant created for a tenant: named after the slug, UUID derived from it."""
    return bool(name) and str(uuid) == str(object_uuid(str(name), "database"))


def purgeable(
    pvms: Iterable[tuple[int, str, str]], tenant_databases: frozenset[str], granted: frozenset[int]
) -> list[int]:
    """PURE: ids of the ``(id, permission, view menu)`` rows to delete — schema and catalog
    permissions on tenant databases that no role holds."""
    return sorted(
        pvm_id
        for pvm_id, permission, view_menu in pvms
        if permission in ENUMERATED_KINDS
        and database_of(view_menu) in tenant_databases
        and pvm_id not in granted
    )


class TenantSchemaPermissionsMixin(_Base):
    """Skips schema and catalog permissions on databases supertenant manages for a tenant."""

    def add_permission_view_menu(self, permission_name: str, view_menu_name: str) -> Any:
        if permission_name in ENUMERATED_KINDS and self.is_tenant_database(database_of(view_menu_name)):
            return None
        return super().add_permission_view_menu(permission_name, view_menu_name)

    def find_permission_view_menu(self, permission_name: str, view_menu_name: str) -> Any:
        found = super().find_permission_view_menu(permission_name, view_menu_name)
        if (
            found is None
            and permission_name in ENUMERATED_KINDS
            and self.is_tenant_database(database_of(view_menu_name))
        ):
            return self.placeholder_pvm()
        return found

    def placeholder_pvm(self) -> Any:
        """A transient, id-less PVM: makes "create it if missing" code skip the insert."""
        return self.permissionview_model()

    def is_tenant_database(self, database_name: str | None) -> bool:
        """True for a connection supertenant created: it carries the UUID derived from its name.

        The same proof of ownership the provisioning engine uses (a tenant's database is named
        after its slug and has the UUID ``object_uuid(slug, "database")``).

        Positive answers are remembered for the current app context only (one request, one CLI
        command): creating one connection asks once per schema it lists.
        """
        if database_name is None:
            return False
        cache: set[str] | None = None
        if has_app_context():
            cache = g.setdefault(_CACHE_ATTRIBUTE, set())
            if database_name in cache:
                return True
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
        if found and cache is not None:
            cache.add(database_name)
        return found

    def purge_tenant_schema_permissions(self) -> int:
        """Delete schema/catalog PVMs of tenant databases that no role holds; returns how many."""
        from flask_appbuilder.security.sqla.models import assoc_permissionview_role
        from superset.models.core import Database

        session = self.session
        tenants = frozenset(
            str(name)
            for name, uuid in session.query(Database.database_name, Database.uuid)
            if is_tenant_database_row(name, uuid)
        )
        if not tenants:
            return 0
        pvm, perm, view = self.permissionview_model, self.permission_model, self.viewmenu_model
        rows = (
            session.query(pvm.id, perm.name, view.name)
            .join(perm, pvm.permission_id == perm.id)
            .join(view, pvm.view_menu_id == view.id)
            .filter(perm.name.in_(sorted(ENUMERATED_KINDS)))
        )
        granted = frozenset(
            int(pid) for (pid,) in session.query(assoc_permissionview_role.c.permission_view_id)
        )
        ids = purgeable(((int(i), str(p), str(v)) for i, p, v in rows), tenants, granted)
        if not ids:
            return 0
        view_ids: set[int] = set()
        for chunk in _chunks(ids):
            view_ids.update(int(v) for (v,) in session.query(pvm.view_menu_id).filter(pvm.id.in_(chunk)))
            session.query(pvm).filter(pvm.id.in_(chunk)).delete(synchronize_session=False)
        for chunk in _chunks(sorted(view_ids)):  # view menus no other PVM uses go too
            used = {int(v) for (v,) in session.query(pvm.view_menu_id).filter(pvm.view_menu_id.in_(chunk))}
            orphans = [v for v in chunk if v not in used]
            session.query(view).filter(view.id.in_(orphans)).delete(synchronize_session=False)
        session.commit()
        return len(ids)


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    """Keeps IN lists under SQLite's bound-parameter limit."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def skip_listing_for_tenant_databases(add_permissions: Any) -> Any:
    """Superset's ``add_permissions``, which does nothing for a tenant database but list its schemas.

    It lists every schema (and catalog) a new connection can see, to mint the permissions this
    module refuses: for a tenant connection on the shared warehouse, a DuckDB file opened and
    read, or a BigQuery ``datasets.list`` over the shared project, whose answer grows with every
    tenant — for nothing. Other databases go through Superset's function unchanged.
    """

    @functools.wraps(add_permissions)
    def add_permissions_unless_tenant(database: Any) -> None:
        if is_tenant_database_row(database.database_name, database.uuid):
            return
        add_permissions(database)

    setattr(add_permissions_unless_tenant, _SKIP_MARK, True)
    return add_permissions_unless_tenant


def install_listing_skip() -> None:
    """Wrap ``add_permissions`` where Superset's commands imported it (idempotent)."""
    from superset.commands.database import create
    from superset.commands.database.importers.v1 import utils as database_import

    for module in (create, database_import):
        if not getattr(module.add_permissions, _SKIP_MARK, False):
            module.add_permissions = skip_listing_for_tenant_databases(module.add_permissions)
