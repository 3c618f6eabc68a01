"""The tenant's Getting Started dashboard is its users' home page.

Every way home in Superset ends at ``/superset/welcome/`` (``/`` redirects
there, so do the login and the navbar logo). For a tenant user it redirects to
the tenant's ``home_dashboard_id``, unless the user has a welcome dashboard of
their own: Superset's ``user_attribute.welcome_dashboard_id``, which
``/superset/welcome/`` already honours. So the rule is "always the tenant's
Getting Started dashboard, until the user's own welcome dashboard is set".
"""

from __future__ import annotations

from typing import Any

WELCOME_PATHS = frozenset({"/superset/welcome/", "/superset/welcome"})


def home_redirect(
    path: str, method: str, tenant_home_dashboard_id: int | None, own_welcome_dashboard_id: int | None
) -> str | None:
    """Where Superset's home page should send this caller instead, or None to let Superset answer."""
    if method not in ("GET", "HEAD") or path not in WELCOME_PATHS:
        return None
    if own_welcome_dashboard_id is not None or tenant_home_dashboard_id is None:
        return None
    return f"/superset/dashboard/{int(tenant_home_dashboard_id)}/"


# --- adapter -------------------------------------------------------------------------------------


def own_welcome_dashboard_id(user_id: int) -> int | None:
    from superset.extensions import db
    from superset.models.user_attributes import UserAttribute

    found = db.session.query(UserAttribute.welcome_dashboard_id).filter_by(user_id=user_id).scalar()
    return int(found) if found is not None else None


def home_guard() -> Any:
    """``before_request``: send a tenant user from Superset's home to the tenant's home dashboard."""
    from flask import redirect, request

    from supertenant.superset_ext.context import current_user_id
    from supertenant.superset_ext.flags import current_tenant

    if request.path not in WELCOME_PATHS:
        return None  # the cheap test first: this runs before every request
    tenant = current_tenant()
    user_id = current_user_id()
    if tenant is None or user_id is None or tenant.home_dashboard_id is None:
        return None
    target = home_redirect(
        request.path, request.method, tenant.home_dashboard_id, own_welcome_dashboard_id(user_id)
    )
    return redirect(request.script_root + target) if target else None
