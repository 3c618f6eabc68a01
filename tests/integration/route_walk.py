"""Pure helpers for the adversarial route walk (``test_isolation_walk.py``); no I/O here.

Routes come from Superset's OpenAPI spec and from its Flask URL map. Each route
becomes one or more *probe pairs*: the same request built twice, once from the
book of the victim tenant's ids ("foreign") and once from a book of ids that
exist nowhere ("missing"). The walk sends both as a user of the other tenant
and compares:

- neither answer may carry the victim's names, texts or ids (``scan``);
- both answers must have the same status (``status_oracle``), or the caller
  could tell "exists in another tenant" from "does not exist".
"""

from __future__ import annotations

import html
import io
import itertools
import json
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import prison

JSON = dict[str, Any]
WALKED_METHODS = ("GET", "POST", "PUT", "DELETE")
MISSING_ID = 987654
MISSING_UUID = "00000000-0000-4000-8000-000000987654"
MISSING_TEXT = "no-such-thing-987654"

# ---------------------------------------------------------------------------------------------
# Routes


@dataclass(frozen=True)
class Route:
    """One (method, path template) pair; the template uses OpenAPI's ``{name}`` syntax."""

    method: str
    path: str
    operation: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    sources: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    @property
    def shape(self) -> str:
        return re.sub(r"\{[^}]+\}", "{}", self.path)


_RULE_ARG = re.compile(r"<(?:[a-zA-Z_]+(?:\([^)]*\))?:)?(\w+)>")


def openapi_routes(spec: Mapping[str, Any]) -> list[Route]:
    """Every GET/POST/PUT/DELETE operation the OpenAPI spec documents."""
    routes = []
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method.upper() in WALKED_METHODS:
                routes.append(Route(method.upper(), path, operation, frozenset({"openapi"})))
    return routes


def url_map_routes(rules: Iterable[Mapping[str, Any]]) -> list[Route]:
    """Routes from Flask's URL map (``{"rule": "/x/<int:pk>", "methods": [...]}`` records)."""
    routes = []
    for rule in rules:
        path = _RULE_ARG.sub(lambda m: "{" + m[1] + "}", str(rule["rule"]))
        for method in rule["methods"]:
            if method in WALKED_METHODS:
                routes.append(Route(method, path, {}, frozenset({"url_map"})))
    return routes


def merge_routes(*groups: Iterable[Route]) -> list[Route]:
    """One route per (method, shape); the OpenAPI entry wins, sources are unioned."""
    merged: dict[tuple[str, str], Route] = {}
    for route in itertools.chain(*groups):
        key = (route.method, route.shape)
        if key not in merged:
            merged[key] = route
            continue
        known = merged[key]
        keep = known if known.operation or not route.operation else route
        merged[key] = replace(keep, sources=known.sources | route.sources)
    return sorted(merged.values(), key=lambda r: (r.path, WALKED_METHODS.index(r.method)))


def spec_operation_count(spec: Mapping[str, Any], prefix: str = "/api/") -> dict[str, int]:
    """How many operations the spec documents per walked method under ``prefix``."""
    counts = dict.fromkeys(WALKED_METHODS, 0)
    for route in openapi_routes(spec):
        if route.path.startswith(prefix):
            counts[route.method] += 1
    return counts


# ---------------------------------------------------------------------------------------------
# Object kinds and the two id books

RESOURCE_KINDS: Mapping[str, str] = {
    "chart": "chart",
    "dashboard": "dashboard",
    "dataset": "dataset",
    "database": "database",
    "saved_query": "saved_query",
    "query": "query",
    "log": "log",
    "report": "report",
    "alert": "report",
    "annotation_layer": "annotation_layer",
    "annotationlayer": "annotation_layer",
    "css_template": "css_template",
    "theme": "theme",
    "tag": "tag",
    "rowlevelsecurity": "rls",
    "security/users": "user",
    "security/roles": "role",
    "security/groups": "group",
    "security/permissions-resources": "pvm",
    "security/resources": "view_menu",
    "security/permissions": "permission",
    "security/user_registrations": "registration",
    "users": "user",
    "roles": "role",
    "groups": "group",
    "dynamic-plugins": "dynamic_plugin",
    "tabstateview": "tab_state",
    "tableschemaview": "table_schema",
    "supertenant": "tenant_slug",
}
# Kinds whose values are strings rather than integer ids.
STRING_KINDS = frozenset(
    {
        "dashboard_slug",
        "dashboard_uuid",
        "chart_uuid",
        "dataset_uuid",
        "database_uuid",
        "saved_query_uuid",
        "dashboard_permalink",
        "explore_permalink",
        "sqllab_permalink",
        "filter_state",
        "form_data",
        "cache_key",
        "client_id",
        "chart_digest",
        "dashboard_digest",
        "schema",
        "table",
        "database_name",
        "tenant_slug",
        "search",
        "user_search",
        "chart_search",
        "dashboard_search",
        "saved_query_search",
    }
)
# Parameters whose value never depends on the tenant.
CONSTANTS: Mapping[str, str] = {
    "datasource_type": "table",
    "version": "v1",
    "locale": "en",
    "lang": "en",
    "filename": "walk.txt",
    "activation_hash": "walk0000000000000000",
    "object_type": "chart",
    "tag": "walk",
    "data_column": "campaign_name",
}
_KEY_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"/dashboard/permalink/|/superset/dashboard/p/"), "dashboard_permalink"),
    (re.compile(r"/explore/permalink/|/superset/explore/p/"), "explore_permalink"),
    (re.compile(r"/sqllab/permalink/|/sqllab/p/"), "sqllab_permalink"),
    (re.compile(r"/filter_state/"), "filter_state"),
    (re.compile(r"/explore/form_data/"), "form_data"),
)


@dataclass(frozen=True)
class IdBook:
    """One side of the walk: ids (ints) and identifiers (strings) by kind."""

    label: str
    ids: Mapping[str, Sequence[int]]
    strings: Mapping[str, Sequence[str]]
    query_context: Mapping[str, Any] = field(default_factory=dict)

    def id(self, kind: str) -> int:
        values = self.ids.get(kind) or ()
        return int(values[0]) if values else MISSING_ID

    def text(self, kind: str) -> str:
        values = self.strings.get(kind) or ()
        return str(values[0]) if values else _missing_text(kind)


def _missing_text(kind: str) -> str:
    if kind.endswith("_uuid"):
        return MISSING_UUID
    if kind == "cache_key" or kind.endswith("_digest"):
        return "0" * 64
    if kind.endswith("permalink") or kind in ("filter_state", "form_data"):
        return "wALk0000000"  # the shape of a real key (11 characters), pointing nowhere
    if kind == "client_id":
        return "walk0000000"
    return MISSING_TEXT


def missing_book(foreign: IdBook, strings: Mapping[str, Sequence[str]] | None = None) -> IdBook:
    """The same kinds as ``foreign``, every value replaced by one that exists nowhere.

    ``strings`` overrides identifiers whose "missing" form must be computed (well-formed
    permalink keys, for instance: a malformed key gets a different answer than a missing one).
    """
    return IdBook(
        label="missing",
        ids={kind: [MISSING_ID] for kind in foreign.ids},
        strings={kind: [_missing_text(kind)] for kind in foreign.strings} | dict(strings or {}),
        query_context=foreign.query_context,
    )


class Recorder:
    """Reads a book and remembers what it handed out, so echoes of the request are not leaks."""

    def __init__(self, book: IdBook) -> None:
        self.book = book
        self.ids: set[tuple[str, int]] = set()
        self.strings: set[str] = set()

    def id(self, kind: str) -> int:
        value = self.book.id(kind)
        self.ids.add((kind, value))
        return value

    def text(self, kind: str) -> str:
        value = self.book.text(kind)
        self.strings.add(value)
        return value

    def value(self, kind: str) -> Any:
        if kind in CONSTANTS:
            return CONSTANTS[kind]
        return self.text(kind) if kind in STRING_KINDS else self.id(kind)

    def take(self) -> tuple[frozenset[tuple[str, int]], frozenset[str]]:
        """What was handed out since the last take (one variant's worth), then forget it."""
        taken = frozenset(self.ids), frozenset(self.strings)
        self.ids, self.strings = set(), set()
        return taken

    def part(
        self,
        note: str,
        params: Mapping[str, str] | None = None,
        *,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> _Parts:
        """One variant; its arguments were built (and recorded) just before this call."""
        ids, strings = self.take()
        return _Parts(note, dict(params or {}), json, data, files, ids, strings)


# ---------------------------------------------------------------------------------------------
# Which kind a path parameter takes


def resource_of(path: str) -> str:
    parts = [p for p in path.split("/") if p]
    if path.startswith("/api/v1/security/") and len(parts) > 3:
        return f"security/{parts[3]}"
    if path.startswith("/api/") and len(parts) > 2:
        return parts[2]
    return parts[0] if parts else ""


def route_kind(route: Route) -> str | None:
    """The kind of object a route is about (its ``{pk}``, its top-level ``id``/``result``)."""
    path = route.path
    if re.search(r"/dashboard/\{[^}]+\}/charts$", path):
        return "chart"
    if re.search(r"/dashboard/\{[^}]+\}/datasets$", path):
        return "dataset"
    if path.startswith("/api/v1/tag/{object_type}"):
        return "chart"
    return RESOURCE_KINDS.get(resource_of(path))


_PARAM_KINDS: Mapping[str, str] = {
    "annotation_id": "annotation",
    "column_id": "column",
    "metric_id": "metric",
    "log_id": "report_log",
    "role_id": "role",
    "user_id": "user",
    "object_id": "chart",
    "slice_id": "chart",
    "datasource_id": "dataset",
    "table_schema_id": "table_schema",
    "tab_state_id": "tab_state",
    "client_id": "client_id",
    "cache_key": "cache_key",
    "permalink": "sqllab_permalink",
    "uuid": "dashboard_uuid",
    "slug": "tenant_slug",
    "table_name": "table",
    "schema_name": "schema",
}


def param_forms(route: Route, name: str) -> list[tuple[str, str]]:
    """The (kind, form) values one path parameter is walked with; form is id, slug or uuid."""
    kind = route_kind(route) or "unknown"
    if name in ("id_or_slug", "dashboard_id_or_slug"):
        return [("dashboard", "id"), ("dashboard", "slug"), ("dashboard", "uuid")]
    if name == "id_or_uuid":
        return [(kind, "id"), (kind, "uuid")]
    if name == "pk":
        return [(kind, "id")]
    if name == "key":
        for pattern, key_kind in _KEY_KINDS:
            if pattern.search(route.path):
                return [(key_kind, "text")]
        return [("form_data", "text")]
    if name == "digest":
        return [(f"{'dashboard' if '/dashboard/' in route.path else 'chart'}_digest", "text")]
    if name == "column_name":
        return [("column_name", "text")]
    if name in CONSTANTS:
        return [(name, "const")]
    if name in _PARAM_KINDS:
        return [(_PARAM_KINDS[name], "text" if _PARAM_KINDS[name] in STRING_KINDS else "id")]
    return [(name, "const")]


def param_value(rec: Recorder, kind: str, form: str) -> str:
    if form == "slug":
        return rec.text("dashboard_slug")
    if form == "uuid":
        return rec.text(f"{kind}_uuid")
    if form == "const":
        return CONSTANTS.get(kind, "walk")
    if form == "text":
        return rec.text(kind)
    return str(rec.id(kind))


# ---------------------------------------------------------------------------------------------
# Request bodies

# Body fields that hold ids: name → (kind, is a list). ``None`` kind means "the route's kind".
BODY_ID_FIELDS: Mapping[str, tuple[str | None, bool]] = {
    "owners": ("user", True),
    "roles": ("role", True),
    "dashboards": ("dashboard", True),
    "tables": ("dataset", True),
    "slices": ("chart", True),
    "users": ("user", True),
    "groups": ("group", True),
    "user_ids": ("user", True),
    "role_ids": ("role", True),
    "group_ids": ("group", True),
    "permission_view_menu_ids": ("pvm", True),
    "ids": (None, True),
    "datasource_id": ("dataset", False),
    "dataset_id": ("dataset", False),
    "base_model_id": ("dataset", False),
    "table_id": ("dataset", False),
    "database": ("database", False),
    "database_id": ("database", False),
    "db_id": ("database", False),
    "dbId": ("database", False),
    "chart": ("chart", False),
    "chart_id": ("chart", False),
    "slice_id": ("chart", False),
    "dashboard": ("dashboard", False),
    "dashboard_id": ("dashboard", False),
    "saved_query_id": ("saved_query", False),
    "query_id": ("query", False),
    "layer": ("annotation_layer", False),
    "layer_id": ("annotation_layer", False),
    "theme_id": ("theme", False),
    "permission": ("permission", False),
    "view_menu": ("view_menu", False),
    "permission_id": ("permission", False),
    "view_menu_id": ("view_menu", False),
}
BODY_TEXT_FIELDS: Mapping[str, str] = {
    "client_id": "client_id",
    "database_name": "database_name",
    "db_name": "database_name",
    "schema": "schema",
    "schema_name": "schema",
    "table_name": "table",
    "slug": "dashboard_slug",
    "key": "form_data",
    "form_data_key": "form_data",
    "permalink_key": "explore_permalink",
    "native_filters_key": "filter_state",
    "name": "search",
    "username": "search",
}
_JSON_TEXT_FIELDS = frozenset(
    {
        "json_metadata",
        "position_json",
        "params",
        "query_context",
        "form_data",
        "extra",
        "json_data",
        "value",
        "template_params",
        "extra_json",
        "masked_encrypted_extra",
    }
)


def _resolve(schema: Mapping[str, Any], components: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 10:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        seen += 1
    return schema


def fill_schema(
    schema: Mapping[str, Any],
    components: Mapping[str, Any],
    rec: Recorder,
    kind: str | None,
    depth: int = 0,
) -> Any:
    """A minimal instance of ``schema``: required fields, plus every id field filled from ``rec``."""
    schema = _resolve(schema, components)
    if "allOf" in schema:
        merged: JSON = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            part = _resolve(part, components)
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        schema = merged
    if schema.get("type") != "object" and "properties" not in schema:
        return _placeholder("", schema, components, rec, depth)
    required = set(schema.get("required", []))
    out: JSON = {}
    for name, prop in (schema.get("properties") or {}).items():
        value = _field_value(name, _resolve(prop, components), components, rec, kind, depth)
        if value is not _SKIP:
            out[name] = value
        elif name in required:
            out[name] = _placeholder(name, _resolve(prop, components), components, rec, depth)
    return out


_SKIP = object()


def _field_value(
    name: str,
    prop: Mapping[str, Any],
    components: Mapping[str, Any],
    rec: Recorder,
    kind: str | None,
    depth: int,
) -> Any:
    if prop.get("readOnly"):
        return _SKIP
    if name == "id" and kind is not None:
        return rec.id(kind)
    if name in BODY_ID_FIELDS:
        field_kind, many = BODY_ID_FIELDS[name]
        field_kind = field_kind or kind
        if field_kind is None:
            return _SKIP
        if prop.get("type") == "object" or ("properties" in prop and prop.get("type") != "array"):
            return fill_schema(prop, components, rec, field_kind, depth + 1) if depth < 3 else _SKIP
        value = rec.id(field_kind)
        return [value] if many or prop.get("type") == "array" else value
    if name == "datasource" and prop.get("type") in (None, "object"):
        return {"id": rec.id("dataset"), "type": "table"}
    if name == "datasource_uids":
        return [f"{rec.id('dataset')}__table"]
    if name in BODY_TEXT_FIELDS and prop.get("type", "string") == "string" and "enum" not in prop:
        return rec.text(BODY_TEXT_FIELDS[name])
    return _SKIP


def _placeholder(
    name: str, prop: Mapping[str, Any], components: Mapping[str, Any], rec: Recorder, depth: int
) -> Any:
    """A harmless value of the property's type (JSON text fields get ``{}``)."""
    if prop.get("enum"):
        return prop["enum"][0]
    kind_of = prop.get("type")
    if kind_of == "string":
        return "{}" if name in _JSON_TEXT_FIELDS else "walk-probe"
    if kind_of in ("integer", "number"):
        return 0
    if kind_of == "boolean":
        return False
    if kind_of == "array":
        return []
    if kind_of == "object" or "properties" in prop:
        return fill_schema(prop, components, rec, None, depth + 1) if depth < 3 else {}
    return "walk-probe"


# ---------------------------------------------------------------------------------------------
# Probes


@dataclass(frozen=True)
class Probe:
    """One concrete request, and what of the book went into it."""

    route: Route
    note: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    sent_ids: frozenset[tuple[str, int]] = frozenset()
    sent_strings: frozenset[str] = frozenset()
    fresh_session: bool = False  # the route ends or alters the session: send it on a throwaway login

    @property
    def method(self) -> str:
        return self.route.method

    def same_request(self, other: Probe) -> bool:
        return (self.path, dict(self.params), self.json, self.data, self.files) == (
            other.path,
            dict(other.params),
            other.json,
            other.data,
            other.files,
        )


@dataclass(frozen=True)
class WalkContext:
    """What the probe builder knows about the server besides the books."""

    components: Mapping[str, Any] = field(default_factory=dict)
    list_filters: Mapping[str, Mapping[str, Sequence[str]]] = field(default_factory=dict)
    related_columns: Mapping[str, Sequence[str]] = field(default_factory=dict)  # route key → columns


@dataclass(frozen=True)
class _Parts:
    """A piece of a probe (query string or body) and the book values it holds."""

    note: str
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, tuple[str, bytes, str]] | None = None
    sent_ids: frozenset[tuple[str, int]] = frozenset()
    sent_strings: frozenset[str] = frozenset()


Builder = Callable[[Recorder], list[_Parts]]

SESSION_ROUTES = frozenset({"GET /logout/", "GET /login/logout/", "GET /lang/{locale}"})
# Routes that act on the caller's own account: walked with an empty body so the caller never changes.
SELF_ROUTES = frozenset(
    {
        "PUT /api/v1/me/",
        "POST /resetmypassword/form",
        "POST /userinfoeditview/form",
        "POST /resetpassword/form",
    }
)

# Filter columns of list endpoints that take the victim's ids or names: column → kind of value
# (None: the route's own kind).
_FILTER_KINDS: Mapping[str, str | None] = {
    "id": None,
    "owners": "user",
    "created_by": "user",
    "changed_by": "user",
    "last_saved_by": "user",
    "dashboards": "dashboard",
    "datasource_id": "dataset",
    "database": "database",
    "roles": "role",
    "role": "role",
    "tables": "dataset",
    "view_menu": "view_menu",
    "groups": "group",
    "layer": "annotation_layer",
    "uuid": "uuid",
    "slug": "dashboard_slug",
    "schema": "schema",
    "slice_name": "chart_search",
    "dashboard_title": "dashboard_search",
    "database_name": "search",
    "name": "search",
    "label": "saved_query_search",
    "template_name": "search",
    "theme_name": "search",
    "username": "search",
    "email": "search",
    "first_name": "user_search",
    "short_descr": "search",
}
_OPERATORS = ("eq", "rel_o_m", "rel_m_m", "ct")


def list_filter_parts(route: Route, ctx: WalkContext, rec: Recorder) -> list[_Parts]:
    """A plain list call, then one call per filter column that can name the victim's objects."""
    parts = [rec.part("list")]
    resource = resource_of(route.path)
    kind = route_kind(route)
    for column, operators in sorted(ctx.list_filters.get(resource, {}).items()):
        if column not in _FILTER_KINDS:
            continue
        operator = next((o for o in _OPERATORS if o in operators), None)
        if operator is None:
            continue
        value_kind = _FILTER_KINDS[column] or kind
        if value_kind is None:
            continue
        if value_kind == "uuid":
            if kind is None or f"{kind}_uuid" not in STRING_KINDS:
                continue
            value: Any = rec.text(f"{kind}_uuid")
        else:
            value = rec.value(value_kind)
        query = {"filters": [{"col": column, "opr": operator, "value": value}], "page_size": 100}
        parts.append(rec.part(f"q.filters.{column}", {"q": prison.dumps(query)}))
    return parts


def _ids_q(rec: Recorder, kind: str | None) -> list[_Parts]:
    return [rec.part("q=!(ids)", {"q": prison.dumps([rec.id(kind or "unknown")])})]


def _rison(rec: Recorder, note: str, value: Any) -> _Parts:
    return rec.part(note, {"q": prison.dumps(value)})


def query_parts(route: Route, ctx: WalkContext, rec: Recorder) -> list[_Parts]:
    """The query-string variants of one route."""
    if route.key in URL_MAP_QUERIES:
        return URL_MAP_QUERIES[route.key](rec)
    kind = route_kind(route)
    parameters = [p for p in route.operation.get("parameters", []) if p.get("in") == "query"]
    q_schema = next(
        (
            _schema_name(p)
            for p in parameters
            if p.get("name") == "q"
            and not (route.path.endswith("/related/{column_name}") or "/distinct/" in route.path)
        ),
        None,
    )
    if q_schema == "get_list_schema":
        return list_filter_parts(route, ctx, rec)
    if q_schema in ("get_export_ids_schema", "get_delete_ids_schema", "get_fav_star_ids_schema"):
        return _ids_q(rec, kind)
    if q_schema in RISON_QUERIES:
        return [RISON_QUERIES[q_schema](rec)]
    fixed: dict[str, str] = {}
    optional_ids: list[tuple[str, str]] = []
    for parameter in parameters:
        name = parameter.get("name", "")
        if name == "q":
            continue
        if name in QUERY_ID_PARAMS:
            if parameter.get("required"):
                fixed[name] = str(rec.value(QUERY_ID_PARAMS[name]))
            else:
                optional_ids.append((name, QUERY_ID_PARAMS[name]))
        elif name in QUERY_CONSTANTS:
            fixed[name] = QUERY_CONSTANTS[name]
    if not optional_ids:
        return [rec.part("query" if fixed else "plain", fixed)]
    base_ids, base_strings = rec.take()  # what the required parameters hold goes into every variant
    parts = []
    for name, id_kind in optional_ids:
        params = dict(fixed)
        params[name] = str(rec.value(id_kind))
        if name == "datasource_id":
            params["datasource_type"] = "table"
        part = rec.part(f"query.{name}", params)
        parts.append(
            replace(part, sent_ids=part.sent_ids | base_ids, sent_strings=part.sent_strings | base_strings)
        )
    return parts


def _schema_name(parameter: Mapping[str, Any]) -> str | None:
    schema = parameter.get("schema") or parameter.get("content", {}).get("application/json", {}).get("schema")
    if isinstance(schema, Mapping) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


QUERY_ID_PARAMS: Mapping[str, str] = {
    "slice_id": "chart",
    "datasource_id": "dataset",
    "dashboard_id": "dashboard",
    "form_data_key": "form_data",
    "permalink_key": "explore_permalink",
    "native_filters_key": "filter_state",
    "name": "table",
    "schema": "schema",
}
QUERY_CONSTANTS: Mapping[str, str] = {
    "format": "json",
    "type": "full",
    "force": "false",
    "download_format": "png",
    "export_data": "true",
    "include_rendered_sql": "true",
    "mark_updated": "false",
    "override_columns": "false",
    "sample_rows": "0",
    "last_id": "0",
    "state": "walk",
    "code": "walk",
}
RISON_QUERIES: Mapping[str, Callable[[Recorder], _Parts]] = {
    "database_tables_query_schema": lambda r: _rison(
        r, "q.schema", {"schema_name": r.text("schema"), "force": False}
    ),
    "database_schemas_query_schema": lambda r: _rison(r, "q", {"force": False}),
    "database_catalogs_query_schema": lambda r: _rison(r, "q", {"force": False}),
    "queries_get_updated_since_schema": lambda r: _rison(r, "q.since0", {"last_updated_ms": 0}),
    "get_recent_activity_schema": lambda r: _rison(r, "q", {"page": 0, "page_size": 100}),
    "screenshot_query_schema": lambda r: _rison(r, "q", {"force": False}),
    "sql_lab_get_results_schema": lambda r: _rison(r, "q.key", {"key": r.text("client_id")}),
    "advanced_data_type_convert_schema": lambda r: _rison(r, "q", {"type": "port", "values": [80]}),
    "get_slack_channels_schema": lambda r: _rison(r, "q", {}),
    "delete_tags_schema": lambda r: _rison(r, "q", ["walk"]),
    "get_info_schema": lambda r: _rison(r, "q", {"keys": ["permissions", "filters"]}),
    "get_item_schema": lambda r: r.part("plain"),
}


def _column_parts(route: Route, ctx: WalkContext, rec: Recorder) -> list[_Parts]:
    """``related``/``distinct`` endpoints: once plain, once searching for the victim's names."""
    parts = [rec.part("plain", {"q": prison.dumps({"page_size": 100})})]
    if route.path.endswith("/related/{column_name}"):
        parts.append(rec.part("q.filter=user", {"q": prison.dumps({"filter": rec.text("user_search")})}))
    parts.append(rec.part("q.filter=name", {"q": prison.dumps({"filter": rec.text("search")})}))
    return parts


# Query strings of URL-map routes (no OpenAPI description to read them from).
URL_MAP_QUERIES: Mapping[str, Callable[[Recorder], list[_Parts]]] = {
    "GET /explore/": lambda r: [
        r.part("slice_id", {"slice_id": str(r.id("chart"))}),
        r.part("datasource_id", {"datasource_id": str(r.id("dataset")), "datasource_type": "table"}),
        r.part("form_data_key", {"form_data_key": r.text("form_data")}),
        r.part("permalink_key", {"permalink_key": r.text("explore_permalink")}),
    ],
    "GET /superset/warm_up_cache/": lambda r: [
        r.part("slice_id", {"slice_id": str(r.id("chart"))}),
        r.part(
            "dashboard_id",
            {
                "dashboard_id": str(r.id("dashboard")),
                "table_name": r.text("table"),
                "db_name": r.text("database_name"),
            },
        ),
    ],
    "POST /datasource/samples": lambda r: [
        r.part(
            "datasource_id",
            {"datasource_id": str(r.id("dataset")), "datasource_type": "table", "per_page": "5", "page": "1"},
            json={},
        )
    ],
    "GET /superset/fetch_datasource_metadata": lambda r: [
        r.part("datasourceKey", {"datasourceKey": f"{r.id('dataset')}__table"})
    ],
    "GET /datasource/external_metadata_by_name/": lambda r: [
        _rison(
            r,
            "q",
            {
                "datasource_type": "table",
                "database_name": r.text("database_name"),
                "schema_name": r.text("schema"),
                "table_name": r.text("table"),
                "normalize_columns": False,
                "always_filter_main_dttm": False,
            },
        )
    ],
    "GET /api/v1/form_data/": lambda r: [r.part("slice_id", {"slice_id": str(r.id("chart"))})],
    "POST /superset/explore/": lambda r: _legacy_explore(r),
    "POST /superset/explore/{datasource_type}/{datasource_id}/": lambda r: _legacy_explore(r),
    "GET /superset/explore_json/": lambda r: [
        r.part("form_data", {"form_data": json.dumps(_form_data(r))}),
    ],
    "POST /superset/explore_json/": lambda r: [
        r.part("form_data", json=None, data={"form_data": json.dumps(_form_data(r))}),
    ],
    "GET /api/v1/time_range/": lambda r: [_rison(r, "q", "Last day")],
    "GET /superset/explore_json/data/{cache_key}": lambda r: [r.part("plain")],
    "GET /chart/add": lambda r: [r.part("plain")],
    "GET /dashboard/new/": lambda r: [r.part("plain")],
}


def _legacy_explore(r: Recorder) -> list[_Parts]:
    """The deprecated server-rendered Explore: the victim's chart or dataset by query string or form data."""
    return [
        r.part("slice_id", {"slice_id": str(r.id("chart"))}),
        r.part("dataset_id", {"dataset_id": str(r.id("dataset"))}),
        r.part("form_data_key", {"form_data_key": r.text("form_data")}),
        r.part("form_data", data={"form_data": json.dumps(_form_data(r))}),
        r.part(
            "saveas",
            {"action": "saveas", "slice_name": "walk"},
            data={"form_data": json.dumps(_form_data(r) | {"viz_type": "table"})},
        ),
    ]


def _chart_data_body(rec: Recorder) -> JSON:
    """The victim's chart's own query context, pointed at its chart and dashboard (the §0 F1 chain)."""
    body = json.loads(json.dumps(dict(rec.book.query_context))) if rec.book.query_context else {}
    dataset, chart, dashboard = rec.id("dataset"), rec.id("chart"), rec.id("dashboard")
    body["datasource"] = {"id": dataset, "type": "table"}
    form_data = dict(body.get("form_data") or {})
    form_data.update({"slice_id": chart, "dashboardId": dashboard, "datasource": f"{dataset}__table"})
    body["form_data"] = form_data
    body.setdefault("queries", [{"columns": ["campaign_name"], "metrics": ["count"], "row_limit": 10}])
    body["result_format"], body["result_type"] = "json", "full"
    return body


def _sql(rec: Recorder) -> str:
    """SQL Lab text reading the victim's table (it must be refused)."""
    return f"SELECT campaign_name FROM {rec.text('schema')}.{rec.text('table')} LIMIT 5"  # noqa: S608


def _form_data(rec: Recorder) -> JSON:
    return {"datasource": f"{rec.id('dataset')}__table", "slice_id": rec.id("chart"), "viz_type": "table"}


def _import_bundle(rec: Recorder, kind: str) -> bytes:
    """A tiny import bundle whose objects carry the victim's UUIDs (import reuses objects by UUID)."""
    buffer = io.BytesIO()
    database, dataset, chart = rec.text("database_uuid"), rec.text("dataset_uuid"), rec.text("chart_uuid")
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr(
            "walk/metadata.yaml", f"version: 1.0.0\ntype: {kind}\ntimestamp: '2026-01-01T00:00:00'\n"
        )
        bundle.writestr(
            "walk/databases/walk.yaml",
            f"database_name: walk\nsqlalchemy_uri: duckdb:///:memory:\nuuid: {database}\nversion: 1.0.0\n",
        )
        bundle.writestr(
            "walk/datasets/walk/walk.yaml",
            f"table_name: {rec.text('table')}\nschema: {rec.text('schema')}\nuuid: {dataset}\n"
            f"database_uuid: {database}\nversion: 1.0.0\n",
        )
        bundle.writestr(
            "walk/charts/walk.yaml",
            f"slice_name: walk\nviz_type: table\nparams: {{}}\nuuid: {chart}\ndataset_uuid: {dataset}\n"
            "version: 1.0.0\n",
        )
    return buffer.getvalue()


def _import(kind: str, field_name: str = "formData") -> Builder:
    def build(rec: Recorder) -> list[_Parts]:
        files = {field_name: ("walk.zip", _import_bundle(rec, kind), "application/zip")}
        return [rec.part("bundle", data={"overwrite": "true"}, files=files)]

    return build


def _csv_file() -> Mapping[str, tuple[str, bytes, str]]:
    return {"file": ("walk.csv", b"a,b\n1,2\n", "text/csv")}


BODY_OVERRIDES: Mapping[str, Builder] = {
    "POST /api/v1/chart/data": lambda r: [r.part("query_context", json=_chart_data_body(r))],
    "POST /api/v1/query/": lambda r: [
        r.part("query_context", data={"query_context": json.dumps(_chart_data_body(r))})
    ],
    "POST /api/v1/explore/form_data": lambda r: [
        r.part(
            "form_data",
            json={
                "datasource_id": r.id("dataset"),
                "datasource_type": "table",
                "chart_id": r.id("chart"),
                "form_data": json.dumps(_form_data(r)),
            },
        )
    ],
    "PUT /api/v1/explore/form_data/{key}": lambda r: [
        r.part(
            "form_data",
            json={
                "datasource_id": r.id("dataset"),
                "datasource_type": "table",
                "chart_id": r.id("chart"),
                "form_data": json.dumps(_form_data(r)),
            },
        )
    ],
    "POST /api/v1/explore/permalink": lambda r: [
        r.part("formData", json={"formData": _form_data(r), "urlParams": []})
    ],
    "POST /api/v1/sqllab/permalink": lambda r: [
        r.part("state", json={"dbId": r.id("database"), "sql": _sql(r), "name": "walk", "autorun": False})
    ],
    "POST /api/v1/dashboard/{pk}/permalink": lambda r: [
        r.part("state", json={"dataMask": {}, "activeTabs": [], "anchor": "", "urlParams": []})
    ],
    "POST /api/v1/dashboard/{pk}/filter_state": lambda r: [r.part("value", json={"value": "{}"})],
    "PUT /api/v1/dashboard/{pk}/filter_state/{key}": lambda r: [r.part("value", json={"value": "{}"})],
    "POST /api/v1/sqllab/execute/": lambda r: [
        r.part(
            "sql",
            json={
                "database_id": r.id("database"),
                "sql": _sql(r),
                "schema": r.text("schema"),
                "runAsync": False,
                "client_id": "walkA000001",
            },
        )
    ],
    "POST /api/v1/sqllab/estimate/": lambda r: [
        r.part("sql", json={"database_id": r.id("database"), "sql": _sql(r), "schema": r.text("schema")})
    ],
    "POST /api/v1/sqllab/format_sql/": lambda r: [
        r.part("sql", json={"database_id": r.id("database"), "sql": _sql(r)})
    ],
    "POST /api/v1/sqllab/export_streaming/": lambda r: [
        r.part("client_id", data={"client_id": r.text("client_id")})
    ],
    "POST /api/v1/database/{pk}/validate_sql/": lambda r: [
        r.part("sql", json={"sql": _sql(r), "schema": r.text("schema")})
    ],
    "POST /api/v1/datasource/{datasource_type}/{datasource_id}/validate_expression/": lambda r: [
        r.part("expression", json={"expression": "campaign_name = 'x'", "expression_type": "where"})
    ],
    "POST /api/v1/database/test_connection/": lambda r: [
        r.part(
            "database_name",
            json={"database_name": r.text("database_name"), "sqlalchemy_uri": "duckdb:///:memory:"},
        )
    ],
    "POST /api/v1/database/{pk}/upload/": lambda r: [
        r.part(
            "csv",
            data={"type": "csv", "table_name": "walk_upload", "schema": r.text("schema")},
            files=_csv_file(),
        )
    ],
    "POST /api/v1/database/upload_metadata/": lambda r: [
        r.part("csv", data={"type": "csv"}, files=_csv_file())
    ],
    "POST /api/v1/dashboard/{id_or_slug}/copy/": lambda r: [
        r.part("copy", json={"dashboard_title": "walk copy", "json_metadata": "{}", "duplicate_slices": True})
    ],
    "POST /api/v1/security/login": lambda r: [
        # An unknown user: a wrong password for one of the victim's users would bump their fail count.
        r.part("unknown user", json={"username": MISSING_TEXT, "password": "x", "provider": "db"})
    ],
    "POST /api/v1/security/guest_token/": lambda r: [
        r.part(
            "resources",
            json={
                "user": {"username": "walk"},
                "resources": [{"type": "dashboard", "id": r.text("dashboard_uuid")}],
                "rls": [],
            },
        )
    ],
    "POST /api/v1/tag/{object_type}/{object_id}/": lambda r: [
        r.part("tags", json={"properties": {"tags": ["walk"]}})
    ],
    "POST /api/v1/assets/import/": _import("assets", "bundle"),
    "POST /api/v1/chart/import/": _import("Slice"),
    "POST /api/v1/dashboard/import/": _import("Dashboard"),
    "POST /api/v1/dataset/import/": _import("SqlaTable"),
    "POST /api/v1/database/import/": _import("Database"),
    "POST /api/v1/saved_query/import/": _import("SavedQuery"),
    "POST /api/v1/theme/import/": _import("Theme"),
    # Flask views outside the OpenAPI spec (form posts).
    "POST /tabstateview/": lambda r: [
        r.part(
            "queryEditor",
            data={
                "queryEditor": json.dumps(
                    {
                        "title": "walk",
                        "dbId": r.id("database"),
                        "schema": r.text("schema"),
                        "sql": _sql(r),
                        "autorun": False,
                        "queryLimit": 10,
                    }
                )
            },
        )
    ],
    "PUT /tabstateview/{tab_state_id}": lambda r: [r.part("label", data={"label": json.dumps("walk")})],
    "POST /tabstateview/{tab_state_id}/migrate_query": lambda r: [
        r.part("queryId", data={"queryId": json.dumps(r.text("client_id"))})
    ],
    "POST /tableschemaview/": lambda r: [
        r.part(
            "table",
            data={
                "table": json.dumps(
                    {
                        "dbId": r.id("database"),
                        "schema": r.text("schema"),
                        "name": r.text("table"),
                        "queryEditorId": r.id("tab_state"),
                        "expanded": True,
                    }
                )
            },
        )
    ],
    "POST /tableschemaview/{table_schema_id}/expanded": lambda r: [
        r.part("expanded", data={"expanded": json.dumps(True)})
    ],
    "POST /datasource/save/": lambda r: [
        r.part(
            "data",
            data={
                "data": json.dumps(
                    {
                        "id": r.id("dataset"),
                        "type": "table",
                        "datasource_type": "table",
                        "database": {"id": r.id("database")},
                        "table_name": r.text("table"),
                        "owners": [r.id("user")],
                        "columns": [],
                        "metrics": [],
                    }
                )
            },
        )
    ],
    "POST /superset/log/": lambda r: [r.part("events", data={"events": "[]"})],
    "POST /users/action_post": lambda r: [
        r.part("rowid", data={"action": "muldelete", "rowid": str(r.id("user"))})
    ],
    "POST /roles/action_post": lambda r: [
        r.part("rowid", data={"action": "muldelete", "rowid": str(r.id("role"))})
    ],
    "POST /groups/action_post": lambda r: [
        r.part("rowid", data={"action": "muldelete", "rowid": str(r.id("group"))})
    ],
    "POST /dynamic-plugins/action_post": lambda r: [
        r.part("rowid", data={"action": "muldelete", "rowid": str(r.id("dynamic_plugin"))})
    ],
}


def _body_parts(route: Route, ctx: WalkContext, rec: Recorder) -> list[_Parts]:
    if route.key in SELF_ROUTES:
        return (
            [rec.part("empty", json={})] if route.path.startswith("/api/") else [rec.part("empty", data={})]
        )
    if route.key in BODY_OVERRIDES:
        return BODY_OVERRIDES[route.key](rec)
    if route.method not in ("POST", "PUT"):
        return [rec.part("")]
    content = (route.operation.get("requestBody") or {}).get("content") or {}
    kind = route_kind(route)
    for content_type in ("application/json", "application/x-www-form-urlencoded", "multipart/form-data"):
        if content_type in content:
            body = fill_schema(content[content_type].get("schema") or {}, ctx.components, rec, kind)
            if content_type == "application/json":
                return [rec.part("body", json=body)]
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            return [rec.part("form", data=form)]
    return [rec.part("no body", json={})]


def _path_values(route: Route, combo: Sequence[tuple[str, str]], column: str, rec: Recorder) -> str:
    path = route.path
    for name, (kind, form) in zip(route.params, combo, strict=True):
        if name == "column_name":
            value = CONSTANTS["data_column"] if "/datasource/" in route.path else column
        else:
            value = param_value(rec, kind, form)
        path = path.replace("{" + name + "}", value)
    return path


def build_probes(route: Route, book: IdBook, ctx: WalkContext) -> list[Probe]:
    """Every probe of one route, built from one book (call once per book: same order)."""
    names = route.params
    by_column = "column_name" in names and "/datasource/" not in route.path
    columns: Sequence[str] = (ctx.related_columns.get(route.key) or ["owners"]) if by_column else ["-"]
    probes: list[Probe] = []
    for combo in itertools.product(*(param_forms(route, name) for name in names)):
        for column in columns:
            rec = Recorder(book)
            path = _path_values(route, combo, column, rec)
            path_ids, path_strings = rec.take()
            path_note = ",".join(
                f"{n}={f}" for n, (_, f) in zip(names, combo, strict=True) if f not in ("const", "id")
            )
            if by_column:
                path_note, queries = f"column={column}", _column_parts(route, ctx, rec)
            else:
                queries = query_parts(route, ctx, rec)
            bodies = _body_parts(route, ctx, rec)
            for query, body in itertools.product(queries, bodies):
                if query.json is not None or query.data is not None:  # the variant brings its own body
                    body = replace(body, note="", json=query.json, data=query.data)
                note = " ".join(n for n in (path_note, query.note, body.note) if n and n != "plain")
                probes.append(
                    Probe(
                        route=route,
                        note=note or "plain",
                        path=path,
                        params={**query.params, **body.params},
                        json=body.json,
                        data=body.data,
                        files=body.files,
                        sent_ids=path_ids | query.sent_ids | body.sent_ids,
                        sent_strings=path_strings | query.sent_strings | body.sent_strings,
                        fresh_session=route.key in SESSION_ROUTES,
                    )
                )
    return probes


def probe_pairs(
    route: Route, foreign: IdBook, missing: IdBook, ctx: WalkContext
) -> list[tuple[Probe, Probe]]:
    """(foreign, missing) probes of one route, matched by position."""
    left, right = build_probes(route, foreign, ctx), build_probes(route, missing, ctx)
    assert len(left) == len(right), route.key
    return list(zip(left, right, strict=True))


# ---------------------------------------------------------------------------------------------
# What a response may not contain


@dataclass(frozen=True)
class Markers:
    """What of the victim tenant must never reach the other tenant's users."""

    substrings: frozenset[str]  # case-insensitive, anywhere in the response
    exact: frozenset[str]  # short names: only as a whole JSON string value
    ids: Mapping[str, frozenset[int]]  # kind → the victim's ids, never in an id field of that kind


def build_markers(
    names: Iterable[str],
    own_names: Iterable[str],
    ids: Mapping[str, Iterable[int]],
    distinctive: Iterable[str] = (),
    min_substring: int = 9,
) -> Markers:
    """Split the victim's names into substring and exact markers, dropping any the attacker has too.

    A long name that is more than one plain word is matched anywhere; a short name or a single
    word (a first name, a chart called "Cost" or "Campaigns") only as a whole JSON string, unless
    it is ``distinctive`` (the tenant's brand).
    """
    own = {n.casefold() for n in own_names if n}
    anywhere = {d.casefold() for d in distinctive}
    substrings, exact = set(), set()
    for name in {n.strip() for n in names if n and n.strip()}:
        folded = name.casefold()
        if folded in own or any(folded in o for o in own if len(folded) >= min_substring):
            continue
        plain_word = re.fullmatch(r"[^\W\d_]+", name) is not None
        long_enough = len(name) >= min_substring and not plain_word
        (substrings if long_enough or folded in anywhere else exact).add(name)
    return Markers(frozenset(substrings), frozenset(exact), {k: frozenset(v) for k, v in ids.items()})


@dataclass(frozen=True)
class Answer:
    """What the walk keeps of one HTTP response."""

    status: int
    content_type: str
    body: bytes
    location: str = ""


def _texts(answer: Answer) -> tuple[Any, list[str]]:
    """(parsed JSON or None, the text pieces to scan)."""
    ctype = answer.content_type.split(";")[0].strip().lower()
    pieces: list[str] = [answer.location] if answer.location else []
    if ctype == "application/zip" or answer.body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(answer.body)) as bundle:
                for name in bundle.namelist():
                    pieces += [name, bundle.read(name).decode("utf-8", "replace")]
        except zipfile.BadZipFile:
            pass
        return None, pieces
    if ctype.startswith("image/"):
        return None, pieces
    text = answer.body.decode("utf-8", "replace")
    if "json" in ctype:
        try:
            return json.loads(text), pieces
        except ValueError:
            return None, [*pieces, text]
    if "html" in ctype:
        found = re.search(r'data-bootstrap="([^"]*)"', text)
        if found:
            try:
                return json.loads(html.unescape(found[1])), [*pieces, html.unescape(text)]
            except ValueError:
                pass
        return None, [*pieces, html.unescape(text)]
    return None, [*pieces, text]


def _strings(payload: Any) -> Iterator[str]:
    """Every string (and key) in a JSON payload, including JSON nested inside strings."""
    if isinstance(payload, str):
        yield payload
        if payload[:1] in ("{", "[") and len(payload) > 1:
            try:
                nested = json.loads(payload)
            except ValueError:
                return
            yield from _strings(nested)
    elif isinstance(payload, Mapping):
        for key, value in payload.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(payload, list):
        for item in payload:
            yield from _strings(item)


def _mask(text: str, sent: Iterable[str]) -> str:
    for value in sorted(sent, key=len, reverse=True):
        if len(value) >= 4:
            text = re.sub(re.escape(value), "«sent»", text, flags=re.IGNORECASE)
    return text


# Keys whose value is an id (or list of ids) of a known kind, wherever they appear.
SCALAR_ID_KEYS: Mapping[str, str] = {
    "slice_id": "chart",
    "chart_id": "chart",
    "chartId": "chart",
    "sliceId": "chart",
    "slice_ids": "chart",
    "chart_ids": "chart",
    "dashboard_id": "dashboard",
    "dashboardId": "dashboard",
    "dashboard_ids": "dashboard",
    "datasource_id": "dataset",
    "dataset_id": "dataset",
    "datasourceId": "dataset",
    "table_id": "dataset",
    "database_id": "database",
    "db_id": "database",
    "dbId": "database",
    "user_id": "user",
    "user_ids": "user",
    "created_by_fk": "user",
    "changed_by_fk": "user",
    "role_id": "role",
    "role_ids": "role",
    "saved_query_id": "saved_query",
}
# Keys whose object (or list of objects) holds ids of a known kind in its "id".
CONTEXT_KEYS: Mapping[str, str] = {
    "owners": "user",
    "created_by": "user",
    "changed_by": "user",
    "last_saved_by": "user",
    "user": "user",
    "users": "user",
    "roles": "role",
    "dashboards": "dashboard",
    "dashboard": "dashboard",
    "slices": "chart",
    "charts": "chart",
    "chart": "chart",
    "datasource": "dataset",
    "dataset": "dataset",
    "tables": "dataset",
    "database": "database",
    "databases": "database",
}
_DATASOURCE_UID = re.compile(r"^(\d+)__table$")


def _ints(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, str) and value.isdigit():
        return [int(value)]
    if isinstance(value, list):
        return [i for v in value for i in _ints(v) if not isinstance(v, (list, dict))]
    return []


def foreign_ids(
    payload: Any,
    top_kind: str | None,
    ids: Mapping[str, frozenset[int]],
    sent: frozenset[tuple[str, int]],
    value_kind: str | None = None,
) -> list[str]:
    """Where an id field of ``payload`` holds a victim's id (ids the request sent are echoes)."""
    found: list[str] = []

    def hit(kind: str | None, value: int, where: str) -> None:
        if kind and value in ids.get(kind, ()) and (kind, value) not in sent:
            found.append(f"{kind} id {value} at {where}")

    def walk(node: Any, context: str | None, where: str, top: bool) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, context, f"{where}[{index}]", top)
            return
        if isinstance(node, str):
            match = _DATASOURCE_UID.match(node)
            if match:
                hit("dataset", int(match[1]), where)
            return
        if not isinstance(node, Mapping):
            return
        for key, value in node.items():
            here = f"{where}.{key}" if where else str(key)
            if key == "id" and context:
                for number in _ints(value):
                    hit(context, number, here)
            elif key == "value" and value_kind and context == value_kind:
                for number in _ints(value):
                    hit(value_kind, number, here)
            elif key in SCALAR_ID_KEYS:
                for number in _ints(value):
                    hit(SCALAR_ID_KEYS[key], number, here)
            if isinstance(value, (Mapping, list, str)):
                if key in CONTEXT_KEYS:
                    walk(value, CONTEXT_KEYS[key], here, False)
                elif top and key in ("result", "ids", "id"):
                    if key == "ids":
                        for number in _ints(value):
                            hit(top_kind, number, here)
                    walk(value, value_kind or top_kind, here, False)
                else:
                    walk(value, None, here, False)
        if top and "id" in node and top_kind and not isinstance(node.get("id"), (Mapping, list)):
            for number in _ints(node["id"]):
                hit(top_kind, number, f"{where}.id" if where else "id")

    walk(payload, None, "", True)
    return found


_RELATED_KINDS: Mapping[str, str] = {
    "owners": "user",
    "created_by": "user",
    "changed_by": "user",
    "last_saved_by": "user",
    "user": "user",
    "users": "user",
    "roles": "role",
    "dashboards": "dashboard",
    "database": "database",
    "datasource": "dataset",
    "tables": "dataset",
    "slices": "chart",
}


def scan(probe: Probe, answer: Answer, markers: Markers) -> list[str]:
    """Everything of the victim in one answer that the request itself did not put there."""
    payload, pieces = _texts(answer)
    found: list[str] = []
    strings = [*pieces, *(_strings(payload) if payload is not None else [])]
    for raw in strings:
        text = _mask(raw, probe.sent_strings)
        folded = text.casefold()
        for marker in markers.substrings:
            if marker.casefold() in folded:
                found.append(f"text {marker!r}")
        stripped = text.strip()
        if stripped in markers.exact:
            found.append(f"name {stripped!r}")
    if payload is None:
        for raw in pieces:
            text = _mask(raw, probe.sent_strings)
            for marker in markers.exact:
                if re.search(r'"' + re.escape(marker) + r'"', text):
                    found.append(f"name {marker!r}")
    else:
        value_kind = None
        column = re.search(r"/related/([a-z_]+)", probe.path)
        if column:
            value_kind = _RELATED_KINDS.get(column[1])
        top = value_kind or route_kind(probe.route)
        found += foreign_ids(payload, top, markers.ids, probe.sent_ids, value_kind)
    return sorted(set(found))


def status_oracle(foreign: Answer, missing: Answer) -> str | None:
    """A difference that tells "exists elsewhere" from "does not exist", or None."""
    if foreign.status != missing.status:
        return f"status {foreign.status} for the other tenant's id, {missing.status} for a missing id"
    return None


# ---------------------------------------------------------------------------------------------
# Snapshots and the matrix


def diff_snapshots(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between two snapshots of the same keys."""
    out = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            old, new = {k: old.get(k) for k in changed}, {k: new.get(k) for k in changed}
        out.append(f"{key}: {_short(old)} → {_short(new)}")
    return out


def _short(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class Cell:
    """One route for one role."""

    probes: int = 0
    statuses: set[int] = field(default_factory=set)
    leaks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        codes = "/".join(str(s) for s in sorted(self.statuses))
        return f"{'FAIL' if self.leaks else 'pass'} {codes}"


def format_matrix(
    routes: Sequence[Route],
    roles: Sequence[str],
    cells: Mapping[tuple[str, str], Cell],
    header: Sequence[str],
) -> str:
    """The route × role table, one line per route."""
    width = max(len(r.key) for r in routes) + 2
    lines = [*header, "", "route".ljust(width) + "".join(role.ljust(16) for role in roles) + "source"]
    for route in routes:
        row = route.key.ljust(width)
        for role in roles:
            cell = cells.get((route.key, role))
            row += (cell.label if cell else "-").ljust(16)
        lines.append(row + "+".join(sorted(route.sources)))
    return "\n".join(lines) + "\n"
