"""Tenant policy as pure functions: plain values in, decisions out (no Flask, no Superset).

``None`` as a tenant means "not a tenant user": the platform admin, or an
anonymous caller whom Superset's own authentication handles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Endpoints no tenant user may call, whatever their role holds.
_IMPORT = re.compile(r"^/api/v1/[a-z_]+/import/?$")
_RELATED = re.compile(r"^/api/v1/(?P<resource>[a-z_]+)/related/(?P<column>[a-z_]+)/?$")
_PEOPLE_COLUMNS = frozenset({"created_by", "changed_by", "owners", "roles", "user", "users", "last_saved_by"})
# Related endpoints whose query Superset narrows with EXTRA_RELATED_QUERY_FILTERS (set by supertenant).
_FILTERED_RELATED = frozenset({("chart", "owners"), ("dashboard", "owners"), ("dashboard", "roles")})
_AVATAR = re.compile(r"^/api/v1/user/(?P<id>\d+)/avatar\.png$")
_CHART_WRITE = re.compile(r"^/api/v1/chart/(?P<id>\d+)?/?$")
_ADMIN_ONLY_PREFIXES = (
    "/api/v1/security/users",
    "/api/v1/security/roles",
    "/api/v1/security/groups",
    "/api/v1/security/permissions",
    "/api/v1/security/resources",
    "/api/v1/rowlevelsecurity",
    "/api/v1/log/",
    "/api/v1/theme/",
    "/api/v1/css_template/",
    "/api/v1/annotation_layer/",
    "/api/v1/cachekey/",
    "/api/v1/assets/",
    "/api/v1/supertenant/",
    "/api/v1/_openapi",
    "/swagger/",
    "/users/",
    "/roles/",
    "/groups/",
    "/registrations/",
    "/rowlevelsecurity/",
    "/actionlog/",
)


def refused_path(path: str, method: str) -> bool:
    """True when a tenant user must not reach this route at all (answered as 404)."""
    if path.startswith(_ADMIN_ONLY_PREFIXES):
        return True
    if method == "POST" and _IMPORT.match(path):
        return True
    related = _RELATED.match(path)
    if related is None:
        return False
    column = related["column"]
    return column in _PEOPLE_COLUMNS and (related["resource"], column) not in _FILTERED_RELATED


def host_mismatch(user_tenant: str | None, host_tenant: str | None) -> bool:
    """A tenant user on another tenant's hostname is refused; platform users go anywhere."""
    return user_tenant is not None and host_tenant is not None and user_tenant != host_tenant


def visible(user_tenant: str | None, object_tenant: str | None) -> bool:
    """May a caller see an object? Platform users see all; tenant users only their tenant's."""
    return user_tenant is None or object_tenant == user_tenant


def avatar_user_id(path: str) -> int | None:
    match = _AVATAR.match(path)
    return int(match["id"]) if match else None


def is_chart_write(path: str, method: str) -> bool:
    return method in ("POST", "PUT") and bool(_CHART_WRITE.match(path))


def native_annotation_layers(query_context: Mapping[str, Any]) -> list[Any]:
    """Annotation layers that read Superset's own annotation tables (no access check upstream)."""
    found = []
    for query in query_context.get("queries", []) or []:
        for layer in (query or {}).get("annotation_layers", []) or []:
            if isinstance(layer, Mapping) and str(layer.get("sourceType", "")).upper() == "NATIVE":
                found.append(layer.get("value"))
    form_data = query_context.get("form_data") or {}
    for layer in form_data.get("annotation_layers", []) or []:
        if isinstance(layer, Mapping) and str(layer.get("sourceType", "")).upper() == "NATIVE":
            found.append(layer.get("value"))
    return found


def foreign_ids(ids: Iterable[Any], tenant_of: Mapping[int, str | None], user_tenant: str) -> list[int]:
    """The ids in ``ids`` that do not belong to ``user_tenant`` (unknown ids count as foreign)."""
    out = []
    for raw in ids:
        try:
            key = int(raw)
        except (TypeError, ValueError):
            continue
        if tenant_of.get(key) != user_tenant:
            out.append(key)
    return out
