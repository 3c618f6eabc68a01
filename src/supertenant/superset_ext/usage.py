"""Usage events, the daily budget and the SQL audit log, from inside Superset.

Registered by ``init_app`` with `register_usage`. Per request it costs a path match, a
monotonic clock read and, for usage events, one line appended to the process's spool
(`supertenant.metering.recorder`); the database write happens in a background thread.

- logins: flask-login's ``user_logged_in`` (form and OAuth logins) plus FAB's JWT login endpoint,
  which does not send the signal;
- dashboard views, chart data, SQL Lab, CSV exports: classified by `metering.routes.classify`;
- warehouse statements: ``QUERY_LOGGER`` (`log_query`) writes the SQL audit log line and attaches
  the statement to the request's event, so that DuckDB's bytes are estimated at flush time;
- the daily budget: a tenant over its budget gets Superset's error payload (HTTP 429) on chart
  data, SQL Lab and exports, with a message saying why; never a silent failure.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import structlog
from flask import Flask, Response, g, has_request_context, jsonify, request

from supertenant.metering import store
from supertenant.metering.events import UsageEvent, WarehouseQuery
from supertenant.metering.pricebook import PriceBook, load_pricebook
from supertenant.metering.rating import BudgetDecision, budget_decision
from supertenant.metering.recorder import Recorder, default_recorder
from supertenant.metering.routes import QUERY_KINDS, Route, classify, endpoint_label
from supertenant.registry.tables import tenants
from supertenant.settings import get_settings
from supertenant.superset_ext.bigquery import request_ids
from supertenant.superset_ext.context import current_user_id, directory, request_tenant

log = structlog.get_logger("supertenant.usage")
audit = structlog.get_logger("supertenant.sql_audit")

OBSERVERS_KEY = "supertenant_usage_observers"
BUDGET_TTL_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class RequestUsage:
    """What the metrics observers get for every request."""

    tenant: str | None
    endpoint: str
    status_code: int
    duration_s: float
    bytes_returned: int | None
    warehouse_queries: int
    refused: bool


Observer = Callable[[RequestUsage], None]


# --- budget ---------------------------------------------------------------------------------------


class BudgetGuard:
    """Each tenant's spend today, re-read at most every ``BUDGET_TTL_SECONDS`` per process."""

    def __init__(self, book: PriceBook, engine_factory: Callable[[], sa.engine.Engine]) -> None:
        self.book = book
        self._engine_factory = engine_factory
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, BudgetDecision]] = {}

    def decision(self, tenant: str) -> BudgetDecision:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(tenant)
        if cached and now - cached[0] < BUDGET_TTL_SECONDS:
            return cached[1]
        with self._engine_factory().connect() as connection:
            plan = connection.execute(sa.select(tenants.c.plan).where(tenants.c.slug == tenant)).scalar()
            budget = self.book.daily_budget(tenant, str(plan or ""))
            spent = (
                store.spent_bytes_today(connection, tenant, datetime.now(UTC)) if budget is not None else {}
            )
        found = budget_decision(spent, self.book.warehouse.by_source(), budget)
        with self._lock:
            self._cache[tenant] = (now, found)
        return found


def budget_refusal(message: str, decision: BudgetDecision, currency: str) -> Response:
    """Superset's SIP-40 error payload; the chart and SQL Lab show ``message`` to the user."""
    extra = {
        "supertenant": "daily_budget_exceeded",
        "spent": str(decision.spent.quantize(Decimal("0.01"))),
        "budget": str(decision.budget),
        "currency": currency,
    }
    error = {"message": message, "error_type": "GENERIC_BACKEND_ERROR", "level": "error", "extra": extra}
    response = jsonify({"message": message, "errors": [error]})
    response.status_code = 429
    return response


# --- request hooks --------------------------------------------------------------------------------


def _request_id() -> str:
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/", 1)[0]
    given = request.headers.get("X-Request-Id", "")
    candidate = trace or given
    return candidate[:64] if candidate.replace("-", "").isalnum() else uuid.uuid4().hex


def _body() -> dict[str, Any]:
    if not request.is_json:
        return {}
    body = request.get_json(silent=True, cache=True)
    return body if isinstance(body, dict) else {}


_USAGE_PREFIXES = (
    "/api/v1/chart/",
    "/superset/explore_json",
    "/api/v1/dashboard/",
    "/api/v1/sqllab/",
    "/api/v1/security/login",
    "/supertenant/chat/api/",
)


_FORM_MIMETYPES = frozenset(("application/x-www-form-urlencoded", "multipart/form-data"))
_NO_FORM: dict[str, Any] = {}


def _route() -> Route | None:
    if not request.path.startswith(_USAGE_PREFIXES):
        return None  # most requests: no body or form parsing at all
    body = _body()
    # Only form posts (legacy explore, CSV export) carry a form; reading ``request.form`` on a JSON
    # request still runs werkzeug's form parser.
    form = request.form if request.mimetype in _FORM_MIMETYPES else _NO_FORM
    chart, _ = request_ids(request.path, request.args, form, body, request.view_args)
    return classify(request.method, request.path, request.args, form, body, chart)


class UsageHooks:
    def __init__(self, recorder: Recorder, budget: BudgetGuard | None) -> None:
        self.recorder = recorder
        self.budget = budget

    def before(self) -> Response | None:
        try:
            return self._before()
        except Exception as exc:  # metering never breaks a request
            log.error("usage_hook_failed", hook="before", error=str(exc)[:300])
            return None

    def after(self, response: Response) -> Response:
        try:
            self._after(response)
        except Exception as exc:  # metering never breaks a request
            log.error("usage_hook_failed", hook="after", error=str(exc)[:300])
        return response

    def _before(self) -> Response | None:
        g._st_started = time.perf_counter()
        g._st_queries = []
        request_id = _request_id()
        g._st_request_id = request_id
        tenant = request_tenant()
        user_id = _user_id()
        # Read now, while the user row is fresh: after the view commits, SQLAlchemy has expired it
        # and reading ``g.user.id`` in the after-hook cost a SELECT on every metered request.
        g._st_user = (user_id, _username())
        structlog.contextvars.bind_contextvars(
            request_id=request_id, tenant=tenant.slug if tenant else None, user_id=user_id
        )
        route = _route() if request.method in ("GET", "POST") else None
        g._st_route = route
        if tenant is None or route is None or route.kind not in QUERY_KINDS or self.budget is None:
            return None
        try:
            decision = self.budget.decision(tenant.slug)
        except sa.exc.SQLAlchemyError as exc:  # metering trouble never blocks a tenant's charts
            log.warning("budget_check_failed", error=str(exc)[:200])
            return None
        if decision.allowed:
            return None
        g._st_refused = True
        message = decision.message(tenant.slug, self.budget.book.currency)
        log.warning("budget_exceeded", spent=str(decision.spent), budget=str(decision.budget))
        return budget_refusal(message, decision, self.budget.book.currency)

    def _after(self, response: Response) -> None:
        started = getattr(g, "_st_started", None)
        if started is None:
            return
        duration = time.perf_counter() - started
        route: Route | None = getattr(g, "_st_route", None)
        tenant = request_tenant()
        queries: list[WarehouseQuery] = getattr(g, "_st_queries", [])
        refused = bool(getattr(g, "_st_refused", False))
        size = response.content_length if not response.is_streamed else None
        if route is not None:
            self._record(route, response, duration, queries, refused, size, tenant.slug if tenant else None)
        observed = RequestUsage(
            tenant=tenant.slug if tenant else None,
            endpoint=endpoint_label(route, request.path),
            status_code=response.status_code,
            duration_s=duration,
            bytes_returned=size,
            warehouse_queries=len(queries),
            refused=refused,
        )
        for observer in _observers():
            observer(observed)

    def _record(
        self,
        route: Route,
        response: Response,
        duration: float,
        queries: list[WarehouseQuery],
        refused: bool,
        size: int | None,
        tenant: str | None,
    ) -> None:
        user_id, username = getattr(g, "_st_user", (None, None))
        if route.kind == "login":
            if response.status_code != 200:
                return
            user_id, username = _jwt_login_user(response)
            info = directory().tenant_of_user(user_id)
            tenant = info.slug if info else None
        status = "refused" if refused else ("ok" if response.status_code < 400 else "error")
        self.recorder.record(
            UsageEvent(
                kind=route.kind,
                tenant=tenant,
                user_id=user_id,
                username=username,
                object_type=route.object_type,
                object_id=route.object_id,
                status=status,
                duration_ms=round(duration * 1000),
                warehouse_queries=len(queries),
                bytes_returned=size,
                request_id=getattr(g, "_st_request_id", None),
                queries=tuple(queries),
            )
        )

    def teardown(self, _exc: BaseException | None) -> None:
        structlog.contextvars.unbind_contextvars("request_id", "tenant", "user_id")


def _observers() -> list[Observer]:
    from flask import current_app

    found: list[Observer] = current_app.extensions.get(OBSERVERS_KEY, [])
    return found


def add_observer(app: Flask, observer: Observer) -> None:
    app.extensions.setdefault(OBSERVERS_KEY, []).append(observer)


def _user_id() -> int | None:
    """The caller's id without a second JWT verification (each one loads the user from the DB).

    By the time these hooks run, the tenant lookup (``request_tenant``) has resolved the user
    once: from the session (``g.user``) or from a verified JWT, which flask-jwt-extended keeps in
    ``g``. Only when neither is there is the full lookup done.
    """
    user_id = getattr(getattr(g, "user", None), "id", None)
    if getattr(getattr(g, "user", None), "is_authenticated", False) and user_id is not None:
        return int(user_id)
    decoded = getattr(g, "_jwt_extended_jwt", None)
    if isinstance(decoded, dict):
        subject = decoded.get("sub")
        return int(subject) if isinstance(subject, (int, str)) and str(subject).isdigit() else None
    return current_user_id()


def _username() -> str | None:
    """The caller's username; from flask-login's user when ``g.user`` is not set yet (a JWT call
    early in the request: the tenant lookup has loaded it by then)."""
    user = getattr(g, "user", None)
    if not getattr(user, "is_authenticated", False):
        from flask_login import current_user

        user = current_user
    name = getattr(user, "username", None) if getattr(user, "is_authenticated", False) else None
    return str(name) if name else None


def _jwt_login_user(response: Response) -> tuple[int | None, str | None]:
    """The user of a successful ``/api/v1/security/login``: the identity in the issued token."""
    from flask_jwt_extended import decode_token

    body = response.get_json(silent=True) or {}
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        return None, None
    try:
        identity = decode_token(token).get("sub")
        user_id = int(identity) if identity is not None else None
    except Exception:  # not our token to judge
        return None, None
    name = _body().get("username")
    return user_id, str(name) if name else None


def on_login(recorder: Recorder) -> Callable[..., None]:
    """flask-login ``user_logged_in`` receiver: a form or OAuth login."""

    def receiver(_sender: Any, user: Any = None, **_: Any) -> None:
        user_id = getattr(user, "id", None)
        info = directory().tenant_of_user(user_id) if user_id is not None else None
        recorder.record(
            UsageEvent(
                kind="login",
                tenant=info.slug if info else None,
                user_id=user_id,
                username=getattr(user, "username", None),
                request_id=getattr(g, "_st_request_id", None) if has_request_context() else None,
            )
        )

    return receiver


# --- QUERY_LOGGER ---------------------------------------------------------------------------------


def log_query(
    database: Any,
    sql: str,
    schema: str | None = None,
    module: str | None = None,
    security_manager: Any = None,
    log_params: Any = None,
) -> None:
    """``QUERY_LOGGER``: one SQL audit line per statement, and the statement for the usage event.

    The URL is logged without its password. Tenant, user and request id come from the log context
    of the request (Celery queries log without them).
    """
    url = _safe_url(database)
    audit.info("sql_audit", database=url, schema=schema, module=module, sql=sql)
    if has_request_context() and isinstance(getattr(g, "_st_queries", None), list):
        g._st_queries.append(WarehouseQuery(url=url, sql=sql, schema=schema))


def _safe_url(database: Any) -> str:
    from sqlalchemy.engine.url import URL, make_url

    try:
        url = database if isinstance(database, URL) else make_url(str(database))
        return str(url.render_as_string(hide_password=True))
    except Exception:
        return "<unparsable url>"


# --- registration ---------------------------------------------------------------------------------


def register_usage(app: Flask, recorder: Recorder | None = None) -> None:
    """Record usage from this app, enforce the daily budget, and bind the log context per request."""
    from flask_login import user_logged_in

    settings = get_settings()
    recorder = recorder or default_recorder()
    app.extensions["supertenant_usage_recorder"] = recorder
    try:
        book: PriceBook | None = load_pricebook(settings.pricebook_path)
    except Exception as exc:
        log.error("pricebook_unusable", error=str(exc)[:300], effect="no daily budgets")
        book = None
    from superset.extensions import db

    hooks = UsageHooks(recorder, BudgetGuard(book, lambda: db.engine) if book else None)
    app.before_request(hooks.before)
    app.after_request(hooks.after)
    app.teardown_request(hooks.teardown)
    user_logged_in.connect(on_login(recorder), app, weak=False)
