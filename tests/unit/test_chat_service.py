"""The chat service's logic with a fake Superset behind an httpx MockTransport (real one: integration)."""

from __future__ import annotations

import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from supertenant.chat.fewshot import FailureLog
from supertenant.chat.planner import Plan, PlanResult
from supertenant.chat.service import create_app
from supertenant.chat.service.catalog import Catalogs, TenantCatalog, assemble, dataset_ref
from supertenant.chat.service.labels import NONE, OTHER, TenantLabels
from supertenant.chat.service.summary import describe_time, interpret, sentence
from supertenant.chat.vocabulary import TenantVocabulary
from supertenant.settings import load_settings
from supertenant.warehouse.contract import view

TODAY = date(2026, 11, 18)


def detail(dataset_id: int, name: str) -> dict[str, Any]:
    contract = view(name)
    return {
        "id": dataset_id,
        "uuid": f"00000000-0000-4000-8000-{dataset_id:012d}",
        "table_name": name,
        "columns": [{"column_name": c} for c in (*contract.column_names, "customer_email")],
        "metrics": [
            {"metric_name": m} for m in ("cost", "clicks", "impressions", "conversions", "cpa", "secret")
        ],
    }


class FakeSuperset:
    """Answers like Superset for one signed-in user; records what the service sent."""

    def __init__(self, *, chat: bool = True, tenant: bool = True, can_write: bool = True) -> None:
        self.chat, self.tenant, self.can_write = chat, tenant, can_write
        self.requests: list[httpx.Request] = []
        self.created: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("cookie") != "session=user-cookie":
            return httpx.Response(401, json={"msg": "Unauthorized"})
        path = request.url.path
        if path == "/api/v1/me/":
            return httpx.Response(200, json={"result": {"id": 7, "username": "editor@sakura"}})
        if path == "/supertenant/chat/context":
            tenant = {
                "slug": "sakura-shoes",
                "name": "さくら",
                "locale": "ja",
                "features": {"chat": self.chat},
            }
            return httpx.Response(
                200, json={"user_id": 7, "locale": "ja", "tenant": tenant if self.tenant else None}
            )
        if path == "/api/v1/dataset/":
            return httpx.Response(200, json={"result": [{"id": 11, "table_name": "ads_campaign_daily"}]})
        if path == "/api/v1/dataset/11":
            return httpx.Response(200, json={"result": detail(11, "ads_campaign_daily")})
        if path == "/api/v1/chart/data" and request.method == "POST":
            body = json.loads(request.content)
            assert body["datasource"] == {"id": 11, "type": "table"}
            values = {"campaign_name": ["春のセール", "ブランド検索"], "account_id": ["123-456-7890"]}
            result = [
                {"data": [{q["columns"][0]: v} for v in values.get(q["columns"][0], ["X"])]}
                for q in body["queries"]
            ]
            return httpx.Response(200, json={"result": result})
        if path == "/api/v1/security/csrf_token/":
            return httpx.Response(200, json={"result": "csrf-of-user"})
        if path == "/api/v1/chart/" and request.method == "POST":
            if not self.can_write:
                return httpx.Response(403, json={"message": "Forbidden"})
            assert request.headers["x-csrftoken"] == "csrf-of-user"
            self.created.append(json.loads(request.content))
            return httpx.Response(201, json={"id": 501})
        return httpx.Response(404, json={"message": "Not found"})


def client(fake: FakeSuperset, planner: Any = None, data_dir: Path | None = None, **more: Any) -> TestClient:
    settings = load_settings(
        superset_url="http://superset.test",
        chat_vocabulary_ttl=60,
        data_dir=data_dir or Path(tempfile.mkdtemp(prefix="chat-unit-")),
        **more,
    )
    app = create_app(settings, transport=httpx.MockTransport(fake), planner=planner, today=lambda: TODAY)
    return TestClient(app)


def post(test_client: TestClient, text: str, **extra: Any) -> Any:
    test_client.cookies.set("session", "user-cookie")
    return test_client.post("/v1/chat", json={"text": text, **extra})


def test_intent_becomes_a_chart_saved_as_the_user() -> None:
    fake = FakeSuperset()
    response = post(client(fake), "先月のキャンペーン別費用トップ10")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "chart"
    assert body["explore_url"] == "/explore/?slice_id=501"
    assert body["tenant"] == "sakura-shoes"
    assert [slot["name"] for slot in body["interpretation"]][:4] == [
        "template",
        "dataset",
        "metric",
        "dimension",
    ]
    assert "ランキング" in body["summary"]
    (created,) = fake.created
    assert created["datasource_id"] == 11
    params = json.loads(created["params"])
    assert params["datasource"] == "11__table"
    assert json.loads(created["query_context"])["datasource"] == {"id": 11, "type": "table"}
    assert all("authorization" not in r.headers for r in fake.requests), "no admin credential, ever"


def test_tenant_in_the_body_is_rejected() -> None:
    assert post(client(FakeSuperset()), "先月の費用", tenant="northwind-outdoor").status_code == 422


@pytest.mark.parametrize(
    ("fake", "status", "code"),
    [
        (FakeSuperset(chat=False), 403, "chat_disabled"),
        (FakeSuperset(tenant=False), 403, "no_tenant"),
        (FakeSuperset(can_write=False), 403, "cannot_save"),
    ],
)
def test_refusals(fake: FakeSuperset, status: int, code: str) -> None:
    response = post(client(fake), "先月の費用")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert fake.created == []


def test_no_session_is_401_without_calling_superset() -> None:
    fake = FakeSuperset()
    response = client(fake).post("/v1/chat", json={"text": "cost"})
    assert response.status_code == 401
    assert fake.requests == []


def test_planner_refusal_is_an_answer_not_a_chart_and_is_logged_for_review(tmp_path: Path) -> None:
    fake = FakeSuperset()
    body = post(client(fake, data_dir=tmp_path), "SELECT * FROM ads_raw; DROP TABLE x").json()
    assert body["kind"] == "refusal"
    assert body["code"] == "sql"
    assert fake.created == []
    (failure,) = FailureLog(tmp_path / "chat" / "failures.jsonl").read()
    assert failure.tenant == "sakura-shoes"
    assert failure.user == "editor@sakura"
    assert failure.plan == {"refusal": body["message"], "code": "sql"}


class RoguePlanner:
    """A planner that was fooled: a dataset the tenant does not have."""

    def plan(self, text: str, tenant: TenantVocabulary, today: date) -> PlanResult:
        params = {"dataset": "ads_keyword_daily", "metric": "cost", "dimension": "keyword_text"}
        return Plan(template="ranking", version=1, params=params)


def test_a_rogue_plan_is_revalidated_and_never_saved() -> None:
    fake = FakeSuperset()
    response = post(client(fake, RoguePlanner()), "anything")
    assert response.status_code == 422
    assert fake.created == []


def test_metrics_and_health() -> None:
    test_client = client(FakeSuperset(), metrics_token="scrape-token-for-tests")
    assert test_client.get("/healthz").json() == {"status": "ok"}
    post(test_client, "先月の費用")
    # The labels name tenants: without the token (and not from loopback) it is not there.
    assert test_client.get("/metrics").status_code == 404
    wrong = test_client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 404
    text = test_client.get("/metrics", headers={"Authorization": "Bearer scrape-token-for-tests"}).text
    assert 'supertenant_chat_requests_total{outcome="chart",tenant="sakura-shoes"} 1.0' in text
    assert "supertenant_chat_request_seconds_bucket" in text


def test_tenant_labels_are_bounded() -> None:
    labels = TenantLabels(2)
    assert [labels(s) for s in ("a", "b", "c", "a", None)] == ["a", "b", OTHER, "a", NONE]


def test_catalog_keeps_contract_columns_and_metrics_only() -> None:
    ref = dataset_ref(detail(11, "ads_campaign_daily"))
    assert ref is not None
    assert "customer_email" not in ref.columns
    assert "secret" not in ref.metrics
    assert dataset_ref({"id": 3, "uuid": "x", "table_name": "customer_emails"}) is None
    catalog = assemble(
        "sakura-shoes",
        locale="ja",
        name="",
        refs=[ref],
        values={"account_id": ["123-456-7890"], "region": ["東京"]},
    )
    assert catalog.vocabulary.account_ids == ("123-456-7890",)
    assert catalog.vocabulary.known_values("region") == frozenset({"東京"})
    assert catalog.render_context("ja").datasets["ads_campaign_daily"].id == 11


def test_catalog_cache_expires() -> None:
    now = [0.0]
    cache = Catalogs(10, clock=lambda: now[0])
    loads: list[int] = []

    def load() -> TenantCatalog:
        loads.append(1)
        return assemble("ab-co", locale="en", name=str(len(loads)), refs=[], values={})

    assert cache.get("a", load).vocabulary.name == "1"
    assert cache.get("a", load).vocabulary.name == "1"
    now[0] = 11
    assert cache.get("a", load).vocabulary.name == "2"


def test_interpretation_in_both_languages() -> None:
    plan = Plan(
        template="ranking",
        version=1,
        params={"metric": "cost", "dimension": "campaign_name", "time_range": "previous calendar month"},
    )
    ja = interpret(plan, "ja", TODAY)
    assert {slot.name: slot.text for slot in ja}["top_n"] == "10"
    assert "期間：先月（2026-10-01〜2026-10-31）" in sentence(ja, "ja")
    en = sentence(interpret(plan, "en", TODAY), "en")
    assert en.startswith("Chart: a ranking; Data: campaigns (daily); Metric: Cost")
    assert describe_time("No filter", TODAY, "en") == "all time"


class FlakySuperset(FakeSuperset):
    """Answers 503 to the first call of each read path, like a Superset worker restarting."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        key = f"{request.method} {request.url.path}"
        if key != "POST /api/v1/chart/" and key not in self.failed:
            self.failed.add(key)
            return httpx.Response(503, json={"message": "restarting"})
        return super().__call__(request)


def test_reads_are_retried_once_and_the_chart_is_saved_once() -> None:
    fake = FlakySuperset()
    response = post(client(fake), "先月の費用")
    assert response.status_code == 200, response.text
    assert len(fake.created) == 1
    assert "POST /api/v1/chart/data" in fake.failed
