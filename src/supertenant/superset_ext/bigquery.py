"""Job labels and the byte cap on every BigQuery query Superset runs for a tenant.

Superset 6.1 has two hooks around engine creation (``superset/models/core.py``):

- ``ENGINE_CONTEXT_MANAGER(database, catalog, schema)`` wraps every ``get_sqla_engine``; it is the
  only hook that sees the ``Database``. `engine_context` remembers the tenant (the database name,
  which provisioning sets to the slug) and the cap (``extra["supertenant"]["maximum_bytes_billed"]``,
  written by ``desired.database_essence``) in a context variable.
- ``DB_CONNECTION_MUTATOR(url, params, username, security_manager, source)`` runs just before
  ``create_engine``. `db_connection_mutator` adds ``labels=tenant:…,user:…,chart:…,dashboard:…,
  source:…`` and ``maximum_bytes_billed=…`` to the URL's query. sqlalchemy-bigquery parses both into
  the client's default ``QueryJobConfig``, so every job of that engine carries them, and the
  credentials from the encrypted extra keep working untouched.

Superset builds a new engine (NullPool) per query, so labels are per query. What it does *not*
cover: ``BigQueryEngineSpec._get_client`` (cost estimate, catalog listing, CSV upload) makes its own
client and bypasses both hooks; see docs/bigquery.md.

The pure parts (`tenant_job`, `request_ids`, `with_job_settings`) take plain values; only the two
hooks read Flask's request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.engine.url import URL

from supertenant.warehouse.bigquery import SUPERSET_EXTRA_KEY, job_labels

log = structlog.get_logger(__name__)

_CHART_DATA_PATH = re.compile(r"/api/v1/chart/(\d+)/data/?")
_LABEL_SEPARATOR = re.compile(r"\s*,\s*")
_KEY_VALUE = re.compile(r"\s*:\s*")


@dataclass(frozen=True, slots=True)
class TenantJob:
    """What every BigQuery job of one Superset database must carry."""

    tenant: str
    maximum_bytes_billed: int | None = None


_current: ContextVar[TenantJob | None] = ContextVar("supertenant_bigquery_job", default=None)


# --- pure -----------------------------------------------------------------------------------------


def tenant_job(database_name: str, extra: str | Mapping[str, Any] | None) -> TenantJob:
    """The tenant and byte cap of a database, from its name and its ``extra`` (JSON text or dict).

    A malformed or non-positive cap is ignored rather than failing every query; provisioning only
    ever writes positive integers.
    """
    if isinstance(extra, str):
        try:
            extra = json.loads(extra or "{}")
        except json.JSONDecodeError:
            extra = {}
    settings = extra.get(SUPERSET_EXTRA_KEY) if isinstance(extra, Mapping) else None
    cap = settings.get("maximum_bytes_billed") if isinstance(settings, Mapping) else None
    valid_cap = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None
    return TenantJob(tenant=database_name, maximum_bytes_billed=valid_cap)


def _as_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _form_data(text: Any) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    if not isinstance(text, str):
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, Mapping) else {}


def request_ids(
    path: str,
    args: Mapping[str, Any],
    form: Mapping[str, Any] | None = None,
    body: Any = None,
    view_args: Mapping[str, Any] | None = None,
) -> tuple[int | None, int | None]:
    """(chart id, dashboard id) of the request that triggered a query, where the request says so.

    Superset's frontend sends ``?form_data={"slice_id": N}&dashboard_id=M`` on chart-data requests
    (for its own logging); the JSON body's ``form_data`` carries ``slice_id`` and ``dashboardId``;
    ``GET /api/v1/chart/<pk>/data/`` names the chart in the path; legacy explore posts ``form_data``.
    """
    body_form = _form_data(body.get("form_data")) if isinstance(body, Mapping) else {}
    sources = [_form_data(args.get("form_data")), _form_data((form or {}).get("form_data")), body_form]
    chart = next((c for c in (_as_id(s.get("slice_id")) for s in sources) if c is not None), None)
    if chart is None and (match := _CHART_DATA_PATH.fullmatch(path)):
        chart = _as_id((view_args or {}).get("pk", match.group(1)))
    if chart is None:
        chart = _as_id(args.get("slice_id"))
    dashboard = _as_id(args.get("dashboard_id"))
    if dashboard is None:
        dashboard = next((d for d in (_as_id(s.get("dashboardId")) for s in sources) if d is not None), None)
    return chart, dashboard


def parse_labels(text: str | None) -> dict[str, str]:
    """sqlalchemy-bigquery's ``labels`` URL parameter (``k:v,k2:v2``) as a dict; junk parts dropped."""
    labels: dict[str, str] = {}
    for group in _LABEL_SEPARATOR.split(text or ""):
        parts = _KEY_VALUE.split(group.strip())
        if len(parts) == 2 and parts[0]:
            labels[parts[0]] = parts[1]
    return labels


def format_labels(labels: Mapping[str, str]) -> str:
    """The inverse of `parse_labels`, keys sorted so the same labels always give the same URL."""
    return ",".join(f"{key}:{value}" for key, value in sorted(labels.items()))


def with_job_settings(url: URL, labels: Mapping[str, str], maximum_bytes_billed: int | None) -> URL:
    """``url`` whose query makes sqlalchemy-bigquery label every job and cap its bytes billed.

    Labels already in the URL are kept unless ours have the same key; a cap already in the URL is
    kept if it is stricter than ours (the lower cap wins).
    """
    query = dict(url.query)
    merged = parse_labels(_single(query.get("labels"))) | dict(labels)
    updates: dict[str, str] = {}
    if merged:
        updates["labels"] = format_labels(merged)
    existing = _as_id(_single(query.get("maximum_bytes_billed")))
    caps = [cap for cap in (existing, maximum_bytes_billed) if cap]
    if caps:
        updates["maximum_bytes_billed"] = str(min(caps))
    return url.update_query_dict(updates) if updates else url


def _single(value: str | tuple[str, ...] | None) -> str | None:
    """A URL query value; SQLAlchemy gives a tuple when a key repeats (the last one counts)."""
    if isinstance(value, tuple):
        return value[-1] if value else None
    return value


def source_name(source: Any) -> str | None:
    """``QuerySource.SQL_LAB`` → ``sql_lab``; None when Superset could not tell."""
    name = getattr(source, "name", None)
    return str(name).lower() if name else None


# --- the Superset hooks ---------------------------------------------------------------------------


@contextmanager
def engine_context(database: Any, catalog: str | None, schema: str | None) -> Iterator[None]:
    """``ENGINE_CONTEXT_MANAGER``: remember whose engine is being built while it is in use."""
    job = tenant_job(str(getattr(database, "database_name", "") or ""), getattr(database, "extra", None))
    token = _current.set(job)
    try:
        yield None
    finally:
        _current.reset(token)


def db_connection_mutator(
    url: URL, params: dict[str, Any], username: str | None, security_manager: Any, source: Any
) -> tuple[URL, dict[str, Any]]:
    """``DB_CONNECTION_MUTATOR``: put the tenant's labels and byte cap on BigQuery engines."""
    if url.get_backend_name() != "bigquery":
        return url, params
    job = _current.get()
    if job is None:
        log.warning("bigquery_engine_without_database", hint="ENGINE_CONTEXT_MANAGER not set?")
    if str(_single(url.query.get("user_supplied_client")) or "").lower() == "true":
        # sqlalchemy-bigquery ignores URL job settings for a caller-supplied client.
        log.warning("bigquery_user_supplied_client", effect="labels and byte cap not applied")
        return url, params
    chart, dashboard = _flask_request_ids()
    labels = job_labels(
        tenant=job.tenant if job else None,
        user=username,
        chart=chart,
        dashboard=dashboard,
        source=source_name(source),
    )
    return with_job_settings(url, labels, job.maximum_bytes_billed if job else None), params


def _flask_request_ids() -> tuple[int | None, int | None]:
    from flask import has_request_context, request

    if not has_request_context():
        return None, None
    body = request.get_json(silent=True, cache=True) if request.is_json else None
    return request_ids(request.path, request.args, request.form, body, request.view_args)
