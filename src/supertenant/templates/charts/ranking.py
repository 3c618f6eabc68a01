"""`ranking`: one metric by one dimension, top (or bottom) N, sorted.

Mirrors a Superset 6.1 `echarts_timeseries_bar` with a categorical x axis, as Explore builds it:
the dimension is `x_axis`, the query is ordered by the metric and limited to `top_n` rows (so the SQL
picks the top N), and `x_axis_sort` / `x_axis_sort_asc` add the sort post-processing step.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from supertenant.templates.params import ChartParams, Dimension, Metric
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import timeseries_queries
from supertenant.templates.vocabulary import Locale, column_label, in_sentence, metric_format, metric_label

Order = Literal["desc", "asc"]
MAX_TOP_N = 100


class RankingParams(ChartParams):
    metric: Metric = Field(description="The saved metric to rank by.")
    dimension: Dimension = Field(description="The STRING column whose values are ranked, e.g. campaign_name.")
    top_n: int = Field(default=10, ge=1, le=MAX_TOP_N, description="How many values to show (1-100).")
    order: Order = Field(default="desc", description="desc: largest first (top N); asc: smallest first.")

    @model_validator(mode="after")
    def _dimension_on_dataset(self) -> Self:
        self.check_dimensions(dimension=self.dimension)
        return self


class RankingTemplate(ChartTemplate[RankingParams]):
    name = "ranking"
    version = 1
    Params = RankingParams
    description_en = "A metric by one dimension as sorted bars: the top (or bottom) N values."
    description_ja = "1つのディメンション別に指標を並べた棒グラフ（上位・下位N件）。"

    def examples(self) -> list[dict[str, Any]]:
        return [
            {"metric": "conversions", "dimension": "campaign_name", "top_n": 5},
            {"metric": "cpa", "dimension": "campaign_name", "order": "asc", "time_range": "Last month"},
            {
                "dataset": "ads_keyword_daily",
                "metric": "cost",
                "dimension": "keyword_text",
                "top_n": 20,
                "filters": [{"column": "match_type", "op": "!=", "value": "BROAD"}],
            },
        ]

    def references(self, p: RankingParams) -> References:
        return References(metrics=[("metric", p.metric)], columns=[("dimension", p.dimension)])

    def title(self, p: RankingParams, locale: Locale) -> str:
        metric, dimension = metric_label(p.metric, locale), column_label(p.dimension, locale)
        if locale == "ja":
            return f"{dimension}別 {metric}（{'上位' if p.order == 'desc' else '下位'}{p.top_n}）"
        return f"{metric} by {in_sentence(dimension)} ({'top' if p.order == 'desc' else 'bottom'} {p.top_n})"

    def build(self, p: RankingParams, dataset: DatasetRef, locale: Locale) -> Built:
        form: dict[str, Any] = {
            "x_axis": p.dimension,
            "metrics": [p.metric],
            "groupby": [],
            "x_axis_sort": p.metric,
            "x_axis_sort_asc": p.order == "asc",
            "row_limit": p.top_n,
            "order_desc": p.order == "desc",
            "truncate_metric": True,
            "show_empty_columns": True,
            "annotation_layers": [],
            "orientation": "vertical",
            "color_scheme": "supersetColors",
            "show_legend": False,
            "show_value": True,
            "rich_tooltip": True,
            "xAxisLabelRotation": 45,
            "y_axis_format": metric_format(p.metric),
        }
        return Built("echarts_timeseries_bar", form, timeseries_queries)
