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

from supertenant.errors import NotFoundError, OwnershipError
from supertenant.provision import bundle
from supertenant.superset_api.client import JSON, SupersetClient
from supertenant.templates import registry
from supertenant.templates.errors import TemplateError
from supertenant.templates.protocol import ChartPayload, DashboardTemplate, RenderContext, RenderedChart

Record = Callable[..., bool]  # (action, kind, key, **detail) -> perform?
Importer = Callable[[list[JSON], list[JSON]], None]  # (chart configs, dashboard configs): one import
MARKER = "supertenant_template"


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def comparable(params: dict[str, Any]) -> dict[str, Any]:
    """Chart params as compared with a template's render.

    Superset's chart importer gives every chart an ``annotation_layers`` list (empty when it had
    none); an empty list there means the same as no key.
    """
    if params.get("annotation_layers") == []:
        return {k: v for k, v in params.items() if k != "annotation_layers"}
    return params


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
    current = comparable(_loads(existing.get("params")))
    if current == comparable(want.params) and existing.get("slice_name") == want.slice_name:
        return "none"
    render = untouched_render(current, ctx)
    if render is not None and comparable(render) == current:
        return "update"
    return "keep"


class DashboardInstantiator:
    """Creates or updates the charts and dashboard of one dashboard template for one tenant."""

    def __init__(
        self,
        client: SupersetClient,
        slug: str,
        record: Record,
        dry_run: bool,
        importer: Importer | None = None,
    ) -> None:
        self.client = client
        self.importer = importer
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
        self._dashboards = self._dashboards_by_uuid(uuids)
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

    def prefetched(self, templates: list[DashboardTemplate]) -> bool:
        """Whether :meth:`prefetch` already looked up every dashboard and chart of ``templates``."""
        if self._dashboards is None or self._charts is None:
            return False
        uuids = {str(t.dashboard_uuid(self.slug)) for t in templates}
        uuids |= {str(t.chart_uuid(self.slug, slot.key)) for t in templates for slot in t.slots()}
        return uuids <= self._prefetched

    def converge_all(self, templates: list[DashboardTemplate], ctx: RenderContext) -> dict[str, int | None]:
        """Every template's dashboard id (None in a dry run that would create it), by template name.

        Templates whose dashboard and charts are all still missing (a tenant's first apply, or a new
        template) are created together by one dashboard import when an ``importer`` is set; the
        others converge one by one. Needs :meth:`prefetch` first.
        """
        fresh = [t for t in templates if self._fresh(t)] if self.importer is not None else []
        found = self._import_fresh(fresh, ctx) if fresh else {}
        for template in templates:
            if template not in fresh:
                found[template.name] = self.converge(template, ctx)
        return found

    def _fresh(self, template: DashboardTemplate) -> bool:
        """Nothing of ``template`` exists for this tenant yet, and its slug is free (as prefetched)."""
        if self._dashboards is None or self._charts is None:
            return False
        uuid = str(template.dashboard_uuid(self.slug))
        charts = [str(template.chart_uuid(self.slug, slot.key)) for slot in template.slots()]
        return (
            uuid in self._prefetched
            and uuid not in self._dashboards
            and template.slug(self.slug) not in self._slug_taken
            and set(charts) <= self._prefetched
            and not any(c in self._charts for c in charts)
        )

    def _import_fresh(self, templates: list[DashboardTemplate], ctx: RenderContext) -> dict[str, int | None]:
        """One ``POST /api/v1/dashboard/import/`` for these templates' dashboards and charts.

        The bundle places charts by UUID; Superset gives them ids on import and links them to their
        dashboard. Chart ids inside the dashboard's metadata (filter scopes) are not rewritten by
        Superset's importer, so each dashboard then gets its layout once more with the real ids.
        """
        assert self.importer is not None
        performed = True
        planned: list[tuple[DashboardTemplate, dict[str, ChartPayload]]] = []
        for template in templates:
            performed &= self.record("create", "dashboard", template.slug(self.slug), template=template.ref)
            payloads = registry.DEFAULT.render_slots(template, ctx)
            for payload in payloads.values():
                performed &= self.record(
                    "create", "chart", payload.slice_name, template=payload.params[MARKER]["name"]
                )
            planned.append((template, payloads))
        if not performed:
            return {template.name: None for template in templates}
        charts: list[JSON] = []
        dashboards: list[JSON] = []
        provisional = 0
        for template, payloads in planned:
            rendered: dict[str, RenderedChart] = {}
            for key, payload in payloads.items():
                uuid = str(template.chart_uuid(self.slug, key))
                provisional += 1  # unique within the bundle; replaced by Superset's ids below
                rendered[key] = RenderedChart(id=provisional, uuid=uuid, slice_name=payload.slice_name)
                dataset_uuid = ctx.datasets[payload.dataset_name].uuid
                charts.append(bundle.chart_config(uuid, dataset_uuid, payload.chart_body()))
            layout = template.render(ctx, rendered)
            dashboards.append(
                bundle.dashboard_config(
                    title=layout.dashboard_title,
                    slug=layout.slug,
                    uuid=layout.uuid,
                    position=layout.position_json,
                    metadata=layout.json_metadata,
                )
            )
        self.importer(charts, dashboards)
        chart_rows = self._charts_by_uuid([c["uuid"] for c in charts], with_dashboards=True)
        dashboard_ids = self._imported_dashboard_ids(planned, chart_rows)
        found: dict[str, int | None] = {}
        for template, payloads in planned:
            uuid = str(template.dashboard_uuid(self.slug))
            if uuid not in dashboard_ids:
                raise NotFoundError(f"dashboard {template.slug(self.slug)!r} is missing after its import")
            rendered = {}
            for key, payload in payloads.items():
                chart_uuid = str(template.chart_uuid(self.slug, key))
                if chart_uuid not in chart_rows:
                    raise NotFoundError(f"chart {payload.slice_name!r} is missing after its import")
                rendered[key] = RenderedChart(
                    id=int(chart_rows[chart_uuid]["id"]), uuid=chart_uuid, slice_name=payload.slice_name
                )
            self.created.add(dashboard_ids[uuid])
            self._dashboard_layout(template, ctx, dashboard_ids[uuid], rendered)
            found[template.name] = dashboard_ids[uuid]
        return found

    def _imported_dashboard_ids(
        self, planned: list[tuple[DashboardTemplate, dict[str, ChartPayload]]], chart_rows: dict[str, JSON]
    ) -> dict[str, int]:
        """Each imported dashboard's id (by UUID), read off its charts where it has any.

        The import links each new chart to its template's dashboard and nothing else, so the
        chart listing already names the dashboard; only a template without charts costs a lookup.
        """
        found: dict[str, int] = {}
        unknown: list[str] = []
        for template, payloads in planned:
            uuid = str(template.dashboard_uuid(self.slug))
            linked = {
                int(d["id"])
                for key in payloads
                for d in chart_rows.get(str(template.chart_uuid(self.slug, key)), {}).get("dashboards") or []
            }
            if len(linked) == 1:
                found[uuid] = linked.pop()
            else:
                unknown.append(uuid)
        return found | (self._dashboards_by_uuid(unknown) if unknown else {})

    def _dashboards_by_uuid(self, uuids: list[str]) -> dict[str, int]:
        rows = self.client.iter_list(
            "dashboard", filters=[{"col": "uuid", "opr": "in", "value": uuids}], columns=["id", "uuid"]
        )
        return {str(r["uuid"]): int(r["id"]) for r in rows if str(r.get("uuid")) in set(uuids)}

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

    def _charts_by_uuid(self, uuids: list[str], *, with_dashboards: bool = False) -> dict[str, JSON]:
        rows = self.client.iter_list(
            "chart",
            filters=[{"col": "uuid", "opr": "in", "value": uuids}] if uuids else [],
            columns=["id", "uuid", "params", "slice_name", "viz_type"] + ["dashboards.id"] * with_dashboards,
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
