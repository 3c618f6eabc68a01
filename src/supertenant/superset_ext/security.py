"""supertenant's security manager: a thin subclass; the decisions live in ``policy.py``.

The tenant guard runs before Superset's own checks in ``raise_for_access`` —
the one function Superset consults for charts, chart data, dashboards,
datasets, SQL Lab and Explore — so an object of another tenant is refused even
if a role was misconfigured or a Superset shortcut (DASHBOARD_RBAC, embedded)
would allow it. Owner and role ids on create/update are narrowed to the
caller's tenant through ``get_user_by_id`` and ``find_roles_by_id``.

:class:`TenantSchemaPermissionsMixin` keeps Superset from minting a ``schema_access`` and
``catalog_access`` permission for every schema a tenant connection can list (tenant roles use
``datasource_access`` per dataset only), and ``superset init`` purges old ones.
"""

from __future__ import annotations

from typing import Any

import structlog
from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import assoc_permissionview_role
from superset.errors import ErrorLevel, SupersetError, SupersetErrorType
from superset.exceptions import SupersetSecurityException
from superset.security.manager import SupersetSecurityManager

from supertenant.superset_ext import policy
from supertenant.superset_ext.context import directory, request_tenant
from supertenant.superset_ext.names import REGISTRY_VIEW
from supertenant.superset_ext.schema_permissions import TenantSchemaPermissionsMixin

FILTER_USERS_FLAG = "_supertenant_filter_users"
CAN_ACCESS_MEMO = "_supertenant_can_access"
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


class SupertenantSecurityManager(TenantSchemaPermissionsMixin, SupersetSecurityManager):
    """Superset's security manager plus a tenant guard on every object a request touches."""

    ADMIN_ONLY_VIEW_MENUS = SupersetSecurityManager.ADMIN_ONLY_VIEW_MENUS | {REGISTRY_VIEW}

    def del_permission_role(self, role: Any, perm_view: Any) -> None:
        """Only a permission-view can be taken from a role; anything else is a no-op, done cheaply.

        On every ``superset init``, FAB's ``add_permissions_view`` calls this for *every role* and
        every permission a view registers beyond its base permissions, passing a ``Permission``
        (not a permission-view), which can never be in ``role.permissions``. FAB still loads each
        role's permissions to find that out: with 600 tenant roles that was 25 of init's 33 s at
        200 tenants (``benchmarks/README.md``). Same outcome, without the loads.
        """
        if not isinstance(perm_view, self.permissionview_model):
            return
        super().del_permission_role(role, perm_view)

    def sync_role_definitions(self) -> None:
        """``superset init``: first drop tenant schema permissions made before the mixin was wired."""
        purged = self.purge_tenant_schema_permissions()
        if purged:
            log.info("purged tenant schema permissions", count=purged)
        super().sync_role_definitions()

    def can_access(self, permission_name: str, view_name: str) -> bool:
        """Superset's answer, remembered for the rest of the request (per user).

        One chart-data request asks the same few questions 13 times (all datasources? all
        databases? this database, catalog, schema, dataset?), each a five-table query whose
        planning alone takes ~1.5 ms. Roles do not change within a request.
        """
        if not has_request_context():
            return bool(super().can_access(permission_name, view_name))
        user = getattr(g, "user", None)
        key = (getattr(user, "id", None), permission_name, view_name)
        memo: dict[tuple[Any, str, str], bool] = g.setdefault(CAN_ACCESS_MEMO, {})
        if key not in memo:
            memo[key] = bool(super().can_access(permission_name, view_name))
        return memo[key]

    def user_view_menu_names(self, permission_name: str) -> set[str]:
        """The views on which the caller's roles (own and through groups) hold ``permission_name``.

        Superset's query puts the permission name inside per-role ``EXISTS`` subqueries, so
        Postgres reads every role's permissions — with 600 tenant roles, 38 ms a call, several
        calls per dashboard or dataset list. Same answer here from the caller's role ids (0.4 ms).
        """
        user = getattr(g, "user", None)
        if user is None or getattr(user, "is_anonymous", True) or self.is_guest_user(user):
            return set(super().user_view_menu_names(permission_name))
        role_ids = sorted({role.id for role in self.get_user_roles(user)})
        if not role_ids:
            return set()
        rows = (
            self.session.query(self.viewmenu_model.name)
            .join(self.permissionview_model, self.permissionview_model.view_menu_id == self.viewmenu_model.id)
            .join(self.permission_model, self.permission_model.id == self.permissionview_model.permission_id)
            .join(
                assoc_permissionview_role,
                assoc_permissionview_role.c.permission_view_id == self.permissionview_model.id,
            )
            .filter(self.permission_model.name == permission_name)
            .filter(assoc_permissionview_role.c.role_id.in_(role_ids))
        )
        return {row.name for row in rows}

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
