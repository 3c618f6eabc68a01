"""Instantiate a tenant's dashboard templates: charts first, then the dashboard over them.

Charts and dashboards carry UUIDs derived from the tenant and the template
object. An existing chart is updated only while it still equals what some
template version rendered for it (its ``supertenant_template`` marker says
which); a chart a user changed is left alone and reported as kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

from supertenant.errors import OwnershipError
from supertenant.superset_api.client import JSON, SupersetClient
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError
from supertenant.templates.protocol import ChartPayload, DashboardTemplate, RenderContext, RenderedChart

Record = Callable[..., bool]  # (action, kind, key, **detail) -> perform?
MARKER = "supertenant_template"


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def untouched_render(params: dict[str, Any], ctx: RenderContext) -> dict[str, Any] | None:
    """What the template version recorded in ``params`` renders now; None if it cannot say."""
    marker = params.get(MARKER)
    if not isinstance(marker, dict):
        return None
    try:
        template = registry.chart(str(marker["name"]), int(marker["version"]))
        return template.render(marker.get("params", {}), ctx).params
    except (KeyError, ValueError, TypeError, TemplateError):
        return None


def chart_action(
    existing: dict[str, Any] | None, want: ChartPayload, ctx: RenderContext
) -> Literal["create", "update", "keep", "none"]:
    """Decide one chart's fate (PURE): create, update (still a template render), keep (user-made), none."""
    if existing is None:
        return "create"
    current = _loads(existing.get("params"))
    if current == want.params and existing.get("slice_name") == want.slice_name:
        return "none"
    if untouched_render(current, ctx) == current:
        return "update"
    return "keep"


class DashboardInstantiator:
    """Creates or updates the charts and dashboard of one dashboard template for one tenant."""

    def __init__(self, client: SupersetClient, slug: str, record: Record, dry_run: bool) -> None:
        self.client = client
        self.slug = slug
        self.record = record
        self.dry_run = dry_run
        self.kept: list[str] = []  # charts users changed: never touched, never reported as a change
        self.created: set[int] = set()  # dashboards this run created: known to be empty shells
        # Filled by prefetch(): what Superset holds for several templates, read in 2-3 requests.
        self._dashboards: dict[str, int] | None = None  # dashboard uuid → id
        self._slug_taken: set[str] = set()
        self._charts: dict[str, JSON] | None = None  # chart uuid → row
        self._prefetched: set[str] = set()  # every uuid prefetch() asked for

    def prefetch(self, templates: list[DashboardTemplate]) -> None:
        """Look up the dashboards, slug clashes and charts of all ``templates`` at once.

        The same lookups :meth:`converge` makes one template at a time, batched with ``in``
        filters: one request for the dashboards, one for the slugs of those missing (if any), one
        for the charts.
        """
        uuids = [str(t.dashboard_uuid(self.slug)) for t in templates]
        rows = self.client.iter_list(
            "dashboard", filters=[{"col": "uuid", "opr": "in", "value": uuids}], columns=["id", "uuid"]
        )
        self._dashboards = {str(r["uuid"]): int(r["id"]) for r in rows if str(r.get("uuid")) in set(uuids)}
        self._prefetched.update(uuids)
        missing = [
            t.slug(self.slug) for t in templates if str(t.dashboard_uuid(self.slug)) not in self._dashboards
        ]
        if missing:
            clash = self.client.iter_list(
                "dashboard", filters=[{"col": "slug", "opr": "in", "value": missing}], columns=["id", "slug"]
            )
            self._slug_taken = {str(r["slug"]) for r in clash if r.get("slug") in set(missing)}
        chart_uuids = [str(t.chart_uuid(self.slug, slot.key)) for t in templates for slot in t.slots()]
        self._charts = self._charts_by_uuid(chart_uuids)
        self._prefetched.update(chart_uuids)

    def converge(self, template: DashboardTemplate, ctx: RenderContext) -> int | None:
        """Returns the dashboard id (None in a dry run that would create it)."""
        dashboard_id = self._dashboard_shell(template)
        payloads = registry.DEFAULT.render_slots(template, ctx)
        rendered: dict[str, RenderedChart] = {}
        uuids = [str(template.chart_uuid(self.slug, k)) for k in payloads]
        if self._charts is not None and set(uuids) <= self._prefetched:
            existing = {u: self._charts[u] for u in uuids if u in self._charts}
        else:
            existing = self._charts_by_uuid(uuids)
        for key, payload in payloads.items():
            uuid = str(template.chart_uuid(self.slug, key))
            chart_id = self._chart(uuid, payload, existing.get(uuid), ctx, dashboard_id)
            if chart_id is not None:
                rendered[key] = RenderedChart(id=chart_id, uuid=uuid, slice_name=payload.slice_name)
        if dashboard_id is None or len(rendered) < len(payloads):
            return dashboard_id
        self._dashboard_layout(template, ctx, dashboard_id, rendered)
        return dashboard_id

    def _charts_by_uuid(self, uuids: list[str]) -> dict[str, JSON]:
        rows = self.client.iter_list(
            "chart",
            filters=[{"col": "uuid", "opr": "in", "value": uuids}] if uuids else [],
            columns=["id", "uuid", "params", "slice_name", "viz_type"],
        )
        return {str(row["uuid"]): row for row in rows if str(row.get("uuid")) in set(uuids)}

    def _chart(
        self,
        uuid: str,
        payload: ChartPayload,
        existing: JSON | None,
        ctx: RenderContext,
        dashboard_id: int | None,
    ) -> int | None:
        action = chart_action(existing, payload, ctx)
        if action == "create":
            if not self.record(
                "create", "chart", payload.slice_name, template=payload.params[MARKER]["name"]
            ):
                return None
            body = payload.chart_body() | {"uuid": uuid, "dashboards": [dashboard_id] if dashboard_id else []}
            return int(self.client.post("/api/v1/chart/", body)["id"])
        assert existing is not None
        chart_id = int(existing["id"])
        if action == "update" and self.record("update", "chart", payload.slice_name):
            self.client.put(f"/api/v1/chart/{chart_id}", payload.chart_body())
        elif action == "keep":
            self.kept.append(payload.slice_name)
        return chart_id

    def _dashboard_shell(self, template: DashboardTemplate) -> int | None:
        uuid = str(template.dashboard_uuid(self.slug))
        slug = template.slug(self.slug)
        if self._dashboards is not None and uuid in self._prefetched:
            if uuid in self._dashboards:
                return self._dashboards[uuid]
            taken = slug in self._slug_taken
        else:
            rows = list(
                self.client.iter_list(
                    "dashboard", filters=[{"col": "uuid", "opr": "eq", "value": uuid}], columns=["id", "uuid"]
                )
            )
            found = [r for r in rows if str(r.get("uuid")) == uuid]
            if found:
                return int(found[0]["id"])
            clash = self.client.iter_list(
                "dashboard", filters=[{"col": "slug", "opr": "eq", "value": slug}], columns=["id"]
            )
            taken = any(True for _ in clash)
        if taken:
            raise OwnershipError(f"a dashboard with slug {slug!r} exists but was not created by supertenant")
        if not self.record("create", "dashboard", slug, template=template.ref):
            return None
        body = {"dashboard_title": template.title("en"), "slug": slug, "published": True, "uuid": uuid}
        dashboard_id = int(self.client.post("/api/v1/dashboard/", body)["id"])
        self.created.add(dashboard_id)
        return dashboard_id

    def _dashboard_layout(
        self,
        template: DashboardTemplate,
        ctx: RenderContext,
        dashboard_id: int,
        charts: dict[str, RenderedChart],
    ) -> None:
        payload = template.render(ctx, charts)
        # A shell this run just created has no layout yet: no need to read it back.
        current = (
            {}
            if dashboard_id in self.created
            else self.client.get(f"/api/v1/dashboard/{dashboard_id}")["result"]
        )
        want = {
            "dashboard_title": payload.dashboard_title,
            "position_json": payload.position_json,
            "json_metadata": payload.json_metadata,
            "published": True,
        }
        have = {
            "dashboard_title": current.get("dashboard_title"),
            "position_json": _loads(current.get("position_json")),
            "json_metadata": _managed_metadata(_loads(current.get("json_metadata")), payload.json_metadata),
            "published": current.get("published"),
        }
        differs = sorted(k for k in want if want[k] != have[k])
        if not differs:
            return
        if self.record("update", "dashboard", payload.slug, fields=differs):
            self.client.put(
                f"/api/v1/dashboard/{dashboard_id}",
                {
                    "dashboard_title": payload.dashboard_title,
                    "slug": payload.slug,
                    "published": True,
                    "position_json": json.dumps(payload.position_json, ensure_ascii=False),
                    "json_metadata": json.dumps(payload.json_metadata, ensure_ascii=False),
                },
            )


def _managed_metadata(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Superset adds keys of its own to json_metadata; compare only the ones we set."""
    return {k: current.get(k) for k in wanted}
