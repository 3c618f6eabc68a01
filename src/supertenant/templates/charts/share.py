"""`share`: how an additive metric splits across the values of a dimension (a pie).

Mirrors Superset 6.1's `pie` (Pie/buildQuery.ts: order by the metric when `sort_by_metric`, then a
`contribution` step). "The rest grouped" uses the query object's generic series limit: with
`series_columns`, `series_limit`, `series_limit_metric` and `group_others_when_limit_reached`,
Superset keeps the top N values and sums the rest into one "Others" slice (models/helpers.py).
The pie's control panel does not show those keys, so a user who re-saves the chart in Explore gets
a plain top-N+1 pie; that edit also drops our template marker, as any user change should.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import Field, model_validator

from supertenant.templates.params import ChartParams, Dimension, Metric, custom_error, raise_at
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import FormData, Query, get_metric_label
from supertenant.templates.vocabulary import (
    ADDITIVE_METRICS,
    Locale,
    column_label,
    in_sentence,
    metric_format,
    metric_label,
)

MAX_SLICES = 50


class ShareParams(ChartParams):
    metric: Metric = Field(
        description="An additive saved metric: impressions, clicks, cost, conversions or conversion_value."
    )
    dimension: Dimension = Field(description="The STRING column to split by, e.g. device.")
    top_n: int = Field(default=8, ge=1, le=MAX_SLICES, description="Slices to show; the rest form 'Others'.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.metric not in ADDITIVE_METRICS:
            raise_at(
                ("metric",),
                custom_error(
                    "non_additive_metric",
                    f"{self.metric} is a ratio; shares of it do not add up to a whole",
                    sorted(ADDITIVE_METRICS),
                ),
                self.metric,
            )
        self.check_dimensions(dimension=self.dimension)
        return self


class ShareTemplate(ChartTemplate[ShareParams]):
    name = "share"
    version = 1
    Params = ShareParams
    description_en = "The composition of an additive metric across a dimension (pie; the rest grouped)."
    description_ja = "ディメンション別の構成比（円グラフ。上位以外は「その他」にまとめます）。"

    def examples(self) -> list[dict[str, Any]]:
        return [
            {"metric": "clicks", "dimension": "device", "time_range": "Current year"},
            {"metric": "cost", "dimension": "campaign_type", "top_n": 3},
            {"dataset": "ads_geo_daily", "metric": "conversions", "dimension": "region", "top_n": 10},
        ]

    def references(self, p: ShareParams) -> References:
        return References(metrics=[("metric", p.metric)], columns=[("dimension", p.dimension)])

    def title(self, p: ShareParams, locale: Locale) -> str:
        metric, dimension = metric_label(p.metric, locale), column_label(p.dimension, locale)
        if locale == "ja":
            return f"{dimension}別 {metric}の構成比"
        return f"{metric} share by {in_sentence(dimension)}"

    def build(self, p: ShareParams, dataset: DatasetRef, locale: Locale) -> Built:
        form: dict[str, Any] = {
            "groupby": [p.dimension],
            "metric": p.metric,
            "row_limit": p.top_n + 1,
            "sort_by_metric": True,
            "series_columns": [p.dimension],
            "series_limit": p.top_n,
            "series_limit_metric": p.metric,
            "group_others_when_limit_reached": True,
            "color_scheme": "supersetColors",
            "show_labels": True,
            "show_legend": True,
            "legendType": "scroll",
            "legendOrientation": "top",
            "label_type": "key_percent",
            "number_format": metric_format(p.metric),
            "date_format": "smart_date",
            "donut": True,
            "innerRadius": 40,
            "outerRadius": 70,
            "labels_outside": True,
            "show_labels_threshold": 5,
            "show_total": True,
        }
        return Built("pie", form, _pie_queries)


def _pie_queries(form: FormData, base: Query) -> list[Query]:
    """Pie/buildQuery.ts."""
    label = get_metric_label(form["metric"])
    query = {**base, "post_processing": [_contribution(label)]}
    if form.get("sort_by_metric"):
        query["orderby"] = [[form["metric"], False]]
    return [query]


def _contribution(label: str) -> dict[str, Any]:
    return {
        "operation": "contribution",
        "options": {"columns": [label], "rename_columns": [f"{label}__contribution"]},
    }
