"""The built-in templates: the one list that decides what the default registry holds.

Adding a template means one new module and one line here; nothing registers itself on import.
"""

from __future__ import annotations

from typing import Any

from supertenant.templates.charts.kpi import KpiTemplate
from supertenant.templates.charts.pivot import PivotTemplate
from supertenant.templates.charts.ranking import RankingTemplate
from supertenant.templates.charts.share import ShareTemplate
from supertenant.templates.charts.table import TableTemplate
from supertenant.templates.charts.trend import TrendTemplate
from supertenant.templates.dashboards.getting_started import GettingStarted
from supertenant.templates.dashboards.google_ads_overview import GoogleAdsOverview
from supertenant.templates.protocol import ChartTemplate, DashboardTemplate

CHART_TEMPLATES: tuple[ChartTemplate[Any], ...] = (
    KpiTemplate(),
    TrendTemplate(),
    RankingTemplate(),
    ShareTemplate(),
    TableTemplate(),
    PivotTemplate(),
)

DASHBOARD_TEMPLATES: tuple[DashboardTemplate, ...] = (
    GoogleAdsOverview(),
    GettingStarted(),
)
