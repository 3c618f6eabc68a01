"""supertenant's security manager: a thin subclass that delegates decisions to pure policy."""

from __future__ import annotations

from superset.security.manager import SupersetSecurityManager

from supertenant.superset_ext.names import REGISTRY_VIEW


class SupertenantSecurityManager(SupersetSecurityManager):
    """Keeps supertenant's own views admin-only so `superset init` never hands them to Gamma."""

    ADMIN_ONLY_VIEW_MENUS = SupersetSecurityManager.ADMIN_ONLY_VIEW_MENUS | {REGISTRY_VIEW}
