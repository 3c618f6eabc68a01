"""Named, versioned templates: registration refuses duplicates, lookups name what exists.

`Registry` is a plain object so tests and plugins can build their own; the module-level functions
use the default registry, which holds exactly the built-ins listed in `catalog.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from supertenant.templates import catalog
from supertenant.templates.errors import TemplateError
from supertenant.templates.protocol import ChartPayload, ChartTemplate, DashboardTemplate, RenderContext

T = TypeVar("T", ChartTemplate[Any], DashboardTemplate)


class Registry:
    """Chart and dashboard templates keyed by (name, version)."""

    def __init__(self) -> None:
        self._charts: dict[tuple[str, int], ChartTemplate[Any]] = {}
        self._dashboards: dict[tuple[str, int], DashboardTemplate] = {}

    @classmethod
    def with_builtins(cls) -> Registry:
        registry = cls()
        for chart_template in catalog.CHART_TEMPLATES:
            registry.register(chart_template)
        for dashboard_template in catalog.DASHBOARD_TEMPLATES:
            registry.register(dashboard_template)
        return registry

    def register(self, template: ChartTemplate[Any] | DashboardTemplate) -> None:
        """Add a template; a second one with the same name and version is an error, never an overwrite."""
        table: dict[tuple[str, int], Any] = (
            self._dashboards if isinstance(template, DashboardTemplate) else self._charts
        )
        key = (template.name, template.version)
        if key in table:
            raise TemplateError("duplicate_template", f"template {template.ref} is already registered")
        table[key] = template

    def chart(self, name: str, version: int | None = None) -> ChartTemplate[Any]:
        """The chart template `name@version`, or its latest version when `version` is None."""
        return _lookup(self._charts, "chart", name, version)

    def dashboard(self, name: str, version: int | None = None) -> DashboardTemplate:
        """The dashboard template `name@version`, or its latest version when `version` is None."""
        return _lookup(self._dashboards, "dashboard", name, version)

    def all_charts(self) -> list[ChartTemplate[Any]]:
        return [self._charts[key] for key in sorted(self._charts)]

    def all_dashboards(self) -> list[DashboardTemplate]:
        return [self._dashboards[key] for key in sorted(self._dashboards)]

    def render_slots(self, dashboard: DashboardTemplate, ctx: RenderContext) -> dict[str, ChartPayload]:
        """Every chart of a dashboard template, rendered for one tenant, keyed by slot."""
        return {
            slot.key: self.chart(slot.template, slot.template_version).render(
                slot.params_for(ctx.locale), ctx
            )
            for slot in dashboard.slots()
        }


def _lookup(table: Mapping[tuple[str, int], T], kind: str, name: str, version: int | None) -> T:
    versions = sorted(v for n, v in table if n == name)
    if not versions:
        known = sorted({f"{n}@{v}" for n, v in table})
        raise TemplateError("unknown_template", f"no {kind} template named {name!r}", known, field="template")
    chosen = versions[-1] if version is None else version
    if chosen not in versions:
        raise TemplateError(
            "unknown_template_version",
            f"{kind} template {name!r} has no version {version}",
            [f"{name}@{v}" for v in versions],
            field="version",
        )
    return table[(name, chosen)]


DEFAULT = Registry.with_builtins()


def register(template: ChartTemplate[Any] | DashboardTemplate) -> None:
    DEFAULT.register(template)


def chart(name: str, version: int | None = None) -> ChartTemplate[Any]:
    return DEFAULT.chart(name, version)


def dashboard(name: str, version: int | None = None) -> DashboardTemplate:
    return DEFAULT.dashboard(name, version)


def all_charts() -> list[ChartTemplate[Any]]:
    return DEFAULT.all_charts()


def all_dashboards() -> list[DashboardTemplate]:
    return DEFAULT.all_dashboards()
