"""Every registered chart template honours the template contract, for every example and language.

Parametrized over the live registry: a new template fails here until it publishes examples whose
payloads are complete, JSON-only, self-consistent and reference only what the tenant has.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from supertenant import templates
from supertenant.templates.protocol import ChartPayload, ChartTemplate, DatasetRef, RenderContext
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS

LOCALES = ("ja", "en")
VIZ_TYPES = {
    "kpi": {"big_number_total", "big_number"},
    "trend": {"echarts_timeseries_line", "echarts_timeseries_bar", "echarts_area"},
    "ranking": {"echarts_timeseries_bar"},
    "share": {"pie"},
    "table": {"table"},
    "pivot": {"pivot_table_v2"},
}


def make_ctx(locale: str = "en", slug: str = "acme") -> RenderContext:
    datasets = {
        view.name: DatasetRef(
            id=10 + index,
            uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{slug}/{view.name}")),
            name=view.name,
            columns=frozenset(view.column_names),
            metrics=frozenset(metric.name for metric in SAVED_METRICS),
        )
        for index, view in enumerate(CONTRACT_VIEWS)
    }
    return RenderContext(tenant_slug=slug, locale=locale, datasets=datasets)


TEMPLATES = templates.all_charts()
CASES = [
    pytest.param(template, example, locale, id=f"{template.ref}-{index}-{locale}")
    for template in TEMPLATES
    for index, example in enumerate(template.examples())
    for locale in LOCALES
]


def _metric_refs(form: dict[str, Any], queries: list[dict[str, Any]]) -> Iterator[str]:
    """Every saved-metric reference in form data and queries (we only ever use saved metrics)."""
    for key in ("metrics", "metric", "timeseries_limit_metric", "series_limit_metric", "percent_metrics"):
        value = form.get(key)
        yield from value if isinstance(value, list) else [value] if value else []
    for query in queries:
        yield from query.get("metrics") or []
        for clause in query.get("orderby") or []:
            yield clause[0]
        if query.get("series_limit_metric"):
            yield query["series_limit_metric"]


def _column_refs(form: dict[str, Any], queries: list[dict[str, Any]]) -> Iterator[str]:
    """Every column reference in form data and queries: axes, groupings, filters."""
    for key in ("groupby", "groupbyRows", "groupbyColumns", "series_columns"):
        yield from form.get(key) or []
    if form.get("x_axis"):
        yield form["x_axis"]
    for adhoc in form["adhoc_filters"]:
        yield adhoc["subject"]
    for query in queries:
        for column in query["columns"]:
            yield column if isinstance(column, str) else column["sqlExpression"]
        for clause in query["filters"]:
            yield clause["col"]


def test_every_built_in_chart_template_is_registered() -> None:
    assert sorted(t.name for t in TEMPLATES) == sorted(VIZ_TYPES)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.ref for t in TEMPLATES])
def test_template_publishes_a_described_schema_and_examples(template: ChartTemplate[Any]) -> None:
    assert template.examples(), template.ref
    assert template.description_en
    assert template.description_ja
    assert template.Params.model_config.get("extra") == "forbid"
    undescribed = [name for name, field in template.Params.model_fields.items() if not field.description]
    assert not undescribed, f"the chat's model needs a description for {undescribed}"
    schema = template.Params.model_json_schema()
    assert set(schema["properties"]["dataset"]["enum"]) == {view.name for view in CONTRACT_VIEWS}


@pytest.mark.parametrize(("template", "example", "locale"), CASES)
def test_example_renders_a_complete_consistent_payload(
    template: ChartTemplate[Any], example: dict[str, Any], locale: str
) -> None:
    ctx = make_ctx(locale)
    payload = template.render(example, ctx)
    dataset = ctx.datasets[payload.dataset_name]
    form, qc = payload.params, payload.query_context

    assert payload.viz_type in VIZ_TYPES[template.name]
    assert form["viz_type"] == payload.viz_type
    assert form["datasource"] == f"{dataset.id}__table"
    assert payload.dataset_id == dataset.id
    assert qc["datasource"] == {"id": dataset.id, "type": "table"}
    assert qc["form_data"] == form
    assert qc["force"] is False
    assert (qc["result_format"], qc["result_type"]) == ("json", "full")
    assert qc["queries"]
    assert payload.slice_name

    marker = form["supertenant_template"]
    assert (marker["name"], marker["version"]) == (template.name, template.version)
    assert template.parse(marker["params"]) == template.parse(example)  # upgrades can replay it

    unknown_metrics = set(_metric_refs(form, qc["queries"])) - dataset.metrics
    assert not unknown_metrics
    unknown_columns = set(_column_refs(form, qc["queries"])) - dataset.columns
    assert not unknown_columns


@pytest.mark.parametrize(("template", "example", "locale"), CASES)
def test_payload_is_plain_deterministic_json(
    template: ChartTemplate[Any], example: dict[str, Any], locale: str
) -> None:
    first = template.render(example, make_ctx(locale))
    second = template.render(example, make_ctx(locale))
    assert first == second
    body = first.chart_body()
    assert json.loads(body["params"]) == first.params  # strict JSON: no NaN, sets, tuples or objects
    assert json.loads(body["query_context"]) == first.query_context
    json.dumps(first.model_dump(), allow_nan=False)


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.ref for t in TEMPLATES])
def test_generated_titles_follow_the_locale(template: ChartTemplate[Any]) -> None:
    for example in template.examples():
        ja = template.render(example, make_ctx("ja")).slice_name
        en = template.render(example, make_ctx("en")).slice_name
        assert ja != en
        assert en.isascii()
        assert not ja.isascii()


@pytest.mark.parametrize(("template", "example", "locale"), CASES)
def test_time_range_reaches_form_data_and_every_query(
    template: ChartTemplate[Any], example: dict[str, Any], locale: str
) -> None:
    payload: ChartPayload = template.render(example, make_ctx(locale))
    time_range = template.parse(example).time_range
    temporal = {
        "clause": "WHERE",
        "comparator": time_range,
        "expressionType": "SIMPLE",
        "operator": "TEMPORAL_RANGE",
        "subject": "date",
    }
    assert payload.params["time_range"] == time_range
    assert payload.params["adhoc_filters"][0] == temporal
    for query in payload.query_context["queries"]:
        assert query["filters"][0] == {"col": "date", "op": "TEMPORAL_RANGE", "val": time_range}
        assert query["time_range"] == time_range


def test_explicit_title_wins() -> None:
    payload = templates.chart("kpi").render({"metric": "cost", "title": "Spend"}, make_ctx("ja"))
    assert payload.slice_name == "Spend"


def test_the_package_is_pure() -> None:
    """Templates import no web, HTTP or Superset code (the chat and the CLI import them cheaply)."""
    code = (
        "import sys, supertenant.templates\n"
        "banned = ('flask', 'httpx', 'superset', 'sqlalchemy', 'requests', 'duckdb')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in banned)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
