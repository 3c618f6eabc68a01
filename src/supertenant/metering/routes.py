"""Which Superset 6.1 requests are usage events, and of what kind (pure; path + method + body).

- ``chart_data``: ``POST /api/v1/chart/data``, ``GET /api/v1/chart/<pk>/data/``,
  ``/superset/explore_json/`` (``csv_export`` when the result format is csv or xlsx);
- ``dashboard_view``: ``GET /api/v1/dashboard/<id or slug>``, which the dashboard page loads on
  full page loads and on in-app navigation alike;
- ``sql_lab``: ``POST /api/v1/sqllab/execute/``; ``csv_export``: ``GET /api/v1/sqllab/export/<id>/``;
- ``login``: ``POST /api/v1/security/login`` (JWT); form logins come from flask-login's signal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_CHART_DATA = re.compile(r"^/api/v1/chart/data/?$")
_CHART_PK_DATA = re.compile(r"^/api/v1/chart/(\d+)/data/?$")
_EXPLORE_JSON = re.compile(r"^/superset/explore_json/?.*$")
_DASHBOARD = re.compile(r"^/api/v1/dashboard/([A-Za-z0-9_-]+)/?$")
_SQLLAB_EXECUTE = re.compile(r"^/api/v1/sqllab/execute/?$")
_SQLLAB_EXPORT = re.compile(r"^/api/v1/sqllab/export/([^/]+)/?$")
_API_LOGIN = re.compile(r"^/api/v1/security/login/?$")
_CHAT = re.compile(r"^/supertenant/chat/api/chat/?$")  # the chat page's same-origin proxy
_EXPORT_FORMATS = {"csv", "xlsx"}
# Kinds that run warehouse queries: the daily budget applies to them.
QUERY_KINDS = frozenset({"chart_data", "sql_lab", "csv_export"})
# Dashboard list endpoints that share the /api/v1/dashboard/<x> shape.
_DASHBOARD_NOT_VIEWS = {"_info", "related", "favorite_status", "export", "import", "permalink"}


@dataclass(frozen=True, slots=True)
class Route:
    kind: str
    object_type: str | None = None
    object_id: str | None = None


def _json(text: Any) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    if not isinstance(text, str) or not text:
        return {}
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def _result_format(body: Mapping[str, Any], form: Mapping[str, Any], args: Mapping[str, Any]) -> str:
    candidates = [body, _json(form.get("form_data")), _json(args.get("form_data"))]
    for source in candidates:
        value = source.get("result_format")
        if isinstance(value, str):
            return value.lower()
    return str(args.get("format") or ("csv" if args.get("csv") == "true" else "json")).lower()


def classify(
    method: str,
    path: str,
    args: Mapping[str, Any],
    form: Mapping[str, Any] | None = None,
    body: Mapping[str, Any] | None = None,
    chart_id: int | None = None,
) -> Route | None:
    """The usage kind of a request, or None when it is not a usage event."""
    form, body = form or {}, body or {}
    method = method.upper()
    if (method == "POST" and _CHART_DATA.match(path)) or _EXPLORE_JSON.match(path):
        kind = "csv_export" if _result_format(body, form, args) in _EXPORT_FORMATS else "chart_data"
        return Route(kind, "chart", None if chart_id is None else str(chart_id))
    if method == "GET" and (match := _CHART_PK_DATA.match(path)):
        kind = "csv_export" if _result_format(body, form, args) in _EXPORT_FORMATS else "chart_data"
        return Route(kind, "chart", match.group(1))
    if method == "GET" and (match := _DASHBOARD.match(path)) and match.group(1) not in _DASHBOARD_NOT_VIEWS:
        return Route("dashboard_view", "dashboard", match.group(1))
    if method == "POST" and _SQLLAB_EXECUTE.match(path):
        database = body.get("database_id")
        return Route("sql_lab", "database", None if database is None else str(database))
    if method == "GET" and (match := _SQLLAB_EXPORT.match(path)):
        return Route("csv_export", "query", match.group(1))
    if method == "POST" and _API_LOGIN.match(path):
        return Route("login")
    if method == "POST" and _CHAT.match(path):
        return Route("chat_request")
    return None


def endpoint_label(route: Route | None, path: str) -> str:
    """A bounded label for metrics: the usage kind, else a coarse area of the app."""
    if route is not None:
        return route.kind
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/static/"):
        return "static"
    return "page"
