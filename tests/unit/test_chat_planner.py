"""The offline planner end to end: the protocol, determinism, confidence and the few-shot tie-break."""

from __future__ import annotations

import time
from datetime import date

from supertenant.chat import Clarify, Library, OfflinePlanner, Plan, Planner, contract_vocabulary
from supertenant.chat.eval.score import load
from supertenant.chat.fewshot import Example

EVAL = load()
NORTHWIND = EVAL.tenants["northwind-outdoor"]
SAKURA = EVAL.tenants["sakura-shoes"]
TODAY = date(2026, 11, 18)


def test_offline_planner_is_a_planner() -> None:
    planner: Planner = OfflinePlanner()
    assert isinstance(planner.plan("先月の費用", SAKURA, TODAY), Plan)


def test_spec_examples() -> None:
    planner = OfflinePlanner()
    cases = {
        "total cost last month": ("kpi", {"metric": "cost", "time_range": "previous calendar month"}),
        "先月の費用": ("kpi", {"metric": "cost", "time_range": "previous calendar month"}),
        "daily clicks and impressions for the last 30 days": (
            "trend",
            {
                "metrics": ["clicks", "impressions"],
                "time_range": 'DATEADD(DATETIME("today"), -30, day) : today',
            },
        ),
        "キャンペーン別のコンバージョン数トップ5": (
            "ranking",
            {"metric": "conversions", "dimension": "campaign_name", "top_n": 5},
        ),
        "device split of clicks this year": (
            "share",
            {"metric": "clicks", "dimension": "device", "time_range": "Current year"},
        ),
        "keywords with CPA, cost and conversions": (
            "table",
            {
                "dataset": "ads_keyword_daily",
                "dimensions": ["keyword_text"],
                "metrics": ["cpa", "cost", "conversions"],
            },
        ),
        "monthly ROAS by campaign type": (
            "trend",
            {"metrics": ["roas"], "time_grain": "month", "breakdown": "campaign_type"},
        ),
    }
    for text, (template, params) in cases.items():
        result = planner.plan(text, SAKURA if not text.isascii() else NORTHWIND, TODAY)
        assert isinstance(result, Plan), (text, result.to_json())
        assert (result.template, result.params) == (template, params), text
        assert result.to_json() == {"template": template, "version": 1, "params": params}


def test_plans_are_deterministic_and_the_lexicon_is_cached() -> None:
    planner = OfflinePlanner()
    first = planner.plan("weekly clicks by device", NORTHWIND, TODAY)
    assert all(planner.plan("weekly clicks by device", NORTHWIND, TODAY) == first for _ in range(3))
    assert len(planner._lexicons) == 1


def test_a_fresh_vocabulary_object_with_the_same_content_reuses_the_lexicon() -> None:
    planner = OfflinePlanner()
    planner.plan("clicks", contract_vocabulary("acme"), TODAY)
    planner.plan("clicks", contract_vocabulary("acme"), TODAY)
    assert len(planner._lexicons) == 1


def test_too_much_not_understood_asks_instead_of_guessing() -> None:
    result = OfflinePlanner().plan("clicks for the zorblax flimflam quux", NORTHWIND, TODAY)
    assert isinstance(result, Clarify)
    assert "zorblax" in result.question


def test_threshold_is_configurable() -> None:
    text = "clicks for the zorblax flimflam quux"
    assert isinstance(OfflinePlanner(threshold=0.0).plan(text, NORTHWIND, TODAY), Plan)


def test_the_nearest_example_breaks_ties_between_templates() -> None:
    """One dimension and one metric, no chart word: ranking, share or table by the nearest examples."""
    by_default = OfflinePlanner(Library([]))
    assert by_default.plan("clicks per device", NORTHWIND, TODAY).template == "ranking"  # type: ignore[union-attr]
    shares = Library(
        [
            Example(text="how are clicks distributed over devices", template="share", params={}),
            Example(text="how is cost distributed over campaign types", template="share", params={}),
            Example(text="cost per campaign", template="ranking", params={}),
        ]
    )
    result = OfflinePlanner(shares).plan("how are conversions distributed over regions", NORTHWIND, TODAY)
    assert isinstance(result, Plan)
    assert result.template == "share"


def test_tenant_examples_stay_with_their_tenant() -> None:
    library = Library(
        [Example(text="cost per campaign", template="table", params={}, tenant="other-tenant")] * 3
        + [Example(text="cost per campaign", template="ranking", params={})]
    )
    result = OfflinePlanner(library).plan("clicks per campaign", NORTHWIND, TODAY)
    assert isinstance(result, Plan)
    assert result.template == "ranking"


def test_a_plan_takes_milliseconds() -> None:
    planner = OfflinePlanner()
    planner.plan("warm up", SAKURA, TODAY)
    started = time.perf_counter()
    for _ in range(20):
        planner.plan("先月のキャンペーン別CPAトップ5", SAKURA, TODAY)
    assert (time.perf_counter() - started) / 20 < 0.05


def test_random_word_salad_never_raises_and_never_leaves_the_allow_list() -> None:
    """Seeded fuzz: any mix of known words, names, ids and symbols is a plan inside the allow-list or a no."""
    import random

    from supertenant.chat import lexicon_words as words
    from supertenant.chat.eval.score import allow_list_violations

    pool = [
        alias
        for table in (words.METRICS, words.DIMENSIONS, words.CHART_WORDS, words.ORDERS)
        for v in table.values()
        for alias in v
    ]
    pool += [
        *words.NEGATE_AFTER,
        *words.NEGATE_BEFORE,
        "先月",
        "last week",
        "top 5",
        "「セール」",
        "'Sale'",
        "×",
        ";",
        "--",
    ]
    pool += ["123-456-7890", "345-678-9012", "🙂", "%", "9" * 30, *SAKURA.values["campaign_name"][:4]]
    pool += list(NORTHWIND.values["campaign_name"][:4])
    planner, rng = OfflinePlanner(), random.Random(5)
    tenants = list(EVAL.tenants.values())
    for _ in range(800):
        text = " ".join(rng.choice(pool) for _ in range(rng.randint(0, 7)))
        tenant = rng.choice(tenants)
        result = planner.plan(text, tenant, TODAY)
        if isinstance(result, Plan):
            assert allow_list_violations(result, tenant) == [], text
