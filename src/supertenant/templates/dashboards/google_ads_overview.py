"""`google_ads_overview`: the tenant's main Google Ads dashboard (google_ads_dashboard_design.md).

Native filters: time range (default "Last month"), campaign type, campaign name (cascading from the
type) and device. The two charts with a fixed horizon (cost and conversions over 90 days, cost by
region over six months of monthly columns) are left out of the time filter's scope: under a
one-month range a 90-day trend or a month-by-month pivot would lose its point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from supertenant.templates.checks import resolve_dataset
from supertenant.templates.dashboards.filters import charts_without, select_filter, time_range_filter
from supertenant.templates.params import rolling_range
from supertenant.templates.protocol import (
    Cell,
    ChartSlot,
    DashboardTemplate,
    LayoutRow,
    RenderContext,
    RenderedChart,
)

DEFAULT_TIME_RANGE = "Last month"
FIXED_HORIZON = ("trend_cost_conversions", "pivot_cost_region_month")
KPI_METRICS = ("cost", "conversions", "cpa", "roas", "ctr")


def _kpi(metric: str) -> ChartSlot:
    return ChartSlot(
        key=f"kpi_{metric}",
        template="kpi",
        params={"metric": metric, "compare": "previous_period", "time_range": DEFAULT_TIME_RANGE},
    )


class GoogleAdsOverview(DashboardTemplate):
    name = "google_ads_overview"
    version = 1
    title_en = "Google Ads Overview"
    title_ja = "Google 広告 概要"

    def slots(self) -> list[ChartSlot]:
        return [
            *(_kpi(metric) for metric in KPI_METRICS),
            ChartSlot(
                key="trend_cost_conversions",
                template="trend",
                params={
                    "metrics": ["cost", "conversions"],
                    "time_grain": "day",
                    "time_range": rolling_range(90, "day"),
                },
                title_en="Cost and conversions, last 90 days",
                title_ja="費用とコンバージョン（過去90日・日別）",
            ),
            ChartSlot(
                key="trend_cpa_by_campaign_type",
                template="trend",
                params={
                    "metrics": ["cpa"],
                    "time_grain": "week",
                    "breakdown": "campaign_type",
                    "time_range": DEFAULT_TIME_RANGE,
                },
            ),
            ChartSlot(
                key="ranking_conversions_by_campaign",
                template="ranking",
                params={
                    "metric": "conversions",
                    "dimension": "campaign_name",
                    "top_n": 10,
                    "time_range": DEFAULT_TIME_RANGE,
                },
            ),
            ChartSlot(
                key="share_cost_by_device",
                template="share",
                params={"metric": "cost", "dimension": "device", "time_range": DEFAULT_TIME_RANGE},
            ),
            ChartSlot(
                key="table_campaigns",
                template="table",
                params={
                    "dimensions": ["campaign_name", "campaign_type", "campaign_status"],
                    "metrics": ["impressions", "clicks", "cost", "conversions", "cpa", "roas"],
                    "sort_by": "cost",
                    "time_range": DEFAULT_TIME_RANGE,
                },
                title_en="Campaigns",
                title_ja="キャンペーン一覧",
            ),
            ChartSlot(
                key="table_keywords",
                template="table",
                params={
                    "dataset": "ads_keyword_daily",
                    "dimensions": ["keyword_text", "match_type", "quality_score"],
                    "metrics": ["clicks", "cost", "conversions", "cpa"],
                    "sort_by": "cost",
                    "row_limit": 50,
                    "time_range": DEFAULT_TIME_RANGE,
                },
                title_en="Keywords (top 50 by cost)",
                title_ja="キーワード（費用上位50）",
            ),
            ChartSlot(
                key="pivot_cost_region_month",
                template="pivot",
                params={
                    "dataset": "ads_geo_daily",
                    "metric": "cost",
                    "rows": "region",
                    "columns": "date",
                    "time_grain": "month",
                    "time_range": rolling_range(6, "month"),
                },
                title_en="Cost by region and month (last 6 months)",
                title_ja="地域×月別 費用（過去6か月）",
            ),
        ]

    def rows(self) -> list[LayoutRow]:
        kpi_widths = (3, 3, 2, 2, 2)  # cost and conversions lead; 12 columns split five ways
        return [
            LayoutRow(
                cells=tuple(
                    Cell(key=f"kpi_{m}", width=w) for m, w in zip(KPI_METRICS, kpi_widths, strict=True)
                ),
                height=32,
            ),
            LayoutRow(cells=(Cell(key="trend_cost_conversions", width=12),), height=50),
            LayoutRow(cells=(Cell(key="trend_cpa_by_campaign_type", width=12),), height=50),
            LayoutRow(
                cells=(
                    Cell(key="ranking_conversions_by_campaign", width=7),
                    Cell(key="share_cost_by_device", width=5),
                ),
                height=50,
            ),
            LayoutRow(cells=(Cell(key="table_campaigns", width=12),), height=60),
            LayoutRow(cells=(Cell(key="table_keywords", width=12),), height=60),
            LayoutRow(cells=(Cell(key="pivot_cost_region_month", width=12),), height=50),
        ]

    def native_filters(self, ctx: RenderContext, charts: Mapping[str, RenderedChart]) -> list[dict[str, Any]]:
        campaigns = resolve_dataset(ctx.datasets, "ads_campaign_daily")
        slots = self.slots()
        all_ids = [charts[slot.key].id for slot in slots]
        ja = ctx.locale == "ja"

        def on_campaigns(key: str, column: str, name_en: str, name_ja: str, **extra: Any) -> dict[str, Any]:
            return select_filter(
                key=key,
                name=name_ja if ja else name_en,
                dataset_id=campaigns.id,
                column=column,
                all_ids=all_ids,
                excluded=charts_without(column, slots, charts, ctx.datasets),
                **extra,
            )

        return [
            time_range_filter(
                key="time_range",
                name="期間" if ja else "Time range",
                default=DEFAULT_TIME_RANGE,
                all_ids=all_ids,
                excluded=[charts[key].id for key in FIXED_HORIZON],
            ),
            on_campaigns("campaign_type", "campaign_type", "Campaign type", "キャンペーンタイプ"),
            on_campaigns(
                "campaign_name",
                "campaign_name",
                "Campaign",
                "キャンペーン",
                parents=["campaign_type"],
                search_all_options=True,
            ),
            on_campaigns("device", "device", "Device", "デバイス"),
        ]
