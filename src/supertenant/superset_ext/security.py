"""supertenant's security manager: a thin subclass; the decisions live in ``policy.py``.

The tenant guard runs before Superset's own checks in ``raise_for_access`` —
the one function Superset consults for charts, chart data, dashboards,
datasets, SQL Lab and Explore — so an object of another tenant is refused even
if a role was misconfigured or a Superset shortcut (DASHBOARD_RBAC, embedded)
would allow it. Owner and role ids on create/update are narrowed to the
caller's tenant through ``get_user_by_id`` and ``find_roles_by_id``.

:class:`FasterPermissionQueriesMixin` answers Superset's permission questions faster (same
answers). :class:`TenantSchemaPermissionsMixin` keeps Superset from minting a ``schema_access`` and
``catalog_access`` permission for every schema a tenant connection can list (tenant roles use
``datasource_access`` per dataset only), and ``superset init`` purges old ones.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import g, has_request_context
from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
from superset.exceptions import SupersetSecurityException
from superset.security.manager import SupersetSecurityManager

from supertenant.superset_ext import policy
from supertenant.superset_ext.context import directory, request_tenant
from supertenant.superset_ext.names import REGISTRY_VIEW
from supertenant.superset_ext.permission_queries import FasterPermissionQueriesMixin
from supertenant.superset_ext.schema_permissions import TenantSchemaPermissionsMixin

FILTER_USERS_FLAG = "_supertenant_filter_users"
log = structlog.get_logger(__name__)


def _database_id(obj: Any) -> int | None:
    for attribute in ("database_id",):
        value = getattr(obj, attribute, None)
        if value is not None:
            return int(value)
    database = getattr(obj, "database", None)
    return int(database.id) if database is not None and getattr(database, "id", None) is not None else None


def object_database_ids(**objects: Any) -> list[int | None]:
    """The metadata databases behind whatever ``raise_for_access`` was given."""
    ids: list[int | None] = []
    if (database := objects.get("database")) is not None:
        ids.append(int(database.id) if database.id is not None else None)
    for key in ("datasource", "query"):
        if (obj := objects.get(key)) is not None:
            ids.append(_database_id(obj))
    if (chart := objects.get("chart")) is not None:
        ids.append(_database_id(chart.datasource) if chart.datasource is not None else None)
    if (query_context := objects.get("query_context")) is not None:
        ids.append(_database_id(query_context.datasource))
    if (viz := objects.get("viz")) is not None:
        ids.append(_database_id(viz.datasource))
    if (dashboard := objects.get("dashboard")) is not None:
        ids.extend(_database_id(ds) for ds in dashboard.datasources)
    return ids


def _denied() -> SupersetSecurityException:
    return SupersetSecurityException(
        SupersetError(
            error_type=SupersetErrorType.DATASOURCE_SECURITY_ACCESS_ERROR,
            message="You don't have access to this object.",
            level=ErrorLevel.ERROR,
        )
    )


class SupertenantSecurityManager(
    TenantSchemaPermissionsMixin, FasterPermissionQueriesMixin, SupersetSecurityManager
):
    """Superset's security manager plus a tenant guard on every object a request touches."""

    ADMIN_ONLY_VIEW_MENUS = SupersetSecurityManager.ADMIN_ONLY_VIEW_MENUS | {REGISTRY_VIEW}

    def sync_role_definitions(self) -> None:
        """``superset init``: first drop tenant schema permissions made before the mixin was wired."""
        purged = self.purge_tenant_schema_permissions()
        if purged:
            log.info("purged tenant schema permissions", count=purged)
        super().sync_role_definitions()

    def raise_for_access(self, **kwargs: Any) -> None:
        tenant = request_tenant()
        if tenant is not None:
            for database_id in object_database_ids(**kwargs):
                if not policy.visible(tenant.slug, directory().tenant_of_database(database_id)):
                    raise _denied()
        super().raise_for_access(**kwargs)

    def get_user_by_id(self, pk: Any) -> Any:
        user = super().get_user_by_id(pk)
        # Only once the caller is known: Flask-Login also loads the caller itself through here.
        if user is None or not has_request_context() or not getattr(g, FILTER_USERS_FLAG, False):
            return user
        tenant = request_tenant()
        if tenant is None:
            return user
        member = directory().tenant_of_user(user.id)
        return user if member is not None and member.slug == tenant.slug else None

    def find_roles_by_id(self, role_ids: list[int]) -> list[Any]:
        roles = super().find_roles_by_id(role_ids)
        tenant = request_tenant()
        if tenant is None:
            return roles
        return [role for role in roles if directory().tenant_of_role(role.id) == tenant.slug]


def related_users_filter(query: Any) -> Any:
    """EXTRA_RELATED_QUERY_FILTERS["user"]: owner pickers list only the caller's tenant."""
    tenant = request_tenant()
    if tenant is None:
        return query
    from superset.extensions import security_manager

    members = [uid for uid, slug in directory().snapshot().by_user.items() if slug == tenant.slug]
    return query.filter(security_manager.user_model.id.in_(members or [-1]))


def related_roles_filter(query: Any) -> Any:
    """EXTRA_RELATED_QUERY_FILTERS["role"]: role pickers list only the caller's tenant roles."""
    tenant = request_tenant()
    if tenant is None:
        return query
    from superset.extensions import security_manager

    return query.filter(security_manager.role_model.id.in_(list(tenant.role_ids.values()) or [-1]))
