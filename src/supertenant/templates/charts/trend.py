"""`trend`: up to three metrics over time, optionally one series per value of a dimension.

Mirrors Superset 6.1's ECharts time-series charts (Timeseries/buildQuery.ts): the temporal column as
the x axis with the time grain, the breakdown as `groupby` limited to `top_n` series by the first
metric (`limit` / `timeseries_limit_metric`), then pivot → rename → flatten post-processing.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from supertenant.templates.params import ChartParams, Dimension, Grain, Metric, unique
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import timeseries_queries
from supertenant.templates.vocabulary import (
    GRAIN_ISO,
    Locale,
    column_label,
    grain_label,
    in_sentence,
    join_labels,
    metric_format,
    metric_label,
)

Style = Literal["line", "bar", "area"]
VIZ_TYPES: dict[str, str] = {
    "line": "echarts_timeseries_line",
    "bar": "echarts_timeseries_bar",
    "area": "echarts_area",
}
MAX_SERIES = 25


class TrendParams(ChartParams):
    metrics: list[Metric] = Field(min_length=1, max_length=3, description="1 to 3 saved metrics to plot.")
    time_grain: Grain = Field(default="day", description="Bucket size of the time axis.")
    breakdown: Dimension | None = Field(
        default=None, description="A dimension to split into one series per value, e.g. campaign_type."
    )
    top_n: int = Field(
        default=5,
        ge=1,
        le=MAX_SERIES,
        description="With a breakdown: how many series (largest first metric).",
    )
    style: Style = Field(default="line", description="line, bar or area.")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        unique("metrics", self.metrics)
        self.check_dimensions(breakdown=self.breakdown)
        return self


class TrendTemplate(ChartTemplate[TrendParams]):
    name = "trend"
    version = 1
    Params = TrendParams
    description_en = "Metrics over time (line, bar or area), optionally broken down by a dimension."
    description_ja = "指標の推移（折れ線・棒・面）。ディメンションごとに系列を分けることもできます。"

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "metrics": ["clicks", "impressions"],
                "time_grain": "day",
                "time_range": 'DATEADD(DATETIME("today"), -30, day) : today',
            },
            {
                "metrics": ["roas"],
                "time_grain": "month",
                "breakdown": "campaign_type",
                "time_range": "Last year",
            },
            {
                "dataset": "ads_geo_daily",
                "metrics": ["cost"],
                "time_grain": "week",
                "breakdown": "region",
                "top_n": 3,
                "style": "area",
                "filters": [{"column": "country_code", "op": "IN", "value": ["JP"]}],
            },
            {"metrics": ["conversions"], "style": "bar", "time_grain": "quarter"},
        ]

    def references(self, p: TrendParams) -> References:
        return References(
            metrics=[(f"metrics.{i}", metric) for i, metric in enumerate(p.metrics)],
            columns=[("breakdown", p.breakdown)] if p.breakdown else [],
        )

    def title(self, p: TrendParams, locale: Locale) -> str:
        metrics = [metric_label(metric, locale) for metric in p.metrics]
        grain = grain_label(p.time_grain, locale)
        dimension = column_label(p.breakdown, locale) if p.breakdown else None
        if locale == "ja":
            by = f"{grain}別・{dimension}別" if dimension else f"{grain}別"
            return f"{join_labels(metrics, locale)}（{by}）"
        text = join_labels([metrics[0], *(in_sentence(label) for label in metrics[1:])], locale)
        return f"{text} by {grain}" + (f" and {in_sentence(dimension)}" if dimension else "")

    def build(self, p: TrendParams, dataset: DatasetRef, locale: Locale) -> Built:
        formats = {metric_format(metric) for metric in p.metrics}
        form: dict[str, Any] = {
            "x_axis": dataset.temporal_column,
            "time_grain_sqla": GRAIN_ISO[p.time_grain],
            "metrics": list(p.metrics),
            "groupby": [p.breakdown] if p.breakdown else [],
            "row_limit": 10000,
            "order_desc": True,
            "truncate_metric": True,
            "show_empty_columns": True,
            "annotation_layers": [],
            "color_scheme": "supersetColors",
            "show_legend": True,
            "legendType": "scroll",
            "legendOrientation": "top",
            "rich_tooltip": True,
            "x_axis_time_format": "smart_date",
            "tooltipTimeFormat": "smart_date",
            "y_axis_format": formats.pop() if len(formats) == 1 else "SMART_NUMBER",
        }
        if p.breakdown:
            form.update(
                limit=p.top_n,
                timeseries_limit_metric=p.metrics[0],
                group_others_when_limit_reached=False,
            )
        return Built(VIZ_TYPES[p.style], form, timeseries_queries)
