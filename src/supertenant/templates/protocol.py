"""What a template is: the render context it gets, the payload it returns, and its two base classes.

A chart template publishes `name`, `version`, a pydantic `Params` model (its parameter schema,
shown to the chat's language model), English and Japanese descriptions, `render()` and
`examples()`; nothing else is public. Everything Superset-specific it produces is plain JSON, so
the package stays pure: callers send payloads to Superset, templates never talk to it.
"""

from __future__ import annotations

import copy
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from supertenant.templates.checks import require, resolve_dataset
from supertenant.templates.errors import TemplateError
from supertenant.templates.formdata import common_form_data
from supertenant.templates.layout import Component, position_json
from supertenant.templates.params import ChartParams
from supertenant.templates.querycontext import BuildQuery, build_query_context
from supertenant.templates.uuids import object_uuid
from supertenant.templates.vocabulary import TEMPORAL_COLUMN, Locale

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,62}")


# --- what a template is rendered against ---------------------------------------------------------


class DatasetRef(BaseModel):
    """One of the tenant's Superset datasets over a contract view, as it exists in Superset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(gt=0)
    uuid: str
    name: str = Field(description="The contract view name, e.g. ads_campaign_daily.")
    columns: frozenset[str]
    metrics: frozenset[str] = Field(description="Saved metric names defined on the dataset.")
    temporal_column: str = TEMPORAL_COLUMN

    @field_validator("uuid")
    @classmethod
    def _canonical_uuid(cls, value: str) -> str:
        return str(UUID(value))


class RenderContext(BaseModel):
    """Everything tenant-specific a template may use; nothing else leaks into rendering."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant_slug: str = Field(pattern=_SLUG.pattern)
    locale: Locale
    datasets: Mapping[str, DatasetRef]
    support_contact: str | None = Field(
        default=None, max_length=200, description="Whom users should contact; shown by getting_started."
    )

    @model_validator(mode="after")
    def _keys_are_view_names(self) -> Self:
        for key, dataset in self.datasets.items():
            if key != dataset.name:
                raise ValueError(f"datasets[{key!r}] describes {dataset.name!r}; key it by its view name")
        return self


class ChartPayload(BaseModel):
    """A complete Superset chart: what `POST /api/v1/chart/` needs besides owners and UUID."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slice_name: str
    viz_type: str
    params: dict[str, Any]
    query_context: dict[str, Any]
    dataset_name: str
    dataset_id: int

    def chart_body(self) -> dict[str, Any]:
        """The chart fields as Superset's REST API wants them (params and query_context as JSON text)."""
        return {
            "slice_name": self.slice_name,
            "viz_type": self.viz_type,
            "params": json.dumps(self.params, ensure_ascii=False, sort_keys=True),
            "query_context": json.dumps(self.query_context, ensure_ascii=False, sort_keys=True),
            "datasource_id": self.dataset_id,
            "datasource_type": "table",
        }


# --- chart templates -----------------------------------------------------------------------------

P = TypeVar("P", bound=ChartParams)


@dataclass(frozen=True, slots=True)
class References:
    """The (field, name) pairs of saved metrics and columns a chart reads, checked at render time."""

    metrics: Sequence[tuple[str, str]] = ()
    columns: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True, slots=True)
class Built:
    """A template's own part of a chart: viz type, its form-data keys and its buildQuery mirror."""

    viz_type: str
    form_data: dict[str, Any]
    build_query: BuildQuery


class ChartTemplate(ABC, Generic[P]):
    """Base of every chart template; subclasses live one per file in `templates/charts/`.

    `Params` is declared without ClassVar only because a ClassVar cannot be generic; set it on the
    class. Subclasses implement `examples`, `references`, `title` and `build`; `render` does the
    rest (parsing, tenant checks, common form data, query context) the same way for all.
    """

    name: ClassVar[str]
    version: ClassVar[int]
    Params: type[P]
    description_en: ClassVar[str]
    description_ja: ClassVar[str]

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def description(self, locale: Locale) -> str:
        return self.description_ja if locale == "ja" else self.description_en

    def parse(self, params: Mapping[str, Any] | BaseModel) -> P:
        """Validated parameters; every problem at once as a TemplateError with suggestions."""
        if isinstance(params, self.Params):
            return params
        raw = params.model_dump() if isinstance(params, BaseModel) else params
        try:
            return self.Params.model_validate(raw)
        except ValidationError as exc:
            raise TemplateError.from_validation(exc, template=self.ref, model=self.Params) from None

    def render(self, params: Mapping[str, Any] | BaseModel, ctx: RenderContext) -> ChartPayload:
        """The Superset chart for `params` over the tenant's datasets in `ctx`."""
        p = self.parse(params)
        dataset = resolve_dataset(ctx.datasets, p.dataset)
        refs = self.references(p)
        filter_columns = [(f"filters.{i}.column", item.column) for i, item in enumerate(p.filters)]
        require(
            dataset,
            metrics=refs.metrics,
            columns=[*refs.columns, *filter_columns, ("dataset", dataset.temporal_column)],
        )
        built = self.build(p, dataset, ctx.locale)
        form = common_form_data(
            p,
            name=self.name,
            version=self.version,
            datasource_id=dataset.id,
            temporal_column=dataset.temporal_column,
            viz_type=built.viz_type,
        )
        form.update(built.form_data)
        return ChartPayload(
            slice_name=p.title or self.title(p, ctx.locale),
            viz_type=built.viz_type,
            params=form,
            query_context=build_query_context(copy.deepcopy(form), built.build_query),
            dataset_name=dataset.name,
            dataset_id=dataset.id,
        )

    @abstractmethod
    def examples(self) -> list[dict[str, Any]]:
        """Parameter dicts that must render; used by the contract test and shown to the chat."""

    @abstractmethod
    def references(self, p: P) -> References:
        """The saved metrics and columns (besides filters and the temporal column) the chart reads."""

    @abstractmethod
    def title(self, p: P, locale: Locale) -> str:
        """The chart name when the user gave none, in the tenant's language."""

    @abstractmethod
    def build(self, p: P, dataset: DatasetRef, locale: Locale) -> Built:
        """The viz type, the template's own form-data keys and its query builder."""


# --- dashboard templates -------------------------------------------------------------------------


class ChartSlot(BaseModel):
    """One chart of a dashboard template: a stable key, a chart template and its parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=_KEY.pattern, description="Stable across versions; part of the chart's UUID.")
    template: str
    template_version: int | None = Field(default=None, description="None means the latest version.")
    params: dict[str, Any] = Field(default_factory=dict)
    title_en: str | None = None
    title_ja: str | None = None

    def params_for(self, locale: Locale) -> dict[str, Any]:
        """The chart parameters with this slot's title in `locale`, when the slot sets one."""
        title = self.title_ja if locale == "ja" else self.title_en
        return {**self.params, "title": title} if title else dict(self.params)


class MarkdownBlock(BaseModel):
    """A markdown component, written once per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=_KEY.pattern)
    text_en: str
    text_ja: str

    def text(self, locale: Locale) -> str:
        return self.text_ja if locale == "ja" else self.text_en


class Cell(BaseModel):
    """A slot or markdown key placed in a row, `width` columns of the 12-column grid wide."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    width: int = Field(ge=1, le=12)


class LayoutRow(BaseModel):
    """One dashboard row; Superset measures height in grid units of 8 px."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cells: tuple[Cell, ...]
    height: int = Field(default=50, ge=8, le=200)


class RenderedChart(BaseModel):
    """A chart that exists in Superset for one of the dashboard's slots."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(gt=0)
    uuid: str
    slice_name: str


class DashboardPayload(BaseModel):
    """A complete Superset dashboard: title, layout, metadata, slug, UUID and the template marker.

    `template` is kept out of `json_metadata` on purpose: Superset 6.1 validates json_metadata with a
    closed schema (`DashboardJSONMetadataSchema`) and rejects unknown keys on create and update.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dashboard_title: str
    position_json: dict[str, Any]
    json_metadata: dict[str, Any]
    slug: str
    uuid: str
    template: dict[str, Any]


class DashboardTemplate(ABC):
    """Base of every dashboard template; subclasses live one per file in `templates/dashboards/`."""

    name: ClassVar[str]
    version: ClassVar[int]
    title_en: ClassVar[str]
    title_ja: ClassVar[str]
    color_scheme: ClassVar[str] = "supersetColors"

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"

    def title(self, locale: Locale) -> str:
        return self.title_ja if locale == "ja" else self.title_en

    @abstractmethod
    def slots(self) -> list[ChartSlot]:
        """The charts, each from a chart template."""

    @abstractmethod
    def rows(self) -> list[LayoutRow]:
        """The layout, top to bottom, placing every slot and markdown block exactly once."""

    def markdown(self) -> list[MarkdownBlock]:
        return []

    def markdown_text(self, block: MarkdownBlock, ctx: RenderContext) -> str:
        """A markdown block's text for this tenant; override to fill in tenant details."""
        return block.text(ctx.locale)

    def native_filters(self, ctx: RenderContext, charts: Mapping[str, RenderedChart]) -> list[dict[str, Any]]:
        """Superset `native_filter_configuration` entries; none by default."""
        return []

    def dashboard_uuid(self, tenant_slug: str) -> UUID:
        return object_uuid(tenant_slug, "dashboard", self.name)

    def chart_uuid(self, tenant_slug: str, key: str) -> UUID:
        """The UUID of the chart a slot becomes for a tenant (version-independent)."""
        return object_uuid(tenant_slug, "dashboard", self.name, "chart", key)

    def slug(self, tenant_slug: str) -> str:
        return f"{tenant_slug}-{self.name.replace('_', '-')}"

    def render(self, ctx: RenderContext, charts: Mapping[str, RenderedChart]) -> DashboardPayload:
        """The dashboard over the charts already created for this tenant's slots."""
        slots = {slot.key: slot for slot in self.slots()}
        missing = sorted(set(slots) - set(charts))
        if missing:
            raise TemplateError("missing_chart", f"{self.ref} needs charts for slots {missing}", missing)
        blocks = {block.key: block for block in self.markdown()}
        slot_charts = {key: charts[key] for key in slots}  # extra charts given are not ours to place
        rows = [
            [self._component(cell, row.height, ctx, slot_charts, blocks) for cell in row.cells]
            for row in self.rows()
        ]
        placed = [cell.key for row in self.rows() for cell in row.cells]
        unplaced = sorted((set(slots) | set(blocks)) - set(placed))
        if unplaced:
            raise TemplateError("invalid_layout", f"{self.ref} does not place {unplaced}")
        title = self.title(ctx.locale)
        ids = [charts[key].id for key in slots]
        return DashboardPayload(
            dashboard_title=title,
            position_json=position_json(title, rows),
            json_metadata={
                "native_filter_configuration": self.native_filters(ctx, charts),
                "chart_configuration": {},
                "global_chart_configuration": {
                    "scope": {"rootPath": ["ROOT_ID"], "excluded": []},
                    "chartsInScope": ids,
                },
                "color_scheme": self.color_scheme,
                "refresh_frequency": 0,
                "cross_filters_enabled": True,
                "expanded_slices": {},
                "label_colors": {},
                "shared_label_colors": [],
                "map_label_colors": {},
                "color_scheme_domain": [],
                "timed_refresh_immune_slices": [],
                "default_filters": "{}",
            },
            slug=self.slug(ctx.tenant_slug),
            uuid=str(self.dashboard_uuid(ctx.tenant_slug)),
            template={"name": self.name, "version": self.version},
        )

    def _component(
        self,
        cell: Cell,
        height: int,
        ctx: RenderContext,
        charts: Mapping[str, RenderedChart],
        blocks: Mapping[str, MarkdownBlock],
    ) -> Component:
        if cell.key in blocks:
            meta = {"code": self.markdown_text(blocks[cell.key], ctx), "width": cell.width, "height": height}
            return Component(f"MARKDOWN-{cell.key}", "MARKDOWN", meta)
        chart = charts.get(cell.key)
        if chart is None:
            raise TemplateError("invalid_layout", f"layout cell {cell.key!r} is neither a slot nor markdown")
        meta = {
            "chartId": chart.id,
            "uuid": chart.uuid,
            "width": cell.width,
            "height": height,
            "sliceName": chart.slice_name,
        }
        return Component(f"CHART-{cell.key}", "CHART", meta)
