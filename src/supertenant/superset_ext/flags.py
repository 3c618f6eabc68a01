"""Per-tenant features: feature flags, what the UI shows, and a request guard for what it must not reach.

The tenant's ``features`` (SQL Lab, Explore, chat, CSV export, alerts and
reports) act at three levels:

1. Permissions: the tenant roles simply lack SQL Lab / Explore / CSV
   permissions when the feature is off (``provision/permissions.py``).
2. What the frontend reads: ``SUPERTENANT_*`` feature flags, Superset's own
   flags narrowed (``ALERT_REPORTS``, ``ALLOW_FULL_CSV_EXPORT``), the menu and
   the permission list in the bootstrap payload, so no link leads to a refusal.
3. A request guard: ``/sqllab/``, ``/explore/`` and their APIs are refused for a
   tenant whose feature is off, even if a permission slipped into a role; so is
   Explore's save through the chart API (a new chart, or a chart's query changed),
   which the editor's ``Chart.can_write`` would otherwise allow.

Everything here except the two adapters at the bottom is pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from supertenant.provision.permissions import CSV_EXPORT, EXPLORE, SQL_LAB, SQL_LAB_CSV, VIEWER, Permission
from supertenant.spec.models import Features
from supertenant.superset_ext.directory import TenantInfo

DEFAULT_FEATURES: Mapping[str, bool] = Features().model_dump()

# One flag per tenant feature, readable by the frontend and extensions (``common.feature_flags``).
TENANT_FLAGS: Mapping[str, str] = {
    "sql_lab": "SUPERTENANT_SQL_LAB",
    "explore": "SUPERTENANT_EXPLORE",
    "chat": "SUPERTENANT_CHAT",
    "csv_export": "SUPERTENANT_CSV_EXPORT",
    "alerts_reports": "SUPERTENANT_ALERTS_REPORTS",
}
# Superset's own flags a tenant feature can switch off (never on: the platform's value is the ceiling).
NARROWED_FLAGS: Mapping[str, str] = {
    "ALERT_REPORTS": "alerts_reports",
    "ALLOW_FULL_CSV_EXPORT": "csv_export",
}

# Route prefixes of each guarded feature; a prefix matches itself and everything below it.
FEATURE_ROUTES: Mapping[str, tuple[str, ...]] = {
    "sql_lab": (
        "/sqllab",
        "/superset/sqllab",
        "/api/v1/sqllab",
        "/api/v1/query",
        "/api/v1/saved_query",
        "/savedqueryview",
        "/tabstateview",
        "/tableschemaview",
    ),
    "explore": (
        "/explore",
        "/superset/explore",
        "/superset/explore_json",
        "/api/v1/explore",
        "/chart/add",  # the new-chart page: a dataset and a chart type, then straight into Explore
    ),
}
FEATURE_LABELS: Mapping[str, str] = {"sql_lab": "SQL Lab", "explore": "Explore"}

# Explore's save goes through the chart API, which an editor's ``Chart.can_write`` opens whatever
# the features say (it also covers chart properties: name, owners, description, cache timeout).
# With Explore off, creating a chart, or changing what a chart queries, is Explore and is refused.
_CHART_CREATE = re.compile(r"^/api/v1/chart/?$")
_CHART_UPDATE = re.compile(r"^/api/v1/chart/\d+/?$")
CHART_QUERY_FIELDS = frozenset(
    {"viz_type", "params", "query_context", "query_context_generation", "datasource_id", "datasource_type"}
)

# Menu entries (Flask-AppBuilder names) of SQL Lab, registered by Superset's initialization.
SQL_LAB_MENU = frozenset({"SQL Lab", "SQL Editor", "Saved Queries", "Query Search"})


def features_of(tenant: TenantInfo) -> dict[str, bool]:
    """The tenant's switches, the spec's defaults filling any the registry row lacks."""
    found = {k: v for k, v in tenant.features.items() if k in DEFAULT_FEATURES and isinstance(v, bool)}
    return {**DEFAULT_FEATURES, **found}


def flags_for(tenant: TenantInfo | None, base_flags: Mapping[str, bool]) -> dict[str, bool]:
    """The feature flags of a request made for ``tenant``; ``None`` (platform, start-up, Celery) = base."""
    flags = dict(base_flags)
    if tenant is None:
        return flags
    features = features_of(tenant)
    for feature, flag in TENANT_FLAGS.items():
        flags[flag] = features[feature]
    for flag, feature in NARROWED_FLAGS.items():
        if flag in flags:
            flags[flag] = bool(flags[flag]) and features[feature]
    return flags


def _normalise(path: str) -> str:
    return re.sub(r"/{2,}", "/", path)


def refused_feature(path: str, features: Mapping[str, bool]) -> str | None:
    """The switched-off feature that ``path`` belongs to, or None when the path is not a feature's."""
    path = _normalise(path)
    for feature, prefixes in FEATURE_ROUTES.items():
        if features.get(feature, DEFAULT_FEATURES[feature]):
            continue
        if any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes):
            return feature
    return None


def is_chart_save(path: str, method: str) -> bool:
    """A request that may save a chart (create one, or update one); its body decides for updates."""
    path = _normalise(path)
    return (method == "POST" and bool(_CHART_CREATE.match(path))) or (
        method == "PUT" and bool(_CHART_UPDATE.match(path))
    )


def refused_chart_save(path: str, method: str, fields: Iterable[str], features: Mapping[str, bool]) -> bool:
    """Is this Explore's chart save (a new chart, or a chart's query changed) while Explore is off?

    ``fields`` are the top-level keys of the request's JSON body.
    """
    if features.get("explore", DEFAULT_FEATURES["explore"]) or not is_chart_save(path, method):
        return False
    return method == "POST" or bool(set(fields) & CHART_QUERY_FIELDS)


def hidden_permissions(features: Mapping[str, bool]) -> frozenset[Permission]:
    """Permissions the UI must not see for these features (a viewer's own ones are never hidden)."""
    hidden: set[Permission] = set()
    if not features.get("sql_lab", DEFAULT_FEATURES["sql_lab"]):
        hidden |= {*SQL_LAB, *SQL_LAB_CSV}
    if not features.get("explore", DEFAULT_FEATURES["explore"]):
        hidden |= set(EXPLORE)
    if not features.get("csv_export", DEFAULT_FEATURES["csv_export"]):
        hidden |= {*CSV_EXPORT, *SQL_LAB_CSV}
    return frozenset(hidden - set(VIEWER))


def strip_permissions(
    roles_permissions: Mapping[str, Iterable[Any]], hidden: frozenset[Permission]
) -> dict[str, list[Any]]:
    """``{role: [[perm, view], ...]}`` (the bootstrap's shape) without the hidden pairs."""
    return {
        role: [pair for pair in pairs if (str(pair[0]), str(pair[1])) not in hidden]
        for role, pairs in roles_permissions.items()
    }


def filter_menu(menu: Iterable[Mapping[str, Any]], features: Mapping[str, bool]) -> list[dict[str, Any]]:
    """Superset's menu without the entries of switched-off features; emptied categories go too."""
    hidden = set() if features.get("sql_lab", DEFAULT_FEATURES["sql_lab"]) else set(SQL_LAB_MENU)
    kept: list[dict[str, Any]] = []
    for item in menu:
        if item.get("name") in hidden:
            continue
        entry = dict(item)
        children = item.get("childs")
        if isinstance(children, list) and children:
            entry["childs"] = [
                c for c in children if not (isinstance(c, Mapping) and c.get("name") in hidden)
            ]
            if not entry["childs"]:
                continue
        kept.append(entry)
    return kept


# --- adapters ------------------------------------------------------------------------------------


def current_tenant() -> TenantInfo | None:
    """The caller's tenant; None with no request (start-up, Celery) or before supertenant is loaded."""
    from flask import current_app, has_request_context

    from supertenant.superset_ext.context import EXTENSION_KEY, request_tenant

    if not has_request_context() or EXTENSION_KEY not in current_app.extensions:
        return None
    return request_tenant()


def get_feature_flags(flags: dict[str, bool]) -> dict[str, bool]:
    """``GET_FEATURE_FLAGS_FUNC``: Superset calls it on every ``is_feature_enabled``, so it stays cheap.

    The tenant is resolved once per request (``request_tenant`` caches it on ``g``); a
    re-entrant call made while resolving it (user loading) gets the base flags.
    """
    from flask import g, has_request_context

    if not has_request_context() or getattr(g, "_supertenant_flags_busy", False):
        return flags
    g._supertenant_flags_busy = True
    try:
        return flags_for(current_tenant(), flags)
    finally:
        g._supertenant_flags_busy = False


def feature_guard() -> Any:
    """``before_request``: refuse a switched-off feature's routes to the tenant's users (403)."""
    from flask import Response, jsonify, request

    tenant = current_tenant()
    if tenant is None:
        return None
    features = features_of(tenant)
    feature = refused_feature(request.path, features)
    if feature is None and is_chart_save(request.path, request.method):
        body = request.get_json(silent=True)
        fields = body.keys() if isinstance(body, dict) else ()
        if refused_chart_save(request.path, request.method, fields, features):
            feature = "explore"
    if feature is None:
        return None
    message = f"{FEATURE_LABELS.get(feature, feature)} is not enabled for your organisation."
    if request.path.startswith("/api/") or request.is_json:
        response = jsonify(message=message)
        response.status_code = 403
        return response
    return Response(message, 403, mimetype="text/plain")
