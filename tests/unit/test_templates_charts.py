"""Per-template Superset shapes: form data and query objects as Superset 6.1's frontend builds them.

The expected values are derived by hand from the 6.1 frontend (buildQueryObject, each plugin's
buildQuery and the chart-controls operators), so a change here is a change in how charts behave.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from supertenant import templates
from supertenant.templates.protocol import ChartPayload, DatasetRef, RenderContext
from supertenant.templates.querycontext import base_query, extract_query_fields, normalize_orderby
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS

TODAY_30 = 'DATEADD(DATETIME("today"), -30, day) : today'


def make_ctx(locale: str = "en") -> RenderContext:
    datasets = {
        view.name: DatasetRef(
            id=10 + index,
            uuid=str(uuid.uuid4()),
            name=view.name,
            columns=frozenset(view.column_names),
            metrics=frozenset(metric.name for metric in SAVED_METRICS),
        )
        for index, view in enumerate(CONTRACT_VIEWS)
    }
    return RenderContext(tenant_slug="acme", locale=locale, datasets=datasets)


def render(name: str, params: dict[str, Any], locale: str = "en") -> ChartPayload:
    return templates.chart(name).render(params, make_ctx(locale))


def only_query(payload: ChartPayload) -> dict[str, Any]:
    (query,) = payload.query_context["queries"]
    assert isinstance(query, dict)
    return query


# --- trend ---------------------------------------------------------------------------------------


def test_trend_query_matches_the_echarts_timeseries_build_query() -> None:
    payload = render("trend", {"metrics": ["clicks", "impressions"], "time_range": TODAY_30})
    assert payload.viz_type == "echarts_timeseries_line"
    assert only_query(payload) == {
        "time_range": TODAY_30,
        "filters": [{"col": "date", "op": "TEMPORAL_RANGE", "val": TODAY_30}],
        "extras": {"time_grain_sqla": "P1D", "having": "", "where": ""},
        "applied_time_extras": {},
        "columns": [
            {
                "timeGrain": "P1D",
                "columnType": "BASE_AXIS",
                "sqlExpression": "date",
                "label": "date",
                "expressionType": "SQL",
                "isColumnReference": True,
            }
        ],
        "metrics": ["clicks", "impressions"],
        "annotation_layers": [],
        "row_limit": 10000,
        "series_limit": 0,
        "group_others_when_limit_reached": False,
        "order_desc": True,
        "url_params": {},
        "custom_params": {},
        "custom_form_data": {},
        "series_columns": [],
        "orderby": [["clicks", False]],
        "time_offsets": [],
        "post_processing": [
            {
                "operation": "pivot",
                "options": {
                    "index": ["date"],
                    "columns": [],
                    "aggregates": {"clicks": {"operator": "mean"}, "impressions": {"operator": "mean"}},
                    "drop_missing_columns": False,
                },
            },
            {"operation": "flatten"},
        ],
    }


@pytest.mark.parametrize(
    ("grain", "iso"), [("day", "P1D"), ("week", "P1W"), ("month", "P1M"), ("quarter", "P3M"), ("year", "P1Y")]
)
def test_trend_time_grains(grain: str, iso: str) -> None:
    payload = render("trend", {"metrics": ["cost"], "time_grain": grain})
    assert payload.params["time_grain_sqla"] == iso
    assert only_query(payload)["columns"][0]["timeGrain"] == iso


def test_trend_breakdown_limits_series_by_the_first_metric_and_drops_the_metric_level() -> None:
    payload = render("trend", {"metrics": ["roas"], "breakdown": "campaign_type", "top_n": 3, "style": "bar"})
    form, query = payload.params, only_query(payload)
    assert payload.viz_type == "echarts_timeseries_bar"
    assert (form["groupby"], form["limit"], form["timeseries_limit_metric"]) == (["campaign_type"], 3, "roas")
    assert query["columns"][1] == "campaign_type"
    assert query["series_columns"] == ["campaign_type"]
    assert (query["series_limit"], query["series_limit_metric"]) == (3, "roas")
    assert query["orderby"] == [["roas", False]]
    operations = [step["operation"] for step in query["post_processing"]]
    assert operations == ["pivot", "rename", "flatten"]
    assert query["post_processing"][1]["options"] == {"columns": {"roas": None}, "level": 0, "inplace": True}


def test_trend_area_style() -> None:
    assert render("trend", {"metrics": ["cost"], "style": "area"}).viz_type == "echarts_area"


# --- ranking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("order", "ascending"), [("desc", False), ("asc", True)])
def test_ranking_is_a_bar_chart_with_the_dimension_on_the_x_axis(order: str, ascending: bool) -> None:
    payload = render("ranking", {"metric": "cost", "dimension": "campaign_name", "top_n": 7, "order": order})
    form, query = payload.params, only_query(payload)
    assert payload.viz_type == "echarts_timeseries_bar"
    assert (form["x_axis"], form["metrics"], form["groupby"]) == ("campaign_name", ["cost"], [])
    assert (form["x_axis_sort"], form["x_axis_sort_asc"], form["row_limit"]) == ("cost", ascending, 7)
    assert query["row_limit"] == 7
    assert query["orderby"] == [["cost", ascending]]  # the SQL itself picks the top (or bottom) N
    assert query["columns"] == [
        {
            "columnType": "BASE_AXIS",
            "sqlExpression": "campaign_name",
            "label": "campaign_name",
            "expressionType": "SQL",
            "isColumnReference": True,
        }
    ]
    assert query["post_processing"][1] == {
        "operation": "sort",
        "options": {"by": "cost", "ascending": ascending},
    }


def test_ranking_title_example() -> None:
    params = {"metric": "cost", "dimension": "campaign_name"}
    assert render("ranking", params).slice_name == "Cost by campaign (top 10)"
    assert render("ranking", params, "ja").slice_name == "キャンペーン別 費用（上位10）"


# --- share ---------------------------------------------------------------------------------------


def test_share_is_a_pie_of_the_top_n_with_the_rest_grouped() -> None:
    payload = render("share", {"metric": "clicks", "dimension": "device", "top_n": 3})
    form, query = payload.params, only_query(payload)
    assert payload.viz_type == "pie"
    assert (form["groupby"], form["metric"], form["row_limit"]) == (["device"], "clicks", 4)
    assert query["columns"] == ["device"]
    assert query["metrics"] == ["clicks"]
    assert (query["series_columns"], query["series_limit"], query["series_limit_metric"]) == (
        ["device"],
        3,
        "clicks",
    )
    assert query["group_others_when_limit_reached"] is True
    assert query["orderby"] == [["clicks", False]]
    assert query["post_processing"] == [
        {
            "operation": "contribution",
            "options": {"columns": ["clicks"], "rename_columns": ["clicks__contribution"]},
        }
    ]


# --- table ---------------------------------------------------------------------------------------


def test_table_groups_in_aggregate_mode_and_sorts_by_the_chosen_metric() -> None:
    payload = render(
        "table",
        {
            "dataset": "ads_keyword_daily",
            "dimensions": ["keyword_text", "match_type", "quality_score"],
            "metrics": ["clicks", "cost"],
            "sort_by": "cost",
            "order": "asc",
            "row_limit": 50,
        },
    )
    form, query = payload.params, only_query(payload)
    assert payload.viz_type == "table"
    assert form["query_mode"] == "aggregate"
    assert form["server_pagination"] is False
    assert form["groupby"] == ["keyword_text", "match_type", "quality_score"]
    assert (form["timeseries_limit_metric"], form["order_desc"], form["row_limit"]) == ("cost", False, 50)
    assert query["columns"] == ["keyword_text", "match_type", "quality_score"]
    assert query["metrics"] == ["clicks", "cost"]
    assert query["orderby"] == [["cost", True]]
    assert (query["row_limit"], query["post_processing"], query["time_offsets"]) == (50, [], [])


def test_table_sorts_by_the_first_metric_descending_by_default() -> None:
    query = only_query(render("table", {"dimensions": ["campaign_name"], "metrics": ["cpa", "cost"]}))
    assert query["orderby"] == [["cpa", False]]
    assert query["row_limit"] == 100


# --- pivot ---------------------------------------------------------------------------------------


def test_pivot_by_month_puts_the_time_grain_on_the_date_column() -> None:
    payload = render(
        "pivot", {"dataset": "ads_geo_daily", "metric": "cost", "rows": "region", "columns": "date"}
    )
    form, query = payload.params, only_query(payload)
    assert payload.viz_type == "pivot_table_v2"
    assert (form["groupbyRows"], form["groupbyColumns"], form["metrics"]) == (["region"], ["date"], ["cost"])
    assert (form["aggregateFunction"], form["time_grain_sqla"]) == ("Sum", "P1M")
    assert form["rowTotals"]
    assert form["colTotals"]
    assert query["columns"] == [
        {
            "timeGrain": "P1M",
            "columnType": "BASE_AXIS",
            "sqlExpression": "date",
            "label": "date",
            "expressionType": "SQL",
        },
        "region",
    ]
    assert query["orderby"] == [["cost", False]]


def test_pivot_of_two_dimensions_has_no_grain_and_no_totals_for_ratios() -> None:
    payload = render("pivot", {"metric": "ctr", "rows": "campaign_type", "columns": "device"})
    assert "time_grain_sqla" not in payload.params
    assert not payload.params["rowTotals"]
    assert only_query(payload)["columns"] == ["device", "campaign_type"]


# --- kpi -----------------------------------------------------------------------------------------


def test_kpi_without_comparison_is_a_big_number_total() -> None:
    payload = render("kpi", {"metric": "cost", "time_range": "previous calendar month"})
    assert payload.viz_type == "big_number_total"
    query = only_query(payload)
    assert (query["metrics"], query["columns"]) == (["cost"], [])
    assert "post_processing" not in query


@pytest.mark.parametrize(("compare", "lag"), [("previous_period", 7), ("previous_year", 364)])
def test_kpi_comparison_is_a_trendline_with_the_overall_value(compare: str, lag: int) -> None:
    payload = render("kpi", {"metric": "cpa", "compare": compare})
    form = payload.params
    assert payload.viz_type == "big_number"
    assert (form["x_axis"], form["time_grain_sqla"], form["compare_lag"]) == ("date", "P1D", lag)
    assert form["aggregation"] == "raw"  # the headline is CPA over the whole range, not a sum of days
    trend, overall = payload.query_context["queries"]
    assert trend["columns"][0]["columnType"] == "BASE_AXIS"
    assert [step["operation"] for step in trend["post_processing"]] == ["pivot", "flatten"]
    assert (overall["columns"], overall["is_timeseries"], overall["post_processing"]) == ([], False, [])


def test_kpi_comparison_suffix_is_localised() -> None:
    params = {"metric": "cost", "compare": "previous_period"}
    assert render("kpi", params, "ja").params["compare_suffix"] == "前週同曜日比"
    assert render("kpi", params, "en").params["compare_suffix"] == "vs same day last week"


# --- filters and the query-object mirror ---------------------------------------------------------


def test_row_filters_become_adhoc_filters_and_query_filters() -> None:
    payload = render(
        "kpi",
        {
            "metric": "cost",
            "filters": [
                {"column": "campaign_type", "op": "IN", "value": ["SEARCH", "DISPLAY"]},
                {"column": "campaign_name", "op": "LIKE", "value": "%brand%"},
            ],
        },
    )
    assert payload.params["adhoc_filters"][1:] == [
        {
            "clause": "WHERE",
            "comparator": ["SEARCH", "DISPLAY"],
            "expressionType": "SIMPLE",
            "operator": "IN",
            "operatorId": "IN",
            "subject": "campaign_type",
        },
        {
            "clause": "WHERE",
            "comparator": "%brand%",
            "expressionType": "SIMPLE",
            "operator": "LIKE",
            "operatorId": "LIKE",
            "subject": "campaign_name",
        },
    ]
    assert only_query(payload)["filters"][1:] == [
        {"col": "campaign_type", "op": "IN", "val": ["SEARCH", "DISPLAY"]},
        {"col": "campaign_name", "op": "LIKE", "val": "%brand%"},
    ]


def test_extract_query_fields_skips_columns_in_aggregate_mode_and_dedupes() -> None:
    form = {
        "query_mode": "aggregate",
        "groupby": ["a", "a"],
        "all_columns": ["b"],
        "metrics": ["m"],
        "metric": "m",
    }
    assert extract_query_fields(form) == (["a"], ["m"], None)


def test_base_query_takes_the_series_limit_from_the_legacy_limit() -> None:
    query = base_query({"limit": "5", "timeseries_limit_metric": "cost", "order_desc": False})
    assert (query["series_limit"], query["series_limit_metric"], query["order_desc"]) == (5, "cost", False)
    assert normalize_orderby(query) == [["cost", True]]
