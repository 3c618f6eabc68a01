"""The chat service (FastAPI): `POST /v1/chat`, `/healthz`, `/metrics`.

    uvicorn --factory supertenant.chat.service.app:create_app --port 8089

It is reached through Superset's own origin (`/supertenant/chat/api/…`, proxied by the extension),
so the browser's Superset session cookie and CSRF token arrive here and every Superset call is made
with them: the user's own rights, never an admin's. See docs/chat.md.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from supertenant.chat.fewshot import FailureLog
from supertenant.chat.offline import OfflinePlanner
from supertenant.chat.planner import Planner
from supertenant.chat.service import answers
from supertenant.chat.service.catalog import Catalogs
from supertenant.chat.service.metrics import ChatMetrics
from supertenant.chat.service.pipeline import Caller, FailureRecorder, LockedPlanner, Refused, Turn, identify
from supertenant.chat.service.superset import SESSION_COOKIE, SharedTransport, Unauthenticated, UserSession
from supertenant.errors import SupersetAPIError, TemporaryError
from supertenant.metering.scrape import scrape_allowed
from supertenant.settings import Settings, get_settings
from supertenant.templates.errors import TemplateError

log = structlog.get_logger(__name__)
MAX_TEXT = 500


class ChatRequest(BaseModel):
    """What the page sends: the sentence only (the tenant is never taken from the request)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT)


def default_planner(settings: Settings, metrics: ChatMetrics) -> Planner:
    """The offline planner, or the LLM planner (falling back to it) when configured."""
    offline = LockedPlanner(OfflinePlanner())
    if settings.chat_planner != "llm":
        return offline
    from supertenant.chat.llm import LLMPlanner

    def fell_back(slug: str, reason: str) -> None:
        metrics.planner_fallbacks.labels(metrics.tenant_label(slug), reason).inc()

    return LLMPlanner.from_settings(settings, fallback=offline, on_fallback=fell_back)


def create_app(
    settings: Settings | None = None,
    *,
    planner: Planner | None = None,
    transport: httpx.BaseTransport | None = None,
    today: Callable[[], date] = date.today,
) -> FastAPI:
    """The service; `planner`, `transport` and `today` are seams for tests."""
    settings = settings or get_settings()
    metrics = ChatMetrics(max_tenants=settings.chat_max_tenant_labels)
    shared = SharedTransport(transport)
    catalogs = Catalogs(settings.chat_vocabulary_ttl)
    chosen = planner or default_planner(settings, metrics)
    # Refusals and questions, for `supertenant chat review --log <data_dir>/chat/failures.jsonl`.
    failures = FailureRecorder(FailureLog(settings.data_dir / "chat" / "failures.jsonl"))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        shared.inner.close()

    app = FastAPI(
        title="supertenant chat", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.state.metrics = metrics
    app.state.catalogs = catalogs

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    metrics_token = settings.metrics_token.get_secret_value() if settings.metrics_token else None

    @app.get("/metrics")
    def prometheus(request: Request) -> Response:
        allowed = scrape_allowed(
            token=metrics_token,
            authorization=request.headers.get("authorization", ""),
            remote_addr=request.client.host if request.client else None,
            forwarded_for=request.headers.get("x-forwarded-for"),
        )
        if not allowed:
            return Response("Not Found\n", status_code=404, media_type="text/plain")
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.post("/v1/chat")
    def chat(body: ChatRequest, request: Request) -> JSONResponse:
        started = time.perf_counter()
        caller: Caller | None = None
        status, answer, outcome = 200, {}, "error"
        try:
            if not (request.cookies.get(SESSION_COOKIE) or request.headers.get("authorization")):
                raise Unauthenticated("POST", "/v1/chat", 401, "no Superset session")
            session = UserSession(
                settings.superset_url,
                shared,
                session_cookie=request.cookies.get(SESSION_COOKIE),
                authorization=request.headers.get("authorization"),
                csrf_token=request.headers.get("x-csrftoken"),
            )
            with session:
                caller = identify(session)
                answer = Turn(session, chosen, catalogs, today(), failures).run(caller, body.text)
                outcome = str(answer["kind"])
        except Unauthenticated:
            status, answer = 401, _error("unauthenticated", answers.text("unauthenticated", "en"))
            metrics.error(None, "auth")
        except Refused as exc:
            status, answer = exc.status, _error(exc.code, exc.message)
            metrics.error(exc.slug, "disabled" if exc.code == "chat_disabled" else "auth")
        except TemplateError as exc:  # a planner handed over something the allow-list refuses
            status, answer = 422, _error(exc.code, exc.message)
            metrics.error(_slug(caller), "planner")
        except SupersetAPIError as exc:
            log.warning(
                "superset_refused", method=exc.method, path=exc.path, status=exc.status, detail=exc.detail
            )
            locale = caller.locale if caller else "en"
            saving = exc.status == 403 and exc.path.startswith("/api/v1/chart")
            code = "cannot_save" if saving else "superset_refused"
            status = 403 if exc.status == 403 else 502
            answer = _error(code, answers.text(code, locale, detail=exc.detail[:200]))
            metrics.error(_slug(caller), "superset")
        except TemporaryError as exc:
            log.warning("superset_unavailable", problem=str(exc)[:300])
            locale = caller.locale if caller else "en"
            status, answer = 503, _error("unavailable", answers.text("unavailable", locale))
            metrics.error(_slug(caller), "superset")
        except Exception:
            log.exception("chat_failed", tenant=_slug(caller))
            status, answer = 500, _error("internal", "internal error")
            metrics.error(_slug(caller), "internal")
        elapsed = time.perf_counter() - started
        metrics.observe(_slug(caller), outcome, elapsed)
        log.info(
            "chat",
            tenant=_slug(caller),
            user_id=caller.user_id if caller else None,
            outcome=outcome,
            code=answer.get("code"),
            chart_id=answer.get("chart_id"),
            ms=round(elapsed * 1000, 1),
        )
        return JSONResponse(answer, status_code=status)

    return app


def _slug(caller: Caller | None) -> str | None:
    return caller.slug if caller else None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"kind": "error", "code": code, "message": message}
