"""Request guards for what Superset 6.1 leaves open to tenant users.

Each refusal looks like "not found", so a tenant cannot tell an object of
another tenant from one that does not exist. The decisions are the pure
functions in ``policy.py``; this module only reads the request and answers.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, jsonify, request

from supertenant.superset_ext import policy
from supertenant.superset_ext.context import directory, host_tenant, request_tenant
from supertenant.superset_ext.security import FILTER_USERS_FLAG


def not_found() -> Response:
    response = (
        jsonify(message="Not found") if request.path.startswith("/api/") else Response("Not found", 404)
    )
    response.status_code = 404
    return response


def wrong_host() -> Response:
    body = "This account belongs to another organisation's site. Sign in on your own organisation's address."
    if request.path.startswith("/api/"):
        response = jsonify(message=body)
        response.status_code = 403
        return response
    return Response(body, 403, mimetype="text/plain")


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    form_data = request.form.get("form_data")
    if form_data:
        try:
            parsed = json.loads(form_data)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def tenant_of_dataset(dataset_id: Any) -> str | None:
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    try:
        dataset = db.session.get(SqlaTable, int(dataset_id))
    except (TypeError, ValueError):
        return None
    return directory().tenant_of_database(dataset.database_id) if dataset is not None else None


def tenant_of_dashboard(dashboard_id: Any) -> str | None:
    """A dashboard belongs to the tenant whose template made it, or whose members own all of it."""
    from superset.extensions import db
    from superset.models.dashboard import Dashboard

    try:
        dashboard = db.session.get(Dashboard, int(dashboard_id))
    except (TypeError, ValueError):
        return None
    if dashboard is None:
        return None
    snapshot = directory().snapshot()
    for info in snapshot.by_slug.values():
        if dashboard.id in info.dashboard_ids.values():
            return info.slug
    owners = {snapshot.by_user.get(owner.id) for owner in dashboard.owners}
    return owners.pop() if len(owners) == 1 else None


def guard() -> Response | None:
    """Runs before every request; None lets Superset handle it."""
    tenant = request_tenant()
    if tenant is None:
        return None  # platform users and anonymous callers: Superset's own checks apply
    setattr(g, FILTER_USERS_FLAG, True)
    host = host_tenant()
    if policy.host_mismatch(tenant.slug, host.slug if host else None):
        return wrong_host()
    path, method = request.path, request.method
    if policy.refused_path(path, method):
        return not_found()
    avatar = policy.avatar_user_id(path)
    if avatar is not None:
        member = directory().tenant_of_user(avatar)
        return None if member is not None and member.slug == tenant.slug else not_found()
    chart_data = method == "POST" and path.startswith("/api/v1/chart") and path.rstrip("/").endswith("/data")
    if chart_data and policy.native_annotation_layers(_json_body()):
        return not_found()
    if policy.is_chart_write(path, method):
        return _guard_chart_write(tenant.slug)
    return None


def _guard_chart_write(slug: str) -> Response | None:
    body = _json_body()
    if "datasource_id" in body and tenant_of_dataset(body["datasource_id"]) != slug:
        return not_found()
    for dashboard_id in body.get("dashboards") or []:
        if tenant_of_dashboard(dashboard_id) != slug:
            return not_found()
    return None


def register_guards(app: Flask) -> None:
    app.before_request(guard)
