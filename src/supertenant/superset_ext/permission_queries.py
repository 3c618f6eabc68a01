"""Superset's permission questions, answered faster as tenants grow; the answers do not change.

A mixin for the security manager, kept apart from the tenant guard (``security.py``) so that the
guard-overhead benchmark can compare a manager with and without the guard on equal terms.
``tests/integration/test_security_queries.py`` checks the answers against Superset's own for every
user and every dataset of a real metadata DB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import assoc_permissionview_role

from supertenant.superset_ext.role_api import FasterRoleApi

if TYPE_CHECKING:
    from superset.security.manager import SupersetSecurityManager as _Base
else:
    _Base = object

CAN_ACCESS_MEMO = "_supertenant_can_access"


class FasterPermissionQueriesMixin(_Base):
    """Put before ``SupersetSecurityManager`` in the bases."""

    role_api = FasterRoleApi  # a role's permissions set in one query (``role_api.py``)

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
