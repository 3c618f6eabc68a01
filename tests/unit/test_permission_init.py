"""`superset init` cost with many tenant roles: FAB's no-op role updates must not load every role."""

from __future__ import annotations

from typing import Any

from supertenant.superset_ext.permission_queries import FasterPermissionQueriesMixin
from supertenant.superset_ext.security import SupertenantSecurityManager


class PermissionView:
    pass


class Permission:
    pass


class Role:
    def __init__(self, *permissions: Any) -> None:
        self._permissions = list(permissions)
        self.loads = 0

    @property
    def permissions(self) -> list[Any]:
        self.loads += 1  # a lazy load in SQLAlchemy: one query per role
        return self._permissions


def manager() -> Any:
    """The shipped manager's method on a bare instance (no Flask app), FAB's base stubbed below it."""
    instance: Any = object.__new__(SupertenantSecurityManager)
    instance.permissionview_model = PermissionView
    return instance


def below_mixin() -> Any:
    """The next class after the mixin that overrides ``del_permission_role``: Superset's manager."""
    mro = SupertenantSecurityManager.__mro__
    return mro[mro.index(FasterPermissionQueriesMixin) + 1]


def test_a_permission_that_is_not_a_permission_view_is_never_looked_up(monkeypatch: Any) -> None:
    calls: list[tuple[Any, Any]] = []
    base = below_mixin()
    monkeypatch.setattr(base, "del_permission_role", lambda self, role, pv: calls.append((role, pv)))
    role = Role(PermissionView())
    manager().del_permission_role(role, Permission())  # what FAB's add_permissions_view passes
    assert calls == []
    assert role.loads == 0


def test_a_permission_view_is_still_removed_by_fab(monkeypatch: Any) -> None:
    calls: list[tuple[Any, Any]] = []
    base = below_mixin()
    monkeypatch.setattr(base, "del_permission_role", lambda self, role, pv: calls.append((role, pv)))
    role, pv = Role(), PermissionView()
    manager().del_permission_role(role, pv)
    assert calls == [(role, pv)]
