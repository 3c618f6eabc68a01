"""`table`: a detail table of metrics grouped by up to three columns.

Mirrors Superset 6.1's `table` in aggregate query mode (plugin-chart-table/src/buildQuery.ts): group
by the dimensions, order by the sort metric (`timeseries_limit_metric` with `order_desc`), limit to
`row_limit`; no server pagination, totals, percent metrics or time comparison.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from supertenant.templates.params import ChartParams, Metric, one_of, unique
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import FormData, Query
from supertenant.templates.vocabulary import (
    DIMENSION_NAMES,
    TABLE_ATTRIBUTE_NAMES,
    DimensionName,
    Locale,
    TableAttributeName,
    column_label,
    in_sentence,
    join_labels,
    metric_format,
    metric_label,
    table_columns_of,
)

TableColumn = Annotated[
    DimensionName | TableAttributeName,
    one_of("unknown_dimension", "table column", DIMENSION_NAMES + TABLE_ATTRIBUTE_NAMES),
]
Order = Literal["desc", "asc"]
MAX_ROWS = 10000


class TableParams(ChartParams):
    dimensions: list[TableColumn] = Field(
        default_factory=list,
        max_length=3,
        description="0 to 3 columns to group rows by (STRING columns, or quality_score on keywords).",
    )
    metrics: list[Metric] = Field(min_length=1, max_length=6, description="1 to 6 saved metrics as columns.")
    sort_by: Metric | None = Field(
        default=None, description="Saved metric to sort rows by; default the first."
    )
    order: Order = Field(default="desc", description="desc: largest first; asc: smallest first.")
    row_limit: int = Field(default=100, ge=1, le=MAX_ROWS, description="At most this many rows (1-10000).")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        unique("dimensions", self.dimensions)
        unique("metrics", self.metrics)
        self.check_columns(table_columns_of(self.dataset), "groupable column", dimensions=self.dimensions)
        return self

    @property
    def sort_metric(self) -> str:
        return self.sort_by or self.metrics[0]


class TableTemplate(ChartTemplate[TableParams]):
    name = "table"
    version = 1
    Params = TableParams
    description_en = "A detail table: metrics grouped by up to three columns, sorted by a metric."
    description_ja = "明細表：最大3列でグループ化した指標を、指標で並べ替えて表示。"

    def examples(self) -> list[dict[str, Any]]:
        return [
            {
                "dataset": "ads_keyword_daily",
                "dimensions": ["keyword_text"],
                "metrics": ["cpa", "cost", "conversions"],
            },
            {
                "dimensions": ["campaign_name", "campaign_type", "campaign_status"],
                "metrics": ["impressions", "clicks", "cost", "conversions", "cpa", "roas"],
                "sort_by": "cost",
                "time_range": "Last month",
            },
            {
                "dataset": "ads_adgroup_daily",
                "dimensions": ["ad_group_name"],
                "metrics": ["clicks"],
                "order": "asc",
                "row_limit": 10000,
                "filters": [{"column": "ad_group_status", "op": "==", "value": "ENABLED"}],
            },
            {"metrics": ["cost", "conversions"], "time_range": "2025-01-01 : 2025-04-01"},
        ]

    def references(self, p: TableParams) -> References:
        metrics = [(f"metrics.{i}", metric) for i, metric in enumerate(p.metrics)]
        if p.sort_by:
            metrics.append(("sort_by", p.sort_by))
        return References(
            metrics=metrics, columns=[(f"dimensions.{i}", column) for i, column in enumerate(p.dimensions)]
        )

    def title(self, p: TableParams, locale: Locale) -> str:
        dimensions = [column_label(column, locale) for column in p.dimensions]
        metrics = [metric_label(metric, locale) for metric in p.metrics]
        if locale == "ja":
            what = join_labels(metrics, locale) if len(metrics) <= 2 else "実績"
            return f"{join_labels(dimensions, locale)}別 {what}" if dimensions else f"{what}（合計）"
        if len(metrics) <= 2:
            what = join_labels([metrics[0], *(in_sentence(m) for m in metrics[1:])], locale)
        else:
            what = "Performance"
        by = join_labels([in_sentence(d) for d in dimensions], locale)
        return f"{what} by {by}" if dimensions else f"{what} (total)"

    def build(self, p: TableParams, dataset: DatasetRef, locale: Locale) -> Built:
        form: dict[str, Any] = {
            "query_mode": "aggregate",
            "groupby": list(p.dimensions),
            "metrics": list(p.metrics),
            "all_columns": [],
            "percent_metrics": [],
            "timeseries_limit_metric": p.sort_metric,
            "order_desc": p.order == "desc",
            "row_limit": p.row_limit,
            "server_pagination": False,
            "server_page_length": 10,
            "include_time": False,
            "show_totals": False,
            "table_timestamp_format": "smart_date",
            "temporal_columns_lookup": {dataset.temporal_column: True},
            "allow_rearrange_columns": False,
            "column_config": {metric: {"d3NumberFormat": metric_format(metric)} for metric in p.metrics},
            "conditional_formatting": [],
        }
        return Built("table", form, _table_queries)


def _table_queries(form: FormData, base: Query) -> list[Query]:
    """plugin-chart-table buildQuery.ts, aggregate mode without pagination, totals or comparisons."""
    sort_metric = form.get("timeseries_limit_metric")
    metrics = list(base.get("metrics") or [])
    if sort_metric:
        orderby = [[sort_metric, not form.get("order_desc", False)]]
    else:
        orderby = [[metrics[0], False]] if metrics else list(base.get("orderby") or [])
    return [{**base, "orderby": orderby, "metrics": metrics, "post_processing": [], "time_offsets": []}]
