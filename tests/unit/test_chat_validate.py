"""Re-validation: a plan from a fooled planner (or a hallucinating LLM) never gets past the allow-list."""

from __future__ import annotations

from typing import Any

import pytest

from supertenant.chat import Plan, validate_plan
from supertenant.chat.eval.score import allow_list_violations, load
from supertenant.chat.validate import render_context
from supertenant.templates.errors import TemplateError

EVAL = load()
SAKURA = EVAL.tenants["sakura-shoes"]
TINY = EVAL.tenants["tiny-co"]


def plan(template: str, **params: Any) -> Plan:
    return Plan(template=template, version=1, params=params)


def test_a_valid_plan_comes_back_canonical_with_its_title() -> None:
    checked = validate_plan(
        plan(
            "ranking",
            metric="cost",
            dimension="campaign_name",
            top_n=10,
            time_range="previous CALENDAR month",
        ),
        SAKURA,
    )
    assert checked.params == {
        "metric": "cost",
        "dimension": "campaign_name",
        "time_range": "previous calendar month",
    }
    assert checked.title == "キャンペーン別 費用（上位10）"


@pytest.mark.parametrize(
    ("tenant", "hostile", "code"),
    [
        # another tenant's (or a non-contract) dataset
        (TINY, plan("kpi", metric="cost", dataset="ads_keyword_daily"), "dataset_unavailable"),
        (SAKURA, plan("kpi", metric="cost", dataset="ads_raw"), "unknown_dataset"),
        # metrics and columns outside the contract or the dataset
        (SAKURA, plan("kpi", metric="bounce_rate"), "unknown_metric"),
        (SAKURA, plan("ranking", metric="cost", dimension="email"), "unknown_dimension"),
        (SAKURA, plan("ranking", metric="cost", dimension="region"), "unknown_dimension"),  # not on campaigns
        (
            SAKURA,
            plan("kpi", metric="cost", filters=[{"column": "password", "op": "==", "value": "x"}]),
            "unknown_column",
        ),
        # filter values the tenant does not have, including another tenant's account
        (
            SAKURA,
            plan(
                "kpi", metric="cost", filters=[{"column": "account_id", "op": "==", "value": "345-678-9012"}]
            ),
            "unknown_value",
        ),
        (
            SAKURA,
            plan(
                "kpi",
                metric="cost",
                filters=[{"column": "account_id", "op": "IN", "value": ["123-456-7890", "345-678-9012"]}],
            ),
            "unknown_value",
        ),
        (
            SAKURA,
            plan(
                "kpi",
                metric="cost",
                filters=[{"column": "campaign_name", "op": "==", "value": "Brand | Harbor Stays"}],
            ),
            "unknown_value",
        ),
        (
            SAKURA,
            plan("kpi", metric="cost", filters=[{"column": "account_id", "op": "LIKE", "value": "%"}]),
            "invalid_filter",
        ),
        (
            SAKURA,
            plan("kpi", metric="cost", filters=[{"column": "campaign_name", "op": "LIKE", "value": "%%"}]),
            "invalid_filter",
        ),
        (
            SAKURA,
            plan("kpi", metric="cost", filters=[{"column": "device", "op": ">", "value": "A"}]),
            "invalid_filter",
        ),
        # SQL smuggled into free-text parameters
        (
            SAKURA,
            plan("kpi", metric="cost", time_range="2026-01-01 : 2026-02-01; DROP TABLE x"),
            "invalid_time_range",
        ),
        (
            SAKURA,
            plan(
                "kpi",
                metric="cost",
                filters=[{"column": "device; DROP TABLE x", "op": "==", "value": "MOBILE"}],
            ),
            "invalid_params",
        ),
        (SAKURA, plan("kpi", metric="cost", sql="SELECT 1"), "unknown_parameter"),
        # templates that do not exist
        (SAKURA, plan("raw_sql", query="SELECT 1"), "unknown_template"),
    ],
)
def test_hostile_plans_are_rejected(tenant: Any, hostile: Plan, code: str) -> None:
    with pytest.raises(TemplateError) as caught:
        validate_plan(hostile, tenant)
    assert caught.value.code == code


def test_the_scorers_independent_check_agrees() -> None:
    hostile = plan(
        "kpi", metric="cost", filters=[{"column": "account_id", "op": "==", "value": "345-678-9012"}]
    )
    assert allow_list_violations(hostile, SAKURA) == ["value account_id='345-678-9012'"]
    assert allow_list_violations(plan("kpi", metric="cost", dataset="ads_geo_daily"), TINY)


def test_render_context_holds_only_the_tenants_datasets() -> None:
    assert set(render_context(TINY).datasets) == {"ads_campaign_daily"}
    assert render_context(SAKURA).tenant_slug == "sakura-shoes"


def test_quality_score_takes_numeric_comparisons_only() -> None:
    ok = plan(
        "table",
        dataset="ads_keyword_daily",
        dimensions=["keyword_text"],
        metrics=["clicks"],
        filters=[{"column": "quality_score", "op": "<", "value": 5}],
    )
    assert validate_plan(ok, SAKURA).params["filters"][0]["value"] == 5
    bad = ok.model_copy(
        update={"params": {**ok.params, "filters": [{"column": "quality_score", "op": "<", "value": 50}]}}
    )
    with pytest.raises(TemplateError, match="whole numbers"):
        validate_plan(bad, SAKURA)
