"""Refusals: every way a request can be unsafe gives a TemplateError that names it and suggests a fix."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from supertenant import templates
from supertenant.errors import PermanentError
from supertenant.templates import Registry, TemplateError
from supertenant.templates.charts.kpi import KpiTemplate
from supertenant.templates.params import normalise_time_range
from supertenant.templates.protocol import DatasetRef, RenderContext
from supertenant.templates.vocabulary import (
    DATASET_NAMES,
    DIMENSION_NAMES,
    METRIC_NAMES,
    contract_string_columns,
)
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS, VIEW_NAMES

ALL_METRICS = frozenset(metric.name for metric in SAVED_METRICS)


def make_ctx(
    *, views: tuple[str, ...] = VIEW_NAMES, metrics: frozenset[str] = ALL_METRICS, locale: str = "en"
) -> RenderContext:
    datasets = {
        view.name: DatasetRef(
            id=10 + index,
            uuid=str(uuid.uuid4()),
            name=view.name,
            columns=frozenset(view.column_names),
            metrics=metrics,
        )
        for index, view in enumerate(CONTRACT_VIEWS)
        if view.name in views
    }
    return RenderContext(tenant_slug="acme", locale=locale, datasets=datasets)


def refusal(name: str, params: dict[str, Any], ctx: RenderContext | None = None) -> TemplateError:
    with pytest.raises(TemplateError) as caught:
        templates.chart(name).render(params, ctx or make_ctx())
    return caught.value


# --- the vocabulary is the dataset contract ------------------------------------------------------


def test_literals_equal_the_dataset_contract() -> None:
    assert set(METRIC_NAMES) == ALL_METRICS
    assert DATASET_NAMES == VIEW_NAMES
    assert frozenset(DIMENSION_NAMES) == contract_string_columns()


def test_template_error_is_permanent_and_serialisable() -> None:
    error = refusal("kpi", {"metric": "cots"})
    assert isinstance(error, PermanentError)
    assert error.to_dict() == {
        "code": "unknown_metric",
        "message": error.message,
        "suggestions": list(error.suggestions),
        "field": "metric",
    }
    assert "cots" in str(error)


# --- metrics, dimensions, datasets ---------------------------------------------------------------


def test_unknown_metric_suggests_the_nearest_saved_metric() -> None:
    error = refusal("ranking", {"metric": "cots", "dimension": "campaign_name"})
    assert (error.code, error.field) == ("unknown_metric", "metric")
    assert error.suggestions[0] == "cost"


def test_an_unknowable_metric_lists_the_saved_metrics() -> None:
    error = refusal("trend", {"metrics": ["profit_margin"]})
    assert (error.code, error.field) == ("unknown_metric", "metrics.0")
    assert set(error.suggestions) == ALL_METRICS


def test_unknown_dimension_is_refused_with_suggestions() -> None:
    error = refusal("share", {"metric": "cost", "dimension": "devise"})
    assert (error.code, error.field) == ("unknown_dimension", "dimension")
    assert "device" in error.suggestions


def test_dimension_of_another_view_is_refused_with_this_views_dimensions() -> None:
    error = refusal("ranking", {"metric": "cost", "dimension": "keyword_text"})
    assert error.code == "unknown_dimension"
    assert "ads_campaign_daily has no dimension 'keyword_text'" in error.message
    campaign_dimensions = {
        "account_id",
        "campaign_name",
        "campaign_type",
        "campaign_status",
        "device",
        "currency",
    }
    assert set(error.suggestions) <= campaign_dimensions


def test_a_numeric_column_is_not_a_dimension() -> None:
    assert refusal("ranking", {"metric": "cost", "dimension": "clicks"}).code == "unknown_dimension"
    assert (
        refusal("table", {"metrics": ["cost"], "dimensions": ["quality_score"]}).code == "unknown_dimension"
    )


def test_dataset_outside_the_contract_is_refused() -> None:
    error = refusal("kpi", {"metric": "cost", "dataset": "other_tenant.ads_campaign_daily"})
    assert (error.code, error.field) == ("unknown_dataset", "dataset")
    assert error.suggestions[0] == "ads_campaign_daily"


def test_dataset_the_tenant_does_not_have_is_refused() -> None:
    ctx = make_ctx(views=("ads_campaign_daily", "ads_keyword_daily"))
    error = refusal(
        "pivot", {"dataset": "ads_geo_daily", "metric": "cost", "rows": "region", "columns": "date"}, ctx
    )
    assert (error.code, error.field) == ("dataset_unavailable", "dataset")
    assert error.suggestions == ("ads_campaign_daily", "ads_keyword_daily")


def test_metric_missing_from_the_tenants_dataset_is_refused_at_render() -> None:
    ctx = make_ctx(metrics=ALL_METRICS - {"roas"})
    error = refusal("trend", {"metrics": ["cost", "roas"]}, ctx)
    assert (error.code, error.field) == ("unknown_metric", "metrics.1")
    assert "roas" not in error.suggestions


def test_share_of_a_ratio_is_refused() -> None:
    error = refusal("share", {"metric": "ctr", "dimension": "device"})
    assert error.code == "non_additive_metric"
    assert "clicks" in error.suggestions


# --- time ranges ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("last month", "Last month"),
        ("  Previous   Calendar Month ", "previous calendar month"),
        ("No filter", "No filter"),
        ("2025-01-01 : 2025-02-01", "2025-01-01 : 2025-02-01"),
        ("2025-01-01:2025-02-01", "2025-01-01 : 2025-02-01"),
        ("DATEADD(DATETIME('today'), -30, DAY) : today", 'DATEADD(DATETIME("today"), -30, day) : today'),
        (
            'DATEADD(DATETIME("today"), -3660, year) : today',
            'DATEADD(DATETIME("today"), -3660, year) : today',
        ),
    ],
)
def test_allowed_time_ranges_are_normalised(given: str, canonical: str) -> None:
    assert normalise_time_range(given) == canonical
    assert templates.chart("kpi").parse({"metric": "cost", "time_range": given}).time_range == canonical


@pytest.mark.parametrize(
    "bad",
    [
        "since forever",
        "2025-02-30 : 2025-03-01",
        "2025-03-01 : 2025-02-01",
        "2025-03-01 : 2025-03-01",
        'DATEADD(DATETIME("today"), -0, day) : today',
        'DATEADD(DATETIME("today"), -3661, day) : today',
        'DATEADD(DATETIME("today"), -3, hour) : today',
        "2025-01-01 : now",
        "Last 30 days; DROP TABLE x",
    ],
)
def test_other_time_ranges_are_refused(bad: str) -> None:
    error = refusal("kpi", {"metric": "cost", "time_range": bad})
    assert (error.code, error.field) == ("invalid_time_range", "time_range")


def test_a_rolling_phrase_suggests_the_dateadd_form() -> None:
    error = refusal("trend", {"metrics": ["clicks"], "time_range": "last 30 days"})
    assert error.suggestions == ('DATEADD(DATETIME("today"), -30, day) : today',)


def test_reversed_dates_suggest_the_swapped_range() -> None:
    error = refusal("kpi", {"metric": "cost", "time_range": "2025-03-01 : 2025-02-01"})
    assert error.suggestions == ("2025-02-01 : 2025-03-01",)


# --- limits and parameter names ------------------------------------------------------------------


def test_top_n_over_the_maximum_is_refused() -> None:
    error = refusal("ranking", {"metric": "cost", "dimension": "campaign_name", "top_n": 101})
    assert (error.code, error.field) == ("out_of_range", "top_n")
    assert error.suggestions == ("at most 100",)


@pytest.mark.parametrize(
    ("name", "params", "field"),
    [
        ("trend", {"metrics": ["cost", "clicks", "ctr", "cpc"]}, "metrics"),
        ("trend", {"metrics": []}, "metrics"),
        ("table", {"metrics": ["cost"], "row_limit": 10001}, "row_limit"),
        (
            "table",
            {"metrics": ["cost"], "dimensions": ["device", "campaign_name", "campaign_type", "account_id"]},
            "dimensions",
        ),
        ("share", {"metric": "cost", "dimension": "device", "top_n": 0}, "top_n"),
    ],
)
def test_limits_are_enforced(name: str, params: dict[str, Any], field: str) -> None:
    error = refusal(name, params)
    assert (error.code, error.field) == ("out_of_range", field)


def test_unknown_parameter_lists_the_real_ones() -> None:
    error = refusal("kpi", {"metric": "cost", "colour": "red"})
    assert (error.code, error.field) == ("unknown_parameter", "colour")
    assert {"metric", "compare", "time_range", "filters", "title", "dataset"} <= set(error.suggestions)


def test_missing_parameter_is_named() -> None:
    error = refusal("ranking", {"metric": "cost"})
    assert (error.code, error.field) == ("missing_parameter", "dimension")


def test_every_problem_is_reported_at_once() -> None:
    error = refusal("ranking", {"metric": "cots", "dimension": "devise", "top_n": 500})
    assert error.code == "invalid_params"
    assert all(word in error.message for word in ("metric", "dimension", "top_n"))
    assert {"cost", "device", "at most 100"} <= set(error.suggestions)


def test_repeated_values_are_refused() -> None:
    assert refusal("trend", {"metrics": ["cost", "cost"]}).code == "duplicate_value"
    assert (
        refusal("pivot", {"metric": "cost", "rows": "device", "columns": "device"}).code == "duplicate_value"
    )


def test_time_grain_only_applies_to_date_columns_in_pivots() -> None:
    error = refusal(
        "pivot", {"metric": "cost", "rows": "device", "columns": "campaign_type", "time_grain": "week"}
    )
    assert (error.code, error.field) == ("invalid_time_grain", "time_grain")


# --- filters -------------------------------------------------------------------------------------


def test_filter_on_an_unknown_column_is_refused_at_render() -> None:
    error = refusal(
        "kpi", {"metric": "cost", "filters": [{"column": "campain_type", "op": "==", "value": "SEARCH"}]}
    )
    assert (error.code, error.field) == ("unknown_column", "filters.0.column")
    assert error.suggestions[0] == "campaign_type"


def test_filter_on_a_column_of_another_view_is_refused() -> None:
    error = refusal(
        "kpi", {"metric": "cost", "filters": [{"column": "keyword_text", "op": "==", "value": "x"}]}
    )
    assert error.code == "unknown_column"


@pytest.mark.parametrize("op", ["BETWEEN", "=", "ILIKE", "IS NULL", "; DROP"])
def test_filter_operator_outside_the_allow_list_is_refused(op: str) -> None:
    error = refusal("kpi", {"metric": "cost", "filters": [{"column": "device", "op": op, "value": "MOBILE"}]})
    assert (error.code, error.field) == ("invalid_filter_op", "filters.0.op")
    assert set(error.suggestions) <= {"==", "!=", "IN", "NOT IN", ">", "<", ">=", "<=", "LIKE"}


@pytest.mark.parametrize(
    "item",
    [
        {"column": "device", "op": "IN", "value": "MOBILE"},
        {"column": "device", "op": "IN", "value": []},
        {"column": "device", "op": "==", "value": ["MOBILE"]},
        {"column": "clicks", "op": "LIKE", "value": 3},
        {"column": "device; --", "op": "==", "value": "MOBILE"},
        {"column": "device", "op": "==", "value": {"nested": 1}},
        {"column": "device", "op": "==", "value": True},
        {"column": "device", "op": "IN", "value": ["MOBILE", None]},
    ],
)
def test_filter_values_must_fit_their_operator(item: dict[str, Any]) -> None:
    error = refusal("kpi", {"metric": "cost", "filters": [item]})
    assert error.field is not None
    assert error.field.startswith("filters.0")


# --- templates and versions ----------------------------------------------------------------------


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(TemplateError) as caught:
        templates.chart("gauge")
    assert caught.value.code == "unknown_template"
    assert "kpi@1" in caught.value.suggestions


def test_unknown_template_version_lists_the_known_versions() -> None:
    with pytest.raises(TemplateError) as caught:
        templates.chart("trend", 2)
    assert (caught.value.code, caught.value.suggestions) == ("unknown_template_version", ("trend@1",))
    with pytest.raises(TemplateError) as caught:
        templates.dashboard("google_ads_overview", 9)
    assert caught.value.code == "unknown_template_version"


def test_registry_refuses_a_duplicate_and_returns_the_latest_version() -> None:
    class KpiV2(KpiTemplate):
        version = 2

    registry = Registry.with_builtins()
    with pytest.raises(TemplateError) as caught:
        registry.register(KpiTemplate())
    assert caught.value.code == "duplicate_template"
    registry.register(KpiV2())
    assert registry.chart("kpi").version == 2
    assert registry.chart("kpi", 1).version == 1
    assert templates.chart("kpi").version == 1  # the default registry is untouched


def test_params_instances_and_dicts_render_alike() -> None:
    kpi = templates.chart("kpi")
    params = kpi.parse({"metric": "cost"})
    assert kpi.render(params, make_ctx()) == kpi.render({"metric": "cost"}, make_ctx())
