"""Form-data pieces every chart shares: the time filter, row filters and the template marker.

Superset 6 filters time with a TEMPORAL_RANGE adhoc filter on the dataset's temporal column (what
Explore adds for generic x axes) and keeps `time_range` in the form data as well, so native time
filters on dashboards can override both.
"""

from __future__ import annotations

from typing import Any

from supertenant.templates.params import ChartParams, Filter

# The frontend's operator ids (`Operators` in explore/constants.ts), shown by the filter editor.
OPERATOR_IDS = {
    "==": "EQUALS",
    "!=": "NOT_EQUALS",
    "<": "LESS_THAN",
    "<=": "LESS_THAN_OR_EQUAL",
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_OR_EQUAL",
    "IN": "IN",
    "NOT IN": "NOT_IN",
    "LIKE": "LIKE",
}

TEMPLATE_KEY = "supertenant_template"


def time_filter(temporal_column: str, time_range: str) -> dict[str, Any]:
    """The TEMPORAL_RANGE adhoc filter Explore keeps on the temporal column."""
    return {
        "clause": "WHERE",
        "comparator": time_range,
        "expressionType": "SIMPLE",
        "operator": "TEMPORAL_RANGE",
        "subject": temporal_column,
    }


def row_filter(item: Filter) -> dict[str, Any]:
    """One validated row filter as a SIMPLE adhoc WHERE filter."""
    return {
        "clause": "WHERE",
        "comparator": item.value,
        "expressionType": "SIMPLE",
        "operator": item.op,
        "operatorId": OPERATOR_IDS[item.op],
        "subject": item.column,
    }


def common_form_data(
    p: ChartParams, *, name: str, version: int, datasource_id: int, temporal_column: str, viz_type: str
) -> dict[str, Any]:
    """Keys every template's form data starts with, including the marker upgrades look for."""
    return {
        "datasource": f"{datasource_id}__table",
        "viz_type": viz_type,
        "time_range": p.time_range,
        "adhoc_filters": [time_filter(temporal_column, p.time_range), *(row_filter(f) for f in p.filters)],
        "extra_form_data": {},
        TEMPLATE_KEY: {"name": name, "version": version, "params": p.model_dump(mode="json")},
    }
