"""Lexicon matching: metric and dimension synonyms in both languages, and tenant values as filters."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from supertenant.chat import OfflinePlanner, Plan
from supertenant.chat.eval.score import load
from supertenant.chat.lexicon import Kind, build
from supertenant.chat.text import fold

EVAL = load()
SAKURA = EVAL.tenants["sakura-shoes"]
NORTHWIND = EVAL.tenants["northwind-outdoor"]
TODAY = date(2026, 11, 18)
PLANNER = OfflinePlanner()


def plan(text: str, tenant: Any = NORTHWIND) -> Plan:
    result = PLANNER.plan(text, tenant, TODAY)
    assert isinstance(result, Plan), f"{text!r} → {result.to_json()}"
    return result


@pytest.mark.parametrize(
    ("text", "metric"),
    [
        ("費用", "cost"),
        ("コスト", "cost"),
        ("spend", "cost"),
        ("cost", "cost"),
        ("広告費", "cost"),
        ("クリック", "clicks"),
        ("clicks", "clicks"),
        ("ｸﾘｯｸ数", "clicks"),
        ("CV", "conversions"),
        ("コンバージョン", "conversions"),
        ("conversions", "conversions"),
        ("CPA", "cpa"),
        ("獲得単価", "cpa"),
        ("cost per conversion", "cpa"),
        ("ROAS", "roas"),
        ("広告費用対効果", "roas"),
        ("CTR", "ctr"),
        ("クリック率", "ctr"),
        ("ＣＴＲ", "ctr"),
        ("CPC", "cpc"),
        ("クリック単価", "cpc"),
        ("cost per click", "cpc"),
        ("conversion rate", "cvr"),
        ("CV率", "cvr"),
        ("表示回数", "impressions"),
        ("impressions", "impressions"),
        ("売上", "conversion_value"),
        ("revenue", "conversion_value"),
        ("conversion value", "conversion_value"),
    ],
)
def test_metric_synonyms(text: str, metric: str) -> None:
    assert plan(f"{text} last month").params["metric"] == metric


def test_longest_alias_wins_and_ascii_aliases_need_word_boundaries() -> None:
    lexicon = build(NORTHWIND)
    hits = lexicon.scan(fold("cost per click and costume conversion rate"))
    assert [
        (hit.text, hit.entries[0].kind, hit.entries[0].value)
        for hit in hits
        if hit.entries[0].kind is Kind.METRIC
    ] == [
        ("cost per click", Kind.METRIC, "cpc"),
        ("conversion rate", Kind.METRIC, "cvr"),
    ]


@pytest.mark.parametrize(
    ("text", "dimension", "dataset"),
    [
        ("キャンペーン別の費用", "campaign_name", None),
        ("デバイス別の費用", "device", None),
        ("cost by campaign type", "campaign_type", None),
        ("地域別の費用", "region", "ads_geo_daily"),
        ("cost by region", "region", "ads_geo_daily"),
        ("キーワード別の費用", "keyword_text", "ads_keyword_daily"),
        ("cost by keyword", "keyword_text", "ads_keyword_daily"),
        ("広告グループ別の費用", "ad_group_name", "ads_adgroup_daily"),
        ("cost per ad group", "ad_group_name", "ads_adgroup_daily"),
        ("マッチタイプ別の費用", "match_type", "ads_keyword_daily"),
    ],
)
def test_dimensions_choose_their_dataset(text: str, dimension: str, dataset: str | None) -> None:
    result = plan(text, SAKURA if not text.isascii() else NORTHWIND)
    assert result.params["dimension"] == dimension
    assert result.params.get("dataset") == dataset


@pytest.mark.parametrize(
    ("text", "tenant", "expected"),
    [
        ("mobile clicks", NORTHWIND, [{"column": "device", "op": "==", "value": "MOBILE"}]),
        ("スマホのクリック", SAKURA, [{"column": "device", "op": "==", "value": "MOBILE"}]),
        ("clicks excluding mobile", NORTHWIND, [{"column": "device", "op": "!=", "value": "MOBILE"}]),
        ("モバイル以外のクリック", SAKURA, [{"column": "device", "op": "!=", "value": "MOBILE"}]),
        (
            "clicks for search campaigns",
            NORTHWIND,
            [{"column": "campaign_type", "op": "==", "value": "SEARCH"}],
        ),
        ("検索キャンペーンのクリック", SAKURA, [{"column": "campaign_type", "op": "==", "value": "SEARCH"}]),
        ("clicks in Texas", NORTHWIND, [{"column": "region", "op": "==", "value": "Texas"}]),
        ("東京のクリック", SAKURA, [{"column": "region", "op": "==", "value": "Tokyo"}]),
        (
            "clicks for Shopping | Holiday Deals",
            NORTHWIND,
            [{"column": "campaign_name", "op": "==", "value": "Shopping | Holiday Deals"}],
        ),
        (
            "化粧水一般検索のクリック",
            SAKURA,
            [{"column": "campaign_name", "op": "==", "value": "化粧水_一般検索"}],
        ),  # separators dropped
        (
            "clicks for the summer sale campaign",
            NORTHWIND,
            [{"column": "campaign_name", "op": "==", "value": "Display | Summer Sale"}],
        ),  # a part only it has
        (
            "clicks of sale campaigns",
            NORTHWIND,
            [{"column": "campaign_name", "op": "LIKE", "value": "%Sale%"}],
        ),
        (
            "clicks for campaigns containing 'Beach'",
            NORTHWIND,
            [{"column": "campaign_name", "op": "LIKE", "value": "%Beach%"}],
        ),
        (
            "「セール」を含むキャンペーンのクリック",
            SAKURA,
            [{"column": "campaign_name", "op": "LIKE", "value": "%セール%"}],
        ),
        (
            "paused campaigns clicks",
            NORTHWIND,
            [{"column": "campaign_status", "op": "==", "value": "PAUSED"}],
        ),
        (
            "clicks on mobile and tablet",
            NORTHWIND,
            [{"column": "device", "op": "IN", "value": ["MOBILE", "TABLET"]}],
        ),
    ],
)
def test_values_from_the_tenants_data_become_filters(
    text: str, tenant: Any, expected: list[dict[str, Any]]
) -> None:
    assert plan(text, tenant).params["filters"] == expected


def test_ordinary_words_are_values_only_next_to_their_noun() -> None:
    assert "filters" not in plan("search clicks last month").params  # "search" alone is not a campaign type
    assert "filters" not in plan("display clicks by device").params  # "display" is a verb here


def test_keyword_names_need_a_keyword_noun() -> None:
    unsure = PLANNER.plan("hotel deals clicks by device", NORTHWIND, TODAY)  # campaign or keyword?
    assert not isinstance(unsure, Plan) or "filters" not in unsure.params
    keyword = plan("clicks for the keyword Hotel Deals reviews")
    assert keyword.params["filters"] == [
        {"column": "keyword_text", "op": "==", "value": "Hotel Deals reviews"}
    ]
    assert keyword.params["dataset"] == "ads_keyword_daily"


@pytest.mark.parametrize(
    ("text", "template", "extra"),
    [
        ("daily clicks", "trend", {"metrics": ["clicks"]}),
        ("日別のクリック", "trend", {"metrics": ["clicks"]}),
        ("weekly clicks", "trend", {"time_grain": "week"}),
        ("クリックの推移", "trend", {"metrics": ["clicks"]}),
        ("top 3 campaigns by clicks", "ranking", {"top_n": 3}),
        ("クリック数トップ3のキャンペーン", "ranking", {"top_n": 3}),
        ("worst 3 campaigns by CTR", "ranking", {"order": "asc"}),
        ("best CPA by campaign", "ranking", {"order": "asc"}),
        ("worst CPA by campaign", "ranking", {"metric": "cpa"}),
        ("clicks split by device", "share", {"dimension": "device"}),
        ("デバイス別クリックの内訳", "share", {"dimension": "device"}),
        ("table of clicks by campaign", "table", {"dimensions": ["campaign_name"]}),
        ("キャンペーン別クリック一覧", "table", {"dimensions": ["campaign_name"]}),
        ("pivot of clicks by campaign and device", "pivot", {"rows": "campaign_name", "columns": "device"}),
        ("キャンペーン×デバイスのクリック", "pivot", {"rows": "campaign_name", "columns": "device"}),
        ("total clicks", "kpi", {"metric": "clicks"}),
        ("クリック数の合計", "kpi", {"metric": "clicks"}),
    ],
)
def test_chart_words(text: str, template: str, extra: dict[str, Any]) -> None:
    result = plan(text, SAKURA if not text.isascii() else NORTHWIND)
    assert result.template == template
    assert extra.items() <= result.params.items()


# --- spelling: one edit away from exactly one meaning -----------------------------------------


@pytest.mark.parametrize(
    ("word", "alias"),
    [
        ("campain", "campaign"),  # deletion
        ("converions", "conversions"),
        ("clikcs", "clicks"),  # swap of neighbours
        ("monthy", "monthly"),  # a grain word
        ("diplay", "display"),
        ("tablett", "tablet"),  # tablet and tablets are one meaning
        ("produtc", "product"),  # unavailable data stays refusable when misspelt
    ],
)
def test_misspelt_words_are_corrected(word: str, alias: str) -> None:
    assert build(NORTHWIND).correct(word) == alias


@pytest.mark.parametrize(
    "word",
    ["shared", "regional", "clicking", "costly", "conversation", "devices", "cost", "clik", "thursday"],
)
def test_real_words_and_short_words_are_not_corrected(word: str) -> None:
    assert build(NORTHWIND).correct(word) is None


def test_misspelt_sentence_plans_like_the_spelt_one() -> None:
    wrong = plan("converions by campain last month")
    right = plan("conversions by campaign last month")
    assert (wrong.template, wrong.params) == (right.template, right.params)
    assert plan("click thru rate on desktop").params["metric"] == "ctr"


def test_misspelt_refusal_words_still_refuse() -> None:
    result = PLANNER.plan("cost by produtc", NORTHWIND, TODAY)
    assert not isinstance(result, Plan)


@pytest.mark.parametrize(
    ("text", "tenant"),
    [
        ("how did the holiday deals campaign do last month", NORTHWIND),
        ("how's the search campaign going", NORTHWIND),
        ("検索キャンペーンはどう？", SAKURA),
        ("先月のモバイルはどうだった？", SAKURA),
    ],
)
def test_how_did_it_do_asks_for_performance(text: str, tenant: Any) -> None:
    result = plan(text, tenant)
    assert result.template == "table"
    assert result.params["metrics"] == ["impressions", "clicks", "cost", "conversions", "cpa", "roas"]


def test_how_did_it_do_keeps_a_named_metric() -> None:
    result = plan("how did we do on conversions last week?")
    assert (result.template, result.params["metric"]) == ("kpi", "conversions")
    assert not isinstance(PLANNER.plan("how do I do a pivot", NORTHWIND, TODAY), Plan)


@pytest.mark.parametrize(
    ("text", "column"), [("スマホとPCのクリック率の違い", "device"), ("東京と大阪の費用の差", "region")]
)
def test_difference_between_two_values_compares_them(text: str, column: str) -> None:
    result = plan(text, SAKURA)
    assert (result.template, result.params["dimension"]) == ("ranking", column)
