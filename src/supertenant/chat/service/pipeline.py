"""One chat turn: who is asking → their tenant → plan → validate → render → save as them → answer.

Errors from `supertenant.errors` are turned into HTTP answers by the app; this module only decides.
The tenant always comes from Superset (the user's membership in the registry, read by supertenant's
extension), never from the request body, so a user cannot ask for another tenant's charts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from supertenant.chat.fewshot import Failure, FailureLog
from supertenant.chat.planner import Clarify, Plan, Planner, PlanResult, Refusal
from supertenant.chat.service import answers
from supertenant.chat.service.catalog import Catalogs, TenantCatalog, read_catalog
from supertenant.chat.service.summary import interpret, sentence
from supertenant.chat.service.superset import UserSession
from supertenant.chat.text import detect_locale
from supertenant.chat.validate import validate_plan
from supertenant.errors import PermanentError
from supertenant.templates import registry
from supertenant.templates.vocabulary import Locale


class Refused(PermanentError):
    """The caller may not use the chat (not signed in, no tenant, feature off): `status` and a message."""

    def __init__(self, status: int, code: str, message: str, slug: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.slug = slug


@dataclass(frozen=True)
class Caller:
    """The signed-in user and their tenant, as Superset and the registry say."""

    user_id: int
    username: str
    slug: str
    tenant_name: str
    locale: Locale
    features: dict[str, bool] = field(default_factory=dict)


def _locale(value: Any) -> Locale:
    return "ja" if value == "ja" else "en"


def identify(session: UserSession) -> Caller:
    """`/api/v1/me/` (is the session valid?) then the extension's context (which tenant, which features)."""
    me = session.me()
    context = session.context()
    tenant = context.get("tenant")
    ui_locale = _locale(context.get("locale"))
    if not isinstance(tenant, dict):
        raise Refused(403, "no_tenant", answers.text("no_tenant", ui_locale))
    if int(context.get("user_id", -1)) != int(me["id"]):
        raise Refused(401, "unauthenticated", answers.text("unauthenticated", ui_locale))
    caller = Caller(
        user_id=int(me["id"]),
        username=str(me.get("username", "")),
        slug=str(tenant["slug"]),
        tenant_name=str(tenant.get("name", "")),
        locale=_locale(context.get("locale") or tenant.get("locale")),
        features={str(k): bool(v) for k, v in (tenant.get("features") or {}).items()},
    )
    if not caller.features.get("chat", False):
        raise Refused(403, "chat_disabled", answers.text("chat_disabled", caller.locale), caller.slug)
    return caller


class LockedPlanner:
    """Serialises a planner whose caches are not thread-safe (the offline one; plans take ~1 ms)."""

    def __init__(self, planner: Planner) -> None:
        self.planner = planner
        self._lock = threading.Lock()

    def plan(self, text: str, tenant: Any, today: date) -> PlanResult:
        with self._lock:
            return self.planner.plan(text, tenant, today)


class FailureRecorder:
    """Appends refusals and questions to the failure log that `supertenant chat review` reads."""

    def __init__(self, log: FailureLog) -> None:
        self.log = log
        self._lock = threading.Lock()

    def record(self, caller: Caller, text: str, result: Refusal | Clarify) -> None:
        message = result.reason if isinstance(result, Refusal) else result.question
        failure = Failure(
            tenant=caller.slug, user=caller.username, text=text[:2000], plan=result.to_json(), error=message
        )
        with self._lock:
            self.log.append(failure)


@dataclass
class Turn:
    """Everything one answer needs; `run` does the I/O in order."""

    session: UserSession
    planner: Planner
    catalogs: Catalogs
    today: date
    failures: FailureRecorder | None = None

    def catalog(self, caller: Caller) -> TenantCatalog:
        return self.catalogs.get(
            caller.slug,
            lambda: read_catalog(self.session, caller.slug, locale=caller.locale, name=caller.tenant_name),
        )

    def run(self, caller: Caller, text: str) -> dict[str, Any]:
        catalog = self.catalog(caller)
        locale = detect_locale(text, caller.locale)
        result = self.planner.plan(text, catalog.vocabulary, self.today)
        if self.failures is not None and not isinstance(result, Plan):
            self.failures.record(caller, text, result)
        if isinstance(result, Refusal):
            return {"kind": "refusal", "code": result.code, "message": result.reason, "tenant": caller.slug}
        if isinstance(result, Clarify):
            return {
                "kind": "clarify",
                "code": result.code,
                "message": result.question,
                "options": list(result.options),
                "tenant": caller.slug,
            }
        return self.save(caller, catalog, result, locale)

    def save(self, caller: Caller, catalog: TenantCatalog, plan: Plan, locale: Locale) -> dict[str, Any]:
        """Re-validate (whoever planned), render with the tenant's real dataset ids, save as the user."""
        checked = validate_plan(plan, catalog.vocabulary, locale=locale)
        template = registry.chart(checked.template, checked.version)
        payload = template.render(checked.params, catalog.render_context(locale))
        chart_id = self.session.create_chart(payload.chart_body())
        slots = interpret(checked, locale, self.today)
        return {
            "kind": "chart",
            "chart_id": chart_id,
            "title": payload.slice_name,
            "explore_url": f"/explore/?slice_id={chart_id}",
            "message": answers.text("chart_created", locale, title=payload.slice_name),
            "summary": sentence(slots, locale),
            "interpretation": [slot.to_json() for slot in slots],
            "template": checked.template,
            "version": checked.version,
            "params": checked.params,
            "tenant": caller.slug,
        }
