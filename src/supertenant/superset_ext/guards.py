"""Request guards for what Superset 6.1 leaves open to tenant users.

Each refusal looks like "not found", so a tenant cannot tell an object of
another tenant from one that does not exist. The decisions are the pure
functions in ``policy.py``; this module only reads the request and answers.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response, g, jsonify, request
from werkzeug.datastructures import ImmutableMultiDict

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


def _request_fields() -> dict[str, Any]:
    """The request's JSON object, else its form fields (values still JSON text where Superset's are)."""
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return request.form.to_dict() if request.form else {}


def tenant_of_dataset(dataset_id: Any) -> str | None:
    from superset.connectors.sqla.models import SqlaTable
    from superset.extensions import db

    try:
        dataset = db.session.get(SqlaTable, int(dataset_id))
    except (TypeError, ValueError):
        return None
    return directory().tenant_of_database(dataset.database_id) if dataset is not None else None


def tenant_of_chart(chart_id: Any) -> str | None:
    from superset.extensions import db
    from superset.models.slice import Slice

    try:
        chart = db.session.get(Slice, int(chart_id))
    except (TypeError, ValueError):
        return None
    if chart is None or chart.datasource_type != "table":
        return None
    return tenant_of_dataset(chart.datasource_id)


def tenant_of_dashboard(dashboard_id: Any) -> str | None:
    """A dashboard (by id, slug or UUID) belongs to the tenant whose template made it, else see policy."""
    from superset.extensions import db
    from superset.models.dashboard import Dashboard

    how, value = policy.dashboard_lookup(str(dashboard_id))
    column = {"id": Dashboard.id, "uuid": Dashboard.uuid, "slug": Dashboard.slug}[how]
    dashboard = db.session.query(Dashboard).filter(column == value).one_or_none()
    if dashboard is None:
        return None
    snapshot = directory().snapshot()
    made_by = [i.slug for i in snapshot.by_slug.values() if dashboard.id in i.dashboard_ids.values()]
    owners = (snapshot.by_user.get(owner.id) for owner in dashboard.owners)
    data = (directory().tenant_of_database(ds.database_id) for ds in dashboard.datasources)
    return policy.owning_tenant(made_by[0] if made_by else None, owners, data)


def _permalink_command(kind: str, key: str) -> Any:
    from superset.commands.dashboard.permalink.get import GetDashboardPermalinkCommand
    from superset.commands.explore.permalink.get import GetExplorePermalinkCommand
    from superset.commands.sql_lab.permalink.get import GetSqlLabPermalinkCommand

    commands: dict[str, Any] = {
        "explore_permalink": GetExplorePermalinkCommand,
        "dashboard_permalink": GetDashboardPermalinkCommand,
        "sqllab_permalink": GetSqlLabPermalinkCommand,
    }
    return commands[kind](key)


def _key_state(ref: policy.Ref) -> dict[str, Any] | None:
    """What a state key stores (explore form data, a permalink), or None if it resolves to nothing."""
    from superset.daos.key_value import KeyValueDAO
    from superset.extensions import cache_manager
    from superset.key_value.utils import decode_permalink_id

    if ref.kind == "explore_state":
        state = cache_manager.explore_form_data_cache.get(ref.value)
        return dict(state) if isinstance(state, dict) else None
    command = _permalink_command(ref.kind, ref.value)
    try:
        key = decode_permalink_id(ref.value, salt=command.salt)
        value = KeyValueDAO.get_value(command.resource, key, command.codec)
    except Exception:  # an undecodable or unreadable key is Superset's to answer
        return None
    return dict(value) if isinstance(value, dict) else None


def _swap_key(ref: policy.Ref) -> None:
    """Hand Superset a key of the same kind that resolves nowhere, in place of a foreign one."""
    from superset.key_value.utils import encode_permalink_key

    nowhere = policy.NOWHERE_KEY
    if ref.kind != "explore_state":
        nowhere = encode_permalink_key(policy.NOWHERE_ID, _permalink_command(ref.kind, "").salt)
    if ref.arg is not None:
        args = request.args.copy()
        args[ref.arg] = nowhere
        request.args = ImmutableMultiDict(args)
    elif request.view_args:
        request.view_args = {k: nowhere if v == ref.value else v for k, v in request.view_args.items()}


def tenant_of_database_name(name: str) -> str | None:
    from superset.extensions import db
    from superset.models.core import Database

    found = db.session.query(Database.id).filter(Database.database_name == name).one_or_none()
    return directory().tenant_of_database(found[0]) if found is not None else None


def _rison_query() -> dict[str, Any]:
    """The request's rison ``q`` when it is an object (Superset's own views parse it the same way)."""
    import prison

    try:
        parsed = prison.loads(request.args.get("q", ""))
    except Exception:  # not rison: Superset answers it
        return {}
    return parsed if isinstance(parsed, dict) else {}


_TENANT_OF = {
    "chart": tenant_of_chart,
    "dataset": tenant_of_dataset,
    "dashboard": tenant_of_dashboard,
    "database": lambda value: directory().tenant_of_database(int(value)),
    "database_name": tenant_of_database_name,
}


def _tenants_behind(ref: policy.Ref) -> list[str | None] | None:
    if ref.kind in policy.OBJECT_KINDS:
        return [_TENANT_OF[ref.kind](ref.value)]
    state = _key_state(ref)
    if state is None:
        return None
    return [_TENANT_OF[inner.kind](inner.value) for inner in policy.key_references(ref.kind, state)]


def _guard_references(slug: str) -> Response | None:
    """Every object the request names must be the caller's tenant's: else "not found"."""
    rison = _rison_query() if request.args.get("q") else {}
    for ref in policy.references(request.path, request.args, _request_fields(), rison):
        if not policy.refused_reference(slug, ref, _tenants_behind(ref)):
            continue
        if not policy.swapped(ref):
            return not_found()
        _swap_key(ref)
    return None


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
    if policy.is_chart_write(path, method) and (refused := _guard_chart_write(tenant.slug)):
        return refused
    return _guard_references(tenant.slug)


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
