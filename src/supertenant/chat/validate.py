"""The gate every plan passes, whoever made it: template schema, then the tenant's allow-list.

1. `registry.chart(template, version).parse(params)`: the template's own schema (names, ranges,
   per-template rules such as "a share needs an additive metric").
2. `render()` against a `RenderContext` built from the tenant's vocabulary, with fake dataset ids:
   the templates' render-time checks refuse a dataset the tenant lacks and a metric or column its
   dataset lacks (filters included).
3. Filter values: equality and list filters may only use values the tenant's data has (account ids:
   exactly its own); LIKE patterns are bounded and may not be bare wildcards.

A planner that was fooled (or an LLM that hallucinated) can therefore never produce a chart outside
the tenant's allow-list: the plan is rejected with a `TemplateError` naming the problem.
"""

from __future__ import annotations

import uuid
from typing import Any

from supertenant.chat.planner import Plan
from supertenant.chat.vocabulary import TenantVocabulary
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError
from supertenant.templates.params import ChartParams, Filter
from supertenant.templates.protocol import DatasetRef, RenderContext
from supertenant.templates.vocabulary import Locale

_NAMESPACE = uuid.UUID("0b3f3a0e-6c35-4c4f-9b7e-6c1d3c8a7e21")
MAX_LIKE_LENGTH = 100
NUMERIC_FILTER_COLUMNS = {"quality_score": (1, 10)}  # integer columns a filter may compare


def render_context(vocabulary: TenantVocabulary, locale: Locale | None = None) -> RenderContext:
    """The tenant's datasets as templates see them; ids and UUIDs are placeholders (nothing is saved)."""
    datasets = {
        dataset.name: DatasetRef(
            id=index + 1,
            uuid=str(uuid.uuid5(_NAMESPACE, f"{vocabulary.slug}/{dataset.name}")),
            name=dataset.name,
            columns=dataset.columns,
            metrics=dataset.metrics,
        )
        for index, dataset in enumerate(vocabulary.datasets)
    }
    return RenderContext(tenant_slug=vocabulary.slug, locale=locale or vocabulary.locale, datasets=datasets)


def validate_plan(plan: Plan, vocabulary: TenantVocabulary, *, locale: Locale | None = None) -> Plan:
    """The plan with canonical params and the chart's title; TemplateError if anything is not allowed."""
    template = registry.chart(plan.template, plan.version)
    params = template.parse(plan.params)
    payload = template.render(params, render_context(vocabulary, locale))
    check_filter_values(params, vocabulary)
    return Plan(
        template=template.name,
        version=template.version,
        params=canonical_params(params),
        title=payload.slice_name,
        confidence=plan.confidence,
    )


def canonical_params(params: ChartParams) -> dict[str, Any]:
    """The parameters without defaults (title aside), as JSON: short, and stable for comparisons."""
    return params.model_dump(mode="json", exclude_defaults=True, exclude={"title"})


def check_filter_values(params: ChartParams, vocabulary: TenantVocabulary) -> None:
    """Refuse filter values the tenant's data does not have (and any account id not its own)."""
    for index, item in enumerate(params.filters):
        field = f"filters.{index}.value"
        if item.op == "LIKE":
            _check_like(item, field)
            continue
        values = item.value if isinstance(item.value, list) else [item.value]
        if item.column in NUMERIC_FILTER_COLUMNS:
            low, high = NUMERIC_FILTER_COLUMNS[item.column]
            if not all(isinstance(value, int) and low <= value <= high for value in values):
                raise TemplateError(
                    "invalid_filter", f"{item.column} takes whole numbers {low}-{high}", field=field
                )
            continue
        if item.op not in ("==", "!=", "IN", "NOT IN"):
            raise TemplateError(
                "invalid_filter", f"{item.column} cannot be compared with {item.op}", field=field
            )
        known = vocabulary.known_values(item.column)
        unknown = [value for value in values if not isinstance(value, str) or value not in known]
        if unknown:
            listed = ", ".join(repr(value) for value in unknown)
            raise TemplateError(
                "unknown_value",
                f"{item.column} has no value {listed} in this tenant's data",
                sorted(known)[:12],
                field=field,
            )


def _check_like(item: Filter, field: str) -> None:
    pattern = str(item.value)
    if item.column == "account_id":
        raise TemplateError("invalid_filter", "account_id can only be filtered by exact ids", field=field)
    if len(pattern) > MAX_LIKE_LENGTH or not pattern.strip("%_ "):
        raise TemplateError(
            "invalid_filter",
            f"LIKE pattern {pattern!r} must name some text (1-{MAX_LIKE_LENGTH} chars)",
            field=field,
        )
