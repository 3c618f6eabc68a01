"""Explore's chart save through the chart API, refused when a tenant's Explore is off (issue #4).

An editor's role holds ``Chart.can_write`` whatever the features say (chart
properties need it), so without the guard an editor of a tenant with Explore
off could still create a chart, or change what one queries, through
``POST /api/v1/chart/`` and ``PUT /api/v1/chart/<id>``.
"""

from __future__ import annotations

import pytest

from supertenant.superset_ext.flags import (
    DEFAULT_FEATURES,
    is_chart_save,
    refused_chart_save,
    refused_feature,
)

ON = {**DEFAULT_FEATURES, "explore": True}
OFF = {**DEFAULT_FEATURES, "explore": False}


@pytest.mark.parametrize("path", ["/api/v1/chart/", "/api/v1/chart", "//api/v1//chart/"])
def test_creating_a_chart_is_refused_when_explore_is_off(path: str) -> None:
    assert refused_chart_save(path, "POST", ["slice_name", "datasource_id", "params"], OFF)
    assert refused_chart_save(path, "POST", [], OFF)  # whatever the body says
    assert not refused_chart_save(path, "POST", ["slice_name", "datasource_id", "params"], ON)


@pytest.mark.parametrize(
    "field",
    ["params", "query_context", "viz_type", "datasource_id", "datasource_type", "query_context_generation"],
)
def test_changing_what_a_chart_queries_is_refused_when_explore_is_off(field: str) -> None:
    assert refused_chart_save("/api/v1/chart/12", "PUT", ["slice_name", field], OFF)
    assert refused_chart_save("/api/v1/chart/12/", "PUT", [field], OFF)
    assert not refused_chart_save("/api/v1/chart/12", "PUT", [field], ON)


def test_chart_properties_stay_editable_when_explore_is_off() -> None:
    properties = [
        "slice_name",
        "description",
        "owners",
        "cache_timeout",
        "certified_by",
        "certification_details",
    ]
    assert not refused_chart_save("/api/v1/chart/12", "PUT", properties, OFF)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/chart/data", "POST"),  # dashboards' chart data
        ("/api/v1/chart/12/data/", "GET"),
        ("/api/v1/chart/12", "GET"),
        ("/api/v1/chart/12", "DELETE"),
        ("/api/v1/chart/", "GET"),
        ("/api/v1/chart/12/favorites/", "POST"),
        ("/api/v1/chart/12/cache_screenshot/", "GET"),
        ("/api/v1/charts/", "POST"),
        ("/api/v1/dashboard/", "POST"),
    ],
)
def test_other_chart_routes_are_not_a_save(path: str, method: str) -> None:
    assert not is_chart_save(path, method)
    assert not refused_chart_save(path, method, ["params", "viz_type"], OFF)


def test_the_new_chart_page_is_explore() -> None:
    assert refused_feature("/chart/add", OFF) == "explore"
    assert refused_feature("/chart/add/", OFF) == "explore"
    assert refused_feature("/chart/add", ON) is None
    assert refused_feature("/chart/list/", OFF) is None
