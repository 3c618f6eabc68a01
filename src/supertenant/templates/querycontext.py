"""A Python mirror of how Superset 6.1's frontend turns form data into a chart-data request.

Superset saves a chart's `query_context` exactly as its frontend built it, and the backend reuses it
for the chart-data API, reports, alerts, thumbnails and cache warm-up. So that charts we create
behave like charts made in Explore, this module reproduces the frontend functions, read from the
minified 6.1 bundle in `superset/static/assets` (module ids in brackets) and the matching
`superset-frontend` sources:

- `buildQueryContext` [37016] and `buildQueryObject` [29944] (`@superset-ui/core/query`),
  `extractQueryFields` [91125], `normalizeTimeColumn` [91043], `normalizeOrderBy` [10943];
- the post-processing operators of `@superset-ui/chart-controls/operators`: `pivotOperator` [60876],
  `renameOperator` [29980], `sortOperator` for the x axis [81702], `flattenOperator` [214],
  `extractExtraMetrics` [88264].

Only the paths our templates use are mirrored: no time comparison, rolling windows, resampling,
forecasts, extra (dashboard) form data or SQL adhoc filters.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

FormData = dict[str, Any]
Query = dict[str, Any]
BuildQuery = Callable[[FormData, Query], list[Query]]
"""A chart type's buildQuery: (full form data, base query object) → the queries it sends."""

DTTM_ALIAS = "__timestamp"
FLATTEN: dict[str, Any] = {"operation": "flatten"}

# extractQueryFields: form-data keys that feed a query's metrics / columns / orderby.
_QUERY_FIELD_ALIASES = {
    "metric": "metrics",
    "metric_2": "metrics",
    "secondary_metric": "metrics",
    "x": "metrics",
    "y": "metrics",
    "size": "metrics",
    "all_columns": "columns",
    "series": "groupby",
    "order_by_cols": "orderby",
}


def get_metric_label(metric: Any) -> str:
    """getMetricLabel: a saved metric is its own label; an adhoc metric has `label`."""
    return metric if isinstance(metric, str) else str(metric.get("label") or metric.get("sqlExpression"))


def get_column_label(column: Any) -> str:
    """getColumnLabel: a physical column is its own label; an adhoc column has `label`."""
    return column if isinstance(column, str) else str(column.get("label") or column.get("sqlExpression"))


def x_axis_label(form: Mapping[str, Any]) -> str | None:
    """getXAxisLabel: the x axis, or `__timestamp` for legacy time-series form data."""
    if form.get("granularity_sqla") or form.get("x_axis"):
        return get_column_label(form["x_axis"]) if form.get("x_axis") else DTTM_ALIAS
    return None


def adhoc_to_filter(adhoc: Mapping[str, Any]) -> dict[str, Any]:
    """convertFilter: a SIMPLE adhoc filter as a query-object filter clause."""
    clause: dict[str, Any] = {"col": adhoc["subject"], "op": adhoc["operator"]}
    if adhoc["operator"] not in ("IS NULL", "IS NOT NULL"):
        clause["val"] = adhoc.get("comparator")
    return clause


def _dedupe(items: Sequence[Any], label: Callable[[Any], str]) -> list[Any]:
    seen: set[str] = set()
    unique = []
    for item in items:
        if label(item) not in seen:
            seen.add(label(item))
            unique.append(item)
    return unique


def extract_query_fields(form: Mapping[str, Any]) -> tuple[list[Any], list[Any] | None, list[Any] | None]:
    """(columns, metrics, orderby) gathered from every form-data key that feeds them, in key order."""
    query_mode = form.get("query_mode")
    columns: list[Any] = []
    metrics: list[Any] = []
    orderby: list[Any] = []
    for key, value in form.items():
        if key == "query_mode" or value is None:
            continue
        name = _QUERY_FIELD_ALIASES.get(key, key)
        if query_mode == "aggregate" and name == "columns":
            continue
        if query_mode == "raw" and name in ("groupby", "metrics"):
            continue
        name = "columns" if name == "groupby" else name
        items = value if isinstance(value, list) else [value]
        if name == "metrics":
            metrics += items
        elif name == "columns":
            columns += items
        elif name == "orderby":
            orderby += [json.loads(item) if isinstance(item, str) else item for item in items]
    return (
        _dedupe([column for column in columns if column != ""], get_column_label),
        None if query_mode == "raw" else _dedupe(metrics, get_metric_label),
        orderby or None,
    )


def base_query(form: Mapping[str, Any]) -> Query:
    """buildQueryObject: the query object every chart type starts from."""
    columns, metrics, orderby = extract_query_fields(form)
    extras: dict[str, Any] = {}
    if form.get("time_grain_sqla"):
        extras["time_grain_sqla"] = form["time_grain_sqla"]
    filters = [
        adhoc_to_filter(adhoc)
        for adhoc in form.get("adhoc_filters") or []
        if adhoc.get("expressionType") == "SIMPLE" and adhoc.get("clause") == "WHERE"
    ]
    extras.update(having="", where="")  # built from SQL adhoc filters, which templates never emit
    query: Query = {}
    if form.get("time_range"):
        query["time_range"] = form["time_range"]
    query.update(filters=filters, extras=extras, applied_time_extras={}, columns=columns)
    if metrics is not None:
        query["metrics"] = metrics
    if orderby is not None:
        query["orderby"] = orderby
    query["annotation_layers"] = list(form.get("annotation_layers") or [])
    if form.get("row_limit") is not None:
        query["row_limit"] = int(form["row_limit"])
    if form.get("series_columns") is not None:
        query["series_columns"] = list(form["series_columns"])
    if form.get("series_limit") is not None:
        query["series_limit"] = int(form["series_limit"])
    else:
        query["series_limit"] = int(form["limit"]) if form.get("limit") is not None else 0
    limit_metric = form.get("series_limit_metric") or form.get("timeseries_limit_metric")
    if limit_metric:
        query["series_limit_metric"] = limit_metric
    query["group_others_when_limit_reached"] = bool(form.get("group_others_when_limit_reached", False))
    query["order_desc"] = form.get("order_desc", True) is not False
    query["url_params"] = dict(form.get("url_params") or {})
    query["custom_params"] = dict(form.get("custom_params") or {})
    query["custom_form_data"] = {}
    return query


def normalize_orderby(query: Mapping[str, Any]) -> list[list[Any]] | None:
    """normalizeOrderBy(...).orderby: a valid orderby, else by the limit metric, else the first metric."""
    orderby = query.get("orderby")
    if orderby and isinstance(orderby[0], list | tuple) and len(orderby[0]) == 2:
        return [list(clause) for clause in orderby]
    ascending = not query.get("order_desc")
    if query.get("series_limit_metric"):
        return [[query["series_limit_metric"], ascending]]
    if query.get("metrics"):
        return [[query["metrics"][0], ascending]]
    return None


def normalize_time_column(form: Mapping[str, Any], query: Query) -> Query:
    """normalizeTimeColumn: the x-axis column becomes a BASE_AXIS column carrying the time grain."""
    x_axis = form.get("x_axis")
    if not isinstance(x_axis, str) or x_axis not in query.get("columns", []):
        return query
    axis: dict[str, Any] = {}
    if query.get("extras", {}).get("time_grain_sqla"):
        axis["timeGrain"] = query["extras"]["time_grain_sqla"]
    axis.update(
        columnType="BASE_AXIS",
        sqlExpression=x_axis,
        label=x_axis,
        expressionType="SQL",
        isColumnReference=True,
    )
    normalized = {key: value for key, value in query.items() if key != "is_timeseries"}
    normalized["columns"] = [axis if column == x_axis else column for column in query["columns"]]
    return normalized


def build_query_context(form: FormData, build: BuildQuery) -> dict[str, Any]:
    """buildQueryContext: the request body Superset stores as the chart's `query_context`."""
    queries = build(form, base_query(form))
    for query in queries:
        if isinstance(query.get("post_processing"), list):
            query["post_processing"] = [step for step in query["post_processing"] if step]
    if isinstance(form.get("x_axis"), str):
        queries = [normalize_time_column(form, query) for query in queries]
    datasource_id, datasource_type = str(form["datasource"]).split("__")
    return {
        "datasource": {"id": int(datasource_id), "type": datasource_type},
        "force": False,
        "queries": queries,
        "form_data": form,
        "result_format": "json",
        "result_type": "full",
    }


# --- post-processing operators ------------------------------------------------------------------


def extra_metrics(form: Mapping[str, Any]) -> list[Any]:
    """extractExtraMetrics: the sort metric of an ungrouped x-axis sort when it is not charted."""
    limit_metric = form.get("timeseries_limit_metric")
    sort = form.get("x_axis_sort")
    if form.get("groupby") or not limit_metric or get_metric_label(limit_metric) != sort:
        return []
    if any(get_metric_label(metric) == sort for metric in form.get("metrics") or []):
        return []
    return [limit_metric]


def pivot_operator(form: Mapping[str, Any], query: Mapping[str, Any]) -> dict[str, Any] | None:
    """pivotOperator: one column per metric (and series), indexed by the x axis."""
    metrics = [get_metric_label(m) for m in [*(query.get("metrics") or []), *extra_metrics(form)]]
    index = x_axis_label(form)
    if not index or not metrics:
        return None
    series = query["series_columns"] if query.get("series_columns") is not None else query.get("columns")
    return {
        "operation": "pivot",
        "options": {
            "index": [index],
            "columns": [get_column_label(column) for column in series or []],
            "aggregates": {metric: {"operator": "mean"} for metric in metrics},
            "drop_missing_columns": not form.get("show_empty_columns"),
        },
    }


def rename_operator(form: Mapping[str, Any], query: Mapping[str, Any]) -> dict[str, Any] | None:
    """renameOperator (no time comparison): drop the metric level when one metric is split in series."""
    metrics = list(query.get("metrics") or [])
    series = query["series_columns"] if query.get("series_columns") is not None else query.get("columns")
    if (
        len(metrics) == 1
        and x_axis_label(form)
        and (series or len(form.get("time_compare") or []) > 1)
        and form.get("truncate_metric")
    ):
        return {
            "operation": "rename",
            "options": {"columns": {get_metric_label(metrics[0]): None}, "level": 0, "inplace": True},
        }
    return None


def x_axis_sort_operator(form: Mapping[str, Any]) -> dict[str, Any] | None:
    """sortOperator for a categorical x axis sorted by a metric or by itself (ungrouped only)."""
    sort, ascending = form.get("x_axis_sort"), form.get("x_axis_sort_asc")
    index = x_axis_label(form)
    sortable = [index, *(get_metric_label(m) for m in [*(form.get("metrics") or []), *extra_metrics(form)])]
    if sort is None or ascending is None or sort not in sortable or form.get("groupby"):
        return None
    if sort == index:
        return {"operation": "sort", "options": {"is_sort_index": True, "ascending": ascending}}
    return {"operation": "sort", "options": {"by": sort, "ascending": ascending}}


# --- chart types shared by several templates -----------------------------------------------------


def timeseries_queries(form: FormData, base: Query) -> list[Query]:
    """Timeseries/buildQuery.ts (echarts line, bar, area): x axis plus series, pivoted and flattened."""
    groupby = list(form.get("groupby") or [])
    return [
        {
            **base,
            "metrics": [*(base.get("metrics") or []), *extra_metrics(form)],
            "columns": [form["x_axis"], *groupby],
            "series_columns": groupby,
            "orderby": normalize_orderby(base),
            "time_offsets": [],
            "post_processing": [
                pivot_operator(form, base),
                rename_operator(form, base),
                x_axis_sort_operator(form),
                FLATTEN,
            ],
        }
    ]
