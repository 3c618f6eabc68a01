"""Tenant policy as pure functions: plain values in, decisions out (no Flask, no Superset).

``None`` as a tenant means "not a tenant user": the platform admin, or an
anonymous caller whom Superset's own authentication handles.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from supertenant.templates.uuids import object_uuid

# Endpoints no tenant user may call, whatever their role holds.
_IMPORT = re.compile(r"^/api/v1/[a-z_]+/import/?$")
_RELATED = re.compile(r"^/api/v1/(?P<resource>[a-z_]+)/related/(?P<column>[a-z_]+)/?$")
_PEOPLE_COLUMNS = frozenset({"created_by", "changed_by", "owners", "roles", "user", "users", "last_saved_by"})
# Related endpoints whose query Superset narrows with EXTRA_RELATED_QUERY_FILTERS (set by supertenant).
_FILTERED_RELATED = frozenset({("chart", "owners"), ("dashboard", "owners"), ("dashboard", "roles")})
_AVATAR = re.compile(r"^/api/v1/user/(?P<id>\d+)/avatar\.png$")
_CHART_WRITE = re.compile(r"^/api/v1/chart/(?P<id>\d+)?/?$")
# The deprecated server-rendered Explore: POST renders any dataset and chart with no access check
# (and saves charts on them); the SPA only uses /explore/ and /api/v1/explore/.
_LEGACY_EXPLORE = "/superset/explore/"
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
    if method == "POST" and path.startswith(_LEGACY_EXPLORE):
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


# -- Objects a request names ------------------------------------------------------------------------
#
# A tenant user may only name objects of their own tenant. Superset answers an object of another
# tenant with 403 (or renders it) but a missing one with 404 (or a fallback), which tells the two
# apart; so every id, slug or UUID a request names is checked against the caller's tenant first and
# anything else is "not found". State keys (explore form data, permalinks) are resolved to the
# objects they point at; a key that points nowhere is left to Superset.

OBJECT_KINDS = frozenset({"chart", "dataset", "dashboard", "database", "database_name"})
KEY_KINDS = frozenset({"explore_state", "explore_permalink", "dashboard_permalink", "sqllab_permalink"})
# A form-data key, and the key-value row id of a permalink, that exist nowhere: a foreign key is
# swapped for one of these so Superset answers exactly as it does for an unknown key.
NOWHERE_KEY = "0" * 11
NOWHERE_ID = 2**31 - 1


@dataclass(frozen=True)
class Ref:
    """One object (or state key) a request names; ``arg`` is the query argument it came in."""

    kind: str
    value: str
    arg: str | None = None


_DASHBOARD_PATH = re.compile(r"^/(?:api/v1|superset)/dashboard/(?P<value>[^/]+)(?:/|$)")
_NOT_A_DASHBOARD = frozenset({"_info", "related", "export", "import", "favorite_status", "permalink", "p"})
_PATH_REFS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^/superset/slice/(?P<value>\d+)/?$"), "chart"),
    (re.compile(r"^/superset/explore_json/table/(?P<value>\d+)/?$"), "dataset"),
    (re.compile(r"^(?:/api/v1)?/datasource/(?:get/|external_metadata/)?table/(?P<value>\d+)/"), "dataset"),
    (re.compile(r"^/api/v1/explore/form_data/(?P<value>[^/]+)/?$"), "explore_state"),
    (re.compile(r"^/(?:api/v1|superset)/explore/(?:permalink|p)/(?P<value>[^/]+)/?$"), "explore_permalink"),
    (
        re.compile(r"^/(?:api/v1|superset)/dashboard/(?:permalink|p)/(?P<value>[^/]+)/?$"),
        "dashboard_permalink",
    ),
    (re.compile(r"^/(?:api/v1/sqllab/permalink|sqllab/p)/(?P<value>[^/]+)/?$"), "sqllab_permalink"),
)
_ID_FIELDS = {
    "slice_id": "chart",
    "chart_id": "chart",
    "dataset_id": "dataset",
    "dashboard_id": "dashboard",
    "dashboardId": "dashboard",
}
_DATABASE_FIELDS = ("database_id", "db_id", "dbId")
_KEY_ARGS = {"form_data_key": "explore_state", "permalink_key": "explore_permalink"}
_DATASOURCE_UID = re.compile(r"^(?P<id>\d+)__table$")


def _as_id(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return str(value)
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return str(int(value))
    return None


def _datasource_refs(fields: Mapping[str, Any]) -> list[Ref]:
    refs = []
    datasource = fields.get("datasource")
    if (
        isinstance(datasource, Mapping)
        and str(datasource.get("type") or "table") == "table"
        and (value := _as_id(datasource.get("id"))) is not None
    ):
        refs.append(Ref("dataset", value))
    for name in ("datasource", "datasourceKey"):
        text = fields.get(name)
        if isinstance(text, str) and (match := _DATASOURCE_UID.match(text)):
            refs.append(Ref("dataset", match["id"], name))
    table = str(fields.get("datasource_type") or "table") == "table"
    if table and (value := _as_id(fields.get("datasource_id"))) is not None:
        refs.append(Ref("dataset", value, "datasource_id"))
    return refs


def _field_refs(fields: Mapping[str, Any], *, databases: bool) -> list[Ref]:
    refs = _datasource_refs(fields)
    for name, kind in _ID_FIELDS.items():
        if (value := _as_id(fields.get(name))) is not None:
            refs.append(Ref(kind, value, name))
    if databases:
        refs += [Ref("database", v) for n in _DATABASE_FIELDS if (v := _as_id(fields.get(n))) is not None]
    return refs


def _nested(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, Mapping) else {}


def references(
    path: str, args: Mapping[str, Any], body: Mapping[str, Any], rison: Mapping[str, Any] | None = None
) -> list[Ref]:
    """Every object a request names in its path, query string (``rison``: its ``q``) or body."""
    refs: list[Ref] = []
    dashboard = _DASHBOARD_PATH.match(path)
    if dashboard and dashboard["value"] not in _NOT_A_DASHBOARD:
        refs.append(Ref("dashboard", dashboard["value"]))
    for pattern, kind in _PATH_REFS:
        if match := pattern.match(path):
            refs.append(Ref(kind, match["value"]))
    refs += _field_refs(args, databases=False)
    refs += [Ref(kind, str(args[name]), name) for name, kind in _KEY_ARGS.items() if args.get(name)]
    refs += _field_refs(_nested(args.get("form_data")), databases=False)
    refs += _field_refs(rison or {}, databases=True)
    if isinstance(name := (rison or {}).get("database_name"), str) and name:
        refs.append(Ref("database_name", name, "q"))
    refs += _body_refs(body)
    return list(dict.fromkeys(refs))


# Body fields that carry a JSON object of their own: explore and chart-data state, the legacy
# /api/v1/query/ form, and SQL Lab's tab and table forms.
_NESTED_FIELDS = ("form_data", "formData", "query_context", "queryEditor", "table")


def _body_refs(body: Mapping[str, Any], depth: int = 0) -> list[Ref]:
    refs = _field_refs(body, databases=True)
    if depth < 2:
        for name in _NESTED_FIELDS:
            refs += _body_refs(_nested(body.get(name)), depth + 1)
    return refs


def key_references(kind: str, state: Mapping[str, Any]) -> list[Ref]:
    """The objects a stored state (explore form data, a permalink) points at."""
    if kind == "explore_state":
        return _field_refs(
            {
                "datasource_id": state.get("datasource_id"),
                "datasource_type": state.get("datasource_type"),
                "chart_id": state.get("chart_id"),
            },
            databases=False,
        )
    if kind == "explore_permalink":
        fields = {
            "datasource_id": state.get("datasourceId") or state.get("datasetId"),
            "datasource_type": state.get("datasourceType"),
            "chart_id": state.get("chartId"),
        }
        return _field_refs(fields, databases=False)
    if kind == "dashboard_permalink":
        value = state.get("dashboardId")
        return [Ref("dashboard", str(value))] if value not in (None, "") else []
    if kind == "sqllab_permalink":
        value = _as_id(state.get("dbId"))
        return [Ref("database", value)] if value is not None else []
    return []


def refused_reference(user_tenant: str, ref: Ref, object_tenants: Sequence[str | None] | None) -> bool:
    """Must the guard answer "not found" for this reference?

    ``object_tenants`` are the tenants of the objects behind ``ref`` (None: an object of no tenant,
    or none at all); for a key, None means the key resolves to nothing. An object must be the
    caller's; a key is refused when it points into another tenant.
    """
    if ref.kind in KEY_KINDS:
        return object_tenants is not None and any(t is not None and t != user_tenant for t in object_tenants)
    return not object_tenants or any(t != user_tenant for t in object_tenants)


def swapped(ref: Ref) -> bool:
    """Is a refused reference swapped for a key that resolves nowhere, rather than refused (404)?

    Keys are: Superset answers an unknown key in its own way (a permission check first, then a
    fallback to the chart, a redirect or 404), so only a key that truly resolves nowhere gets the
    same answer as a missing one. Objects named by id are refused whether foreign or missing.
    """
    return ref.kind in KEY_KINDS


def dashboard_lookup(value: str) -> tuple[str, Any]:
    """How to find a dashboard named by ``value``: ("id", int), ("uuid", UUID) or ("slug", str)."""
    if value.isdigit():
        return "id", int(value)
    try:
        return "uuid", uuid.UUID(value)
    except ValueError:
        return "slug", value


def owning_tenant(
    registry: str | None, owners: Iterable[str | None], data: Iterable[str | None]
) -> str | None:
    """A dashboard's tenant: its registry entry, else its owners' one tenant, else its data's one tenant.

    Platform users (None) among the owners do not count; a dashboard whose owners or data span
    two tenants belongs to neither.
    """
    if registry is not None:
        return registry
    people = set(owners) - {None}
    if people:
        return people.pop() if len(people) == 1 else None
    tenants = set(data)  # read only when needed: loading a dashboard's datasources costs queries
    return tenants.pop() if len(tenants) == 1 else None


# -- Each tenant's own usage dashboard (docs/billing.md §7) -----------------------------------------
#
# `supertenant usage dashboard` gives each tenant a DuckDB file holding only that tenant's usage
# aggregates, behind a Superset database of its own. That database belongs to the tenant when both
# its name and its UUID are the ones derived from the tenant's slug; its datasets, charts and
# dashboard then belong to the tenant through it, like the tenant's warehouse connection.

USAGE_DATABASE_PREFIX = "_usage_"


def usage_database_name(slug: str) -> str:
    return f"{USAGE_DATABASE_PREFIX}{slug}"


def usage_uuid(slug: str, *parts: str) -> uuid.UUID:
    """Deterministic UUID of one of the tenant's usage objects (``database``, ``dataset/<t>``, …)."""
    return object_uuid(slug, "usage", *parts)


def as_uuid(value: Any) -> uuid.UUID | None:
    """A UUID as the metadata DB returns it (UUID, 16 bytes on SQLite, text on Postgres), else None."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        if isinstance(value, bytes | bytearray | memoryview):
            raw = bytes(value)
            return uuid.UUID(bytes=raw) if len(raw) == 16 else uuid.UUID(raw.decode())
        if isinstance(value, str):
            return uuid.UUID(value)
    except ValueError:
        return None
    return None


def usage_database_tenant(name: str, database_uuid: Any, slugs: Iterable[str]) -> str | None:
    """The tenant whose usage database this is: name *and* UUID derived from its slug, else None."""
    if not name.startswith(USAGE_DATABASE_PREFIX):
        return None
    slug = name.removeprefix(USAGE_DATABASE_PREFIX)
    if slug not in set(slugs):
        return None
    return slug if as_uuid(database_uuid) == usage_uuid(slug, "database") else None
