"""`getting_started`: every new user's first page — a short guide, then three live charts.

The guide is markdown in both languages; the contact line uses the tenant's support contact when
the render context has one. Charts keep their own time ranges (there are no native filters here).
"""

from __future__ import annotations

import html

from supertenant.templates.params import rolling_range
from supertenant.templates.protocol import (
    Cell,
    ChartSlot,
    DashboardTemplate,
    LayoutRow,
    MarkdownBlock,
    RenderContext,
)

CONTACT_PLACEHOLDER = "{{contact}}"

GUIDE_EN = """\
# Getting started

These charts show live numbers from **your** Google Ads accounts.

**Filter.** Open *Google Ads Overview* and use the filter bar on the left: pick a time range, a \
campaign type, campaigns or devices, then click **Apply filters**.

**Drill into a campaign.** Click a campaign's bar in a chart to filter the whole dashboard to it. \
Right-click a bar or a point for **Drill to detail** (the rows behind it) or **Drill by** (for example \
by device).

**Ask the chat for a chart.** Describe what you want to see, for example *"daily clicks and \
impressions for the last 30 days"* or *"top 5 campaigns by conversions"*; the chat builds it from \
your data and you can save it.

**Need help?** Contact {{contact}}.
"""

GUIDE_JA = """\
# はじめに

このページのグラフは、**貴社の** Google 広告アカウントの最新データを表示しています。

**絞り込む**：「Google 広告 概要」を開き、左側のフィルタバーで期間・キャンペーンタイプ・キャンペーン・\
デバイスを選んで「フィルタを適用」をクリックします。

**キャンペーンを掘り下げる**：グラフでキャンペーンの棒をクリックすると、ダッシュボード全体がその\
キャンペーンに絞り込まれます。棒や点を右クリックすると「詳細へドリル」（元の行を表示）や\
「ドリルバイ」（例：デバイス別）を使えます。

**チャットでグラフを作る**：見たい内容を文章で伝えてください（例：「過去30日の日別クリック数と表示回数」\
「キャンペーン別のコンバージョン数トップ5」）。チャットが貴社のデータからグラフを作り、保存もできます。

**お問い合わせ**：{{contact}} までご連絡ください。
"""

DEFAULT_CONTACT = {"en": "your account administrator", "ja": "貴社の管理者"}


class GettingStarted(DashboardTemplate):
    name = "getting_started"
    version = 1
    title_en = "Getting Started"
    title_ja = "はじめに"

    def slots(self) -> list[ChartSlot]:
        return [
            ChartSlot(
                key="kpi_cost_last_month",
                template="kpi",
                params={"metric": "cost", "time_range": "previous calendar month"},
                title_en="Cost last month",
                title_ja="先月の費用",
            ),
            ChartSlot(
                key="trend_clicks_30_days",
                template="trend",
                params={"metrics": ["clicks"], "time_grain": "day", "time_range": rolling_range(30, "day")},
                title_en="Daily clicks, last 30 days",
                title_ja="日別クリック数（過去30日）",
            ),
            ChartSlot(
                key="ranking_campaigns_by_conversions",
                template="ranking",
                params={
                    "metric": "conversions",
                    "dimension": "campaign_name",
                    "top_n": 10,
                    "time_range": "previous calendar month",
                },
                title_en="Top campaigns by conversions last month",
                title_ja="先月のコンバージョン数 上位キャンペーン",
            ),
        ]

    def markdown(self) -> list[MarkdownBlock]:
        return [MarkdownBlock(key="guide", text_en=GUIDE_EN, text_ja=GUIDE_JA)]

    def rows(self) -> list[LayoutRow]:
        return [
            LayoutRow(cells=(Cell(key="guide", width=12),), height=60),
            LayoutRow(
                cells=(
                    Cell(key="kpi_cost_last_month", width=3),
                    Cell(key="trend_clicks_30_days", width=5),
                    Cell(key="ranking_campaigns_by_conversions", width=4),
                ),
                height=50,
            ),
        ]

    def markdown_text(self, block: MarkdownBlock, ctx: RenderContext) -> str:
        """The guide with the tenant's contact (escaped: it comes from the tenant spec, not from us)."""
        contact = html.escape(ctx.support_contact) if ctx.support_contact else DEFAULT_CONTACT[ctx.locale]
        return block.text(ctx.locale).replace(CONTACT_PLACEHOLDER, contact)
