"""Superset native filters (`native_filter_configuration` entries) for dashboard templates.

Shapes follow what Superset 6.1's filter editor saves (see also
superset/migrations/shared/native_filters.py): a time-range filter with an empty target, and
value filters targeting a dataset column by dataset id. Scopes are explicit: a filter excludes the
charts whose dataset lacks its column, so no chart is ever sent a filter on a missing column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from supertenant.templates.protocol import ChartSlot, DatasetRef, RenderedChart
from supertenant.templates.vocabulary import DEFAULT_DATASET


def filter_id(key: str) -> str:
    """A stable native filter id, so re-rendering keeps users' saved filter states valid."""
    return f"NATIVE_FILTER-{key}"


def _scope(all_ids: Sequence[int], excluded: Sequence[int]) -> dict[str, Any]:
    return {
        "scope": {"rootPath": ["ROOT_ID"], "excluded": sorted(excluded)},
        "chartsInScope": sorted(set(all_ids) - set(excluded)),
        "tabsInScope": [],
    }


def time_range_filter(
    *, key: str, name: str, default: str, all_ids: Sequence[int], excluded: Sequence[int] = ()
) -> dict[str, Any]:
    """A time-range filter preset to `default` (a Superset time range such as "Last month")."""
    return {
        "id": filter_id(key),
        "name": name,
        "filterType": "filter_time",
        "type": "NATIVE_FILTER",
        "targets": [{}],
        "controlValues": {"enableEmptyFilter": False},
        "defaultDataMask": {
            "extraFormData": {"time_range": default},
            "filterState": {"value": default},
            "ownState": {},
        },
        "cascadeParentIds": [],
        "description": "",
        **_scope(all_ids, excluded),
    }


def select_filter(
    *,
    key: str,
    name: str,
    dataset_id: int,
    column: str,
    all_ids: Sequence[int],
    excluded: Sequence[int] = (),
    parents: Sequence[str] = (),
    search_all_options: bool = False,
) -> dict[str, Any]:
    """A multi-select value filter on one dataset column, empty by default."""
    return {
        "id": filter_id(key),
        "name": name,
        "filterType": "filter_select",
        "type": "NATIVE_FILTER",
        "targets": [{"datasetId": dataset_id, "column": {"name": column}}],
        "controlValues": {
            "multiSelect": True,
            "enableEmptyFilter": False,
            "defaultToFirstItem": False,
            "inverseSelection": False,
            "searchAllOptions": search_all_options,
        },
        "defaultDataMask": {"extraFormData": {}, "filterState": {}, "ownState": {}},
        "cascadeParentIds": [filter_id(parent) for parent in parents],
        "description": "",
        **_scope(all_ids, excluded),
    }


def charts_without(
    column: str,
    slots: Sequence[ChartSlot],
    charts: Mapping[str, RenderedChart],
    datasets: Mapping[str, DatasetRef],
) -> list[int]:
    """Ids of the slot charts whose tenant dataset has no `column` (to exclude from a filter)."""
    excluded = []
    for slot in slots:
        dataset = datasets.get(str(slot.params.get("dataset", DEFAULT_DATASET)))
        if dataset is None or column not in dataset.columns:
            excluded.append(charts[slot.key].id)
    return excluded
