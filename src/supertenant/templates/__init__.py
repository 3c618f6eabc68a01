"""Chart and dashboard templates: named, versioned recipes that turn a few parameters into Superset JSON.

Pure: no I/O, no Superset, Flask or HTTP imports. The chat and provisioning pick a template, pass
parameters and a `RenderContext`, and send the returned payloads to Superset themselves.

    from supertenant import templates
    payload = templates.chart("ranking").render({"metric": "cost", "dimension": "campaign_name"}, ctx)
"""

from supertenant.templates.errors import TemplateError
from supertenant.templates.protocol import (
    ChartPayload,
    ChartSlot,
    ChartTemplate,
    DashboardPayload,
    DashboardTemplate,
    DatasetRef,
    RenderContext,
    RenderedChart,
)
from supertenant.templates.registry import (
    DEFAULT,
    Registry,
    all_charts,
    all_dashboards,
    chart,
    dashboard,
    register,
)
from supertenant.templates.uuids import object_uuid

__all__ = [
    "DEFAULT",
    "ChartPayload",
    "ChartSlot",
    "ChartTemplate",
    "DashboardPayload",
    "DashboardTemplate",
    "DatasetRef",
    "Registry",
    "RenderContext",
    "RenderedChart",
    "TemplateError",
    "all_charts",
    "all_dashboards",
    "chart",
    "dashboard",
    "object_uuid",
    "register",
]
