"""`kpi`: one number over the time range, optionally with a trendline and a comparison.

Mirrors Superset 6.1's `big_number_total` (buildQuery: the base query as is) and `big_number`
(BigNumberWithTrendline/buildQuery.ts: a time-series query pivoted on the x axis, plus, with
aggregation "raw", a second query without columns that yields the overall value). "raw" makes the
headline the metric over the whole range, which is the only correct total for ratios (CPA, ROAS).

Superset's trendline comparison is the latest point against the point `compare_lag` grains
earlier, so the comparisons are defined on a daily trendline: `previous_period` compares the last
day with the same weekday a week before; `previous_year` with the same weekday 52 weeks before,
which needs a time range of more than 364 days (e.g. "Last year").
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from supertenant.templates.params import ChartParams, Metric
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import FLATTEN, FormData, Query, pivot_operator
from supertenant.templates.vocabulary import GRAIN_ISO, Locale, metric_format, metric_label

Compare = Literal["none", "previous_period", "previous_year"]

# compare → (lag in days on the daily trendline, suffix en, suffix ja)
_COMPARISONS: dict[str, tuple[int, str, str]] = {
    "previous_period": (7, "vs same day last week", "前週同曜日比"),
    "previous_year": (364, "vs same day last year", "前年同曜日比"),
}


class KpiParams(ChartParams):
    metric: Metric = Field(description="The saved metric to show, e.g. cost, conversions, cpa, roas.")
    compare: Compare = Field(
        default="none",
        description=(
            "none: just the number. previous_period: add a daily trendline and the change of the latest "
            "day against the same weekday one week earlier. previous_year: the same against 52 weeks "
            "earlier (needs a time range longer than 364 days)."
        ),
    )


class KpiTemplate(ChartTemplate[KpiParams]):
    name = "kpi"
    version = 1
    Params = KpiParams
    description_en = "One number (a KPI) over the time range, optionally with a trendline and a comparison."
    description_ja = "期間全体の指標を1つの数値（KPI）で表示。トレンドラインと比較を付けることもできます。"

    def examples(self) -> list[dict[str, Any]]:
        return [
            {"metric": "cost", "time_range": "previous calendar month"},
            {"metric": "cpa", "compare": "previous_period", "time_range": "Last month"},
            {
                "metric": "roas",
                "compare": "previous_year",
                "time_range": "Last year",
                "filters": [{"column": "campaign_type", "op": "==", "value": "SEARCH"}],
            },
        ]

    def references(self, p: KpiParams) -> References:
        return References(metrics=[("metric", p.metric)])

    def title(self, p: KpiParams, locale: Locale) -> str:
        return metric_label(p.metric, locale)

    def build(self, p: KpiParams, dataset: DatasetRef, locale: Locale) -> Built:
        display: dict[str, Any] = {
            "metric": p.metric,
            "y_axis_format": metric_format(p.metric),
            "header_font_size": 0.4,
            "subheader_font_size": 0.15,
            "time_format": "smart_date",
        }
        if p.compare == "none":
            return Built("big_number_total", {**display, "subheader": ""}, _total_queries)
        lag, suffix_en, suffix_ja = _COMPARISONS[p.compare]
        form = {
            **display,
            "x_axis": dataset.temporal_column,
            "time_grain_sqla": GRAIN_ISO["day"],
            "aggregation": "raw",
            "compare_lag": lag,
            "compare_suffix": suffix_ja if locale == "ja" else suffix_en,
            "show_trend_line": True,
            "start_y_axis_at_zero": True,
            "show_timestamp": False,
        }

        return Built("big_number", form, _trendline_queries)


def _total_queries(form: FormData, base: Query) -> list[Query]:
    """BigNumberTotal/buildQuery.ts: the base query object unchanged."""
    return [base]


def _trendline_queries(form: FormData, base: Query) -> list[Query]:
    """BigNumberWithTrendline/buildQuery.ts with aggregation "raw": the trend, then the overall value."""
    trend = {**base, "columns": [form["x_axis"]], "post_processing": [pivot_operator(form, base), FLATTEN]}
    overall = {**base, "columns": [], "is_timeseries": False, "post_processing": []}
    return [trend, overall]
