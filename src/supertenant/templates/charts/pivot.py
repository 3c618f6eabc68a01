"""`pivot`: one metric across two dimensions, or across a dimension and time.

Mirrors Superset 6.1's `pivot_table_v2` (plugin-chart-pivot-table/src/plugin/buildQuery.ts): the
query groups by columns then rows; the temporal column becomes a BASE_AXIS column with the time
grain because `temporal_columns_lookup` marks it temporal, exactly as Explore saves it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from supertenant.templates.params import (
    ChartParams,
    Dimension,
    Grain,
    Metric,
    custom_error,
    one_of,
    raise_at,
)
from supertenant.templates.protocol import Built, ChartTemplate, DatasetRef, References
from supertenant.templates.querycontext import FormData, Query
from supertenant.templates.vocabulary import (
    ADDITIVE_METRICS,
    DIMENSION_NAMES,
    GRAIN_ISO,
    TEMPORAL_COLUMN,
    DimensionName,
    Locale,
    column_label,
    dimensions_of,
    grain_label,
    in_sentence,
    metric_format,
    metric_label,
)

PivotColumn = Annotated[
    DimensionName | Literal["date"],
    one_of("unknown_dimension", "pivot column", (*DIMENSION_NAMES, TEMPORAL_COLUMN)),
]


class PivotParams(ChartParams):
    metric: Metric = Field(description="The saved metric in the cells.")
    rows: Dimension = Field(description="The STRING column whose values become rows, e.g. region.")
    columns: PivotColumn = Field(description="A STRING column, or 'date' for one column per time bucket.")
    time_grain: Grain | None = Field(
        default=None, description="With columns = date: bucket size (default month). Not allowed otherwise."
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        self.check_dimensions(rows=self.rows)
        if self.columns != TEMPORAL_COLUMN:
            self.check_dimensions(columns=self.columns)
            if self.time_grain is not None:
                raise_at(
                    ("time_grain",),
                    custom_error("invalid_time_grain", "time_grain applies only when columns is 'date'"),
                    self.time_grain,
                )
        if self.rows == self.columns:
            raise_at(
                ("columns",),
                custom_error(
                    "duplicate_value",
                    f"rows and columns are both {self.rows!r}",
                    [*[d for d in dimensions_of(self.dataset) if d != self.rows][:5], TEMPORAL_COLUMN],
                ),
                self.columns,
            )
        return self

    @property
    def grain(self) -> str | None:
        return (self.time_grain or "month") if self.columns == TEMPORAL_COLUMN else None


class PivotTemplate(ChartTemplate[PivotParams]):
    name = "pivot"
    version = 1
    Params = PivotParams
    description_en = "A pivot table of one metric: a dimension as rows, another dimension or time as columns."
    description_ja = (
        "ピボットテーブル：行にディメンション、列に別のディメンションまたは期間を置いて指標を集計。"
    )

    def examples(self) -> list[dict[str, Any]]:
        return [
            {"dataset": "ads_geo_daily", "metric": "cost", "rows": "region", "columns": "date"},
            {"metric": "clicks", "rows": "campaign_type", "columns": "device", "time_range": "Last quarter"},
            {
                "dataset": "ads_keyword_daily",
                "metric": "cpa",
                "rows": "match_type",
                "columns": "date",
                "time_grain": "week",
                "time_range": 'DATEADD(DATETIME("today"), -8, week) : today',
            },
        ]

    def references(self, p: PivotParams) -> References:
        columns: list[tuple[str, str]] = [("rows", p.rows)]
        if p.columns != TEMPORAL_COLUMN:
            columns.append(("columns", p.columns))
        return References(metrics=[("metric", p.metric)], columns=columns)

    def title(self, p: PivotParams, locale: Locale) -> str:
        metric, rows = metric_label(p.metric, locale), column_label(p.rows, locale)
        columns = grain_label(p.grain, locale) if p.grain else column_label(p.columns, locale)
        if locale == "ja":
            return f"{rows}×{columns}別 {metric}"
        return f"{metric} by {in_sentence(rows)} and {in_sentence(columns)}"

    def build(self, p: PivotParams, dataset: DatasetRef, locale: Locale) -> Built:
        column = dataset.temporal_column if p.columns == TEMPORAL_COLUMN else p.columns
        totals = p.metric in ADDITIVE_METRICS  # summing ratios would give meaningless totals
        form: dict[str, Any] = {
            "groupbyRows": [p.rows],
            "groupbyColumns": [column],
            "metrics": [p.metric],
            "metricsLayout": "COLUMNS",
            "aggregateFunction": "Sum",
            "rowTotals": totals,
            "colTotals": totals,
            "rowSubTotals": False,
            "colSubTotals": False,
            "transposePivot": False,
            "combineMetric": False,
            "valueFormat": metric_format(p.metric),
            "date_format": "smart_date",
            "rowOrder": "key_a_to_z",
            "colOrder": "key_a_to_z",
            "row_limit": 10000,
            "order_desc": True,
            "temporal_columns_lookup": {dataset.temporal_column: True},
        }
        if p.grain:
            form["time_grain_sqla"] = GRAIN_ISO[p.grain]
        return Built("pivot_table_v2", form, _pivot_queries)


def _pivot_queries(form: FormData, base: Query) -> list[Query]:
    """pivot_table_v2 buildQuery.ts: group by columns then rows; temporal columns get the grain."""
    grain = form.get("time_grain_sqla")
    temporal = form.get("temporal_columns_lookup") or {}
    columns: list[Any] = []
    for column in dict.fromkeys([*form.get("groupbyColumns", []), *form.get("groupbyRows", [])]):
        if grain and (temporal.get(column) or form.get("granularity_sqla") == column):
            columns.append(
                {
                    "timeGrain": grain,
                    "columnType": "BASE_AXIS",
                    "sqlExpression": column,
                    "label": column,
                    "expressionType": "SQL",
                }
            )
        else:
            columns.append(column)
    limit_metric = base.get("series_limit_metric")
    metrics = base.get("metrics") or []
    ascending = not base.get("order_desc")
    query = {key: value for key, value in base.items() if key != "orderby"}
    query["columns"] = columns
    if limit_metric or metrics:
        query["orderby"] = [[limit_metric or metrics[0], ascending]]
    return [query]
