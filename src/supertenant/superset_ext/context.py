"""The tenant of the current request: from the caller's membership, or from the Host header.

``request_tenant()`` is the tenant whose data the caller may see (None for
platform users and anonymous callers); ``host_tenant()`` is the tenant whose
hostname the request came to (used for pages before login). Both work with
no request at all, returning None.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, has_request_context, request

from supertenant.superset_ext.directory import TenantDirectory, TenantInfo

EXTENSION_KEY = "supertenant_directory"
_UNSET = object()


def directory() -> TenantDirectory:
    found: TenantDirectory = current_app.extensions[EXTENSION_KEY]
    return found


def current_user_id() -> int | None:
    """The authenticated user's id from the session or a JWT, without failing on anonymous calls."""
    if not has_request_context():
        return None
    user = getattr(g, "user", None)
    if (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "id", None) is not None
    ):
        return int(user.id)
    from flask_login import current_user

    if getattr(current_user, "is_authenticated", False) and getattr(current_user, "id", None) is not None:
        return int(current_user.id)
    try:
        from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

        if verify_jwt_in_request(optional=True) is not None:
            identity = get_jwt_identity()
            return int(identity) if identity is not None else None
    except Exception:  # a bad token is the API's business, not ours
        return None
    return None


def request_tenant() -> TenantInfo | None:
    """The caller's tenant, resolved once per request."""
    if not has_request_context():
        return None
    cached: Any = getattr(g, "_supertenant_tenant", _UNSET)
    if cached is not _UNSET:
        return cached
    tenant = directory().tenant_of_user(current_user_id())
    g._supertenant_tenant = tenant
    return tenant


def host_tenant() -> TenantInfo | None:
    """The tenant whose hostname this request was sent to."""
    if not has_request_context():
        return None
    return directory().tenant_of_host(request.host)


def display_tenant() -> TenantInfo | None:
    """The tenant a page should look like: the caller's, else the hostname's."""
    return request_tenant() or host_tenant()
