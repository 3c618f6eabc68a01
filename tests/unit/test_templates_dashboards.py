"""Dashboard templates: layout, localisation, native filters and deterministic identities."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from supertenant import templates
from supertenant.templates import TemplateError
from supertenant.templates.protocol import (
    Cell,
    ChartSlot,
    DashboardTemplate,
    DatasetRef,
    LayoutRow,
    RenderContext,
    RenderedChart,
)
from supertenant.templates.uuids import object_uuid
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS, VIEW_NAMES

LOCALES = ("ja", "en")
DASHBOARDS = templates.all_dashboards()
TITLES = {
    "google_ads_overview": {"en": "Google Ads Overview", "ja": "Google 広告 概要"},
    "getting_started": {"en": "Getting Started", "ja": "はじめに"},
}


def make_ctx(
    locale: str = "en", slug: str = "acme", contact: str | None = None, views: tuple[str, ...] = VIEW_NAMES
) -> RenderContext:
    datasets = {
        view.name: DatasetRef(
            id=10 + index,
            uuid=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{slug}/{view.name}")),
            name=view.name,
            columns=frozenset(view.column_names),
            metrics=frozenset(metric.name for metric in SAVED_METRICS),
        )
        for index, view in enumerate(CONTRACT_VIEWS)
        if view.name in views
    }
    return RenderContext(
        tenant_slug=slug,
        locale=locale,
        datasets=datasets,
        support_contact=contact,
    )


def make_charts(dashboard: DashboardTemplate, ctx: RenderContext) -> dict[str, RenderedChart]:
    """What provisioning would pass after creating each slot's chart in Superset."""
    payloads = templates.DEFAULT.render_slots(dashboard, ctx)
    return {
        key: RenderedChart(
            id=100 + index,
            uuid=str(dashboard.chart_uuid(ctx.tenant_slug, key)),
            slice_name=payloads[key].slice_name,
        )
        for index, key in enumerate(payloads)
    }


def nodes(position: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [node for key, node in position.items() if key != "DASHBOARD_VERSION_KEY" and node["type"] == kind]


CASES = [pytest.param(d, locale, id=f"{d.ref}-{locale}") for d in DASHBOARDS for locale in LOCALES]


def test_both_built_in_dashboards_are_registered() -> None:
    assert sorted(d.ref for d in DASHBOARDS) == ["getting_started@1", "google_ads_overview@1"]


@pytest.mark.parametrize(("dashboard", "locale"), CASES)
def test_every_slot_renders_from_a_registered_chart_template(
    dashboard: DashboardTemplate, locale: str
) -> None:
    ctx = make_ctx(locale)
    payloads = templates.DEFAULT.render_slots(dashboard, ctx)
    assert list(payloads) == [slot.key for slot in dashboard.slots()]
    for slot in dashboard.slots():
        title = slot.title_ja if locale == "ja" else slot.title_en
        if title:
            assert payloads[slot.key].slice_name == title


@pytest.mark.parametrize(("dashboard", "locale"), CASES)
def test_dashboard_renders_a_valid_localised_layout(dashboard: DashboardTemplate, locale: str) -> None:
    ctx = make_ctx(locale)
    charts = make_charts(dashboard, ctx)
    payload = dashboard.render(ctx, charts)
    position = payload.position_json

    assert payload.dashboard_title == TITLES[dashboard.name][locale]
    assert position["HEADER_ID"]["meta"]["text"] == payload.dashboard_title
    assert position["DASHBOARD_VERSION_KEY"] == "v2"
    assert position["ROOT_ID"]["children"] == ["GRID_ID"]
    rows = [position[row_id] for row_id in position["GRID_ID"]["children"]]
    assert all(row["type"] == "ROW" and row["parents"] == ["ROOT_ID", "GRID_ID"] for row in rows)
    for row in rows:
        assert sum(position[child]["meta"]["width"] for child in row["children"]) <= 12
        for child in row["children"]:
            assert position[child]["parents"] == ["ROOT_ID", "GRID_ID", row["id"]]

    chart_nodes = nodes(position, "CHART")
    assert len(chart_nodes) == len(charts)
    for node in chart_nodes:
        chart = charts[node["id"].removeprefix("CHART-")]
        assert node["meta"]["chartId"] == chart.id
        assert node["meta"]["uuid"] == chart.uuid
        assert node["meta"]["sliceName"] == chart.slice_name
        assert node["meta"]["height"] > 0

    metadata = payload.json_metadata
    assert metadata["chart_configuration"] == {}
    assert metadata["refresh_frequency"] == 0
    assert metadata["color_scheme"] == "supersetColors"
    assert "supertenant_template" not in metadata  # Superset's metadata schema rejects unknown keys
    assert payload.template == {"name": dashboard.name, "version": dashboard.version}


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[d.ref for d in DASHBOARDS])
def test_identities_are_deterministic_version_independent_and_per_tenant(
    dashboard: DashboardTemplate,
) -> None:
    acme, other = make_ctx(slug="acme"), make_ctx(slug="globex")
    first = dashboard.render(acme, make_charts(dashboard, acme))
    again = dashboard.render(acme, make_charts(dashboard, acme))
    elsewhere = dashboard.render(other, make_charts(dashboard, other))
    assert first == again
    assert first.uuid == str(object_uuid("acme", "dashboard", dashboard.name))
    assert first.uuid != elsewhere.uuid
    assert first.slug != elsewhere.slug
    keys = [slot.key for slot in dashboard.slots()]
    acme_charts = {dashboard.chart_uuid("acme", key) for key in keys}
    assert len(acme_charts) == len(keys)
    assert acme_charts.isdisjoint(dashboard.chart_uuid("globex", key) for key in keys)
    assert dashboard.chart_uuid("acme", keys[0]) == object_uuid(
        "acme", "dashboard", dashboard.name, "chart", keys[0]
    )


def test_missing_chart_is_refused() -> None:
    dashboard = templates.dashboard("getting_started")
    ctx = make_ctx()
    charts = make_charts(dashboard, ctx)
    del charts["trend_clicks_30_days"]
    with pytest.raises(TemplateError) as caught:
        dashboard.render(ctx, charts)
    assert (caught.value.code, caught.value.suggestions) == ("missing_chart", ("trend_clicks_30_days",))


def test_a_row_wider_than_the_grid_is_refused() -> None:
    class TooWide(DashboardTemplate):
        name, version, title_en, title_ja = "too_wide", 1, "Too wide", "広すぎ"

        def slots(self) -> list[ChartSlot]:
            return [ChartSlot(key=k, template="kpi", params={"metric": "cost"}) for k in ("a", "b")]

        def rows(self) -> list[LayoutRow]:
            return [LayoutRow(cells=(Cell(key="a", width=8), Cell(key="b", width=6)))]

    ctx = make_ctx()
    charts = {k: RenderedChart(id=i + 1, uuid=str(uuid.uuid4()), slice_name=k) for i, k in enumerate("ab")}
    with pytest.raises(TemplateError) as caught:
        TooWide().render(ctx, charts)
    assert caught.value.code == "invalid_layout"


# --- google_ads_overview -------------------------------------------------------------------------


def test_overview_follows_the_design() -> None:
    dashboard = templates.dashboard("google_ads_overview")
    slots = {slot.key: slot for slot in dashboard.slots()}
    kpis = [slot for slot in slots.values() if slot.template == "kpi"]
    assert [slot.params["metric"] for slot in kpis] == ["cost", "conversions", "cpa", "roas", "ctr"]
    assert {slot.params["compare"] for slot in kpis} == {"previous_period"}
    assert (
        slots["trend_cost_conversions"].params["time_range"] == 'DATEADD(DATETIME("today"), -90, day) : today'
    )
    assert slots["trend_cpa_by_campaign_type"].params["breakdown"] == "campaign_type"
    assert slots["trend_cpa_by_campaign_type"].params["time_grain"] == "week"
    assert slots["table_keywords"].params["dataset"] == "ads_keyword_daily"
    assert slots["table_keywords"].params["row_limit"] == 50
    assert slots["pivot_cost_region_month"].params["dataset"] == "ads_geo_daily"
    first_row, *_ = dashboard.rows()
    assert [cell.key for cell in first_row.cells] == [slot.key for slot in kpis]
    assert [[cell.key for cell in row.cells] for row in dashboard.rows()][3] == [
        "ranking_conversions_by_campaign",
        "share_cost_by_device",
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_overview_native_filters(locale: str) -> None:
    dashboard = templates.dashboard("google_ads_overview")
    ctx = make_ctx(locale)
    charts = make_charts(dashboard, ctx)
    filters = {f["id"]: f for f in dashboard.render(ctx, charts).json_metadata["native_filter_configuration"]}
    assert list(filters) == [
        "NATIVE_FILTER-time_range",
        "NATIVE_FILTER-campaign_type",
        "NATIVE_FILTER-campaign_name",
        "NATIVE_FILTER-device",
    ]
    campaigns_id = ctx.datasets["ads_campaign_daily"].id
    all_ids = {chart.id for chart in charts.values()}

    time = filters["NATIVE_FILTER-time_range"]
    assert time["filterType"] == "filter_time"
    assert time["defaultDataMask"]["extraFormData"] == {"time_range": "Last month"}
    assert time["defaultDataMask"]["filterState"] == {"value": "Last month"}
    fixed = {charts["trend_cost_conversions"].id, charts["pivot_cost_region_month"].id}
    assert set(time["scope"]["excluded"]) == fixed
    assert set(time["chartsInScope"]) == all_ids - fixed

    on_other_views = {charts["table_keywords"].id, charts["pivot_cost_region_month"].id}
    for column in ("campaign_type", "device"):
        entry = filters[f"NATIVE_FILTER-{column}"]
        assert entry["filterType"] == "filter_select"
        assert entry["targets"] == [{"datasetId": campaigns_id, "column": {"name": column}}]
        assert set(entry["scope"]["excluded"]) == on_other_views
    names = filters["NATIVE_FILTER-campaign_name"]
    assert names["scope"]["excluded"] == []  # every view has campaign_name
    assert names["cascadeParentIds"] == ["NATIVE_FILTER-campaign_type"]

    expected_names = (
        ["期間", "キャンペーンタイプ", "キャンペーン", "デバイス"]
        if locale == "ja"
        else ["Time range", "Campaign type", "Campaign", "Device"]
    )
    assert [f["name"] for f in filters.values()] == expected_names


def test_overview_needs_the_campaign_dataset() -> None:
    dashboard = templates.dashboard("google_ads_overview")
    with pytest.raises(TemplateError) as caught:
        templates.DEFAULT.render_slots(dashboard, make_ctx(views=("ads_keyword_daily", "ads_geo_daily")))
    assert caught.value.code == "dataset_unavailable"


# --- getting_started -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "heading", "contact"),
    [("en", "# Getting started", "your account administrator"), ("ja", "# はじめに", "貴社の管理者")],
)
def test_getting_started_guide_is_localised(locale: str, heading: str, contact: str) -> None:
    dashboard = templates.dashboard("getting_started")
    ctx = make_ctx(locale)
    payload = dashboard.render(ctx, make_charts(dashboard, ctx))
    (guide,) = nodes(payload.position_json, "MARKDOWN")
    code = guide["meta"]["code"]
    assert code.startswith(heading)
    assert contact in code
    assert "{{contact}}" not in code
    assert payload.json_metadata["native_filter_configuration"] == []


def test_getting_started_names_the_tenants_contact_safely() -> None:
    dashboard = templates.dashboard("getting_started")
    ctx = make_ctx(contact="<b>help@acme.example</b>")
    (guide,) = nodes(dashboard.render(ctx, make_charts(dashboard, ctx)).position_json, "MARKDOWN")
    assert "&lt;b&gt;help@acme.example&lt;/b&gt;" in guide["meta"]["code"]
    assert "<b>" not in guide["meta"]["code"]


def test_getting_started_charts_are_the_three_from_the_design() -> None:
    slots = {slot.key: slot for slot in templates.dashboard("getting_started").slots()}
    assert [(slot.template, slot.params.get("time_range")) for slot in slots.values()] == [
        ("kpi", "previous calendar month"),
        ("trend", 'DATEADD(DATETIME("today"), -30, day) : today'),
        ("ranking", "previous calendar month"),
    ]
