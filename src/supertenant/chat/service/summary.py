"""The plain-language interpretation of a plan: the template and every parameter, in the user's language.

Shown next to the chart link so that a user can see (and correct) each slot the planner filled:
"ranking · metric cost · by campaign · top 10 · previous calendar month (2026-10-01 – 2026-10-31)".
Pure: a plan and a date in, labelled slots out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from supertenant.chat.messages import chart_name
from supertenant.chat.planner import Plan
from supertenant.chat.timeexpr import resolve
from supertenant.templates import registry
from supertenant.templates.vocabulary import Locale, column_label, grain_label, join_labels, metric_label

_SLOT_LABELS: dict[str, tuple[str, str]] = {
    "template": ("Chart", "グラフ"),
    "dataset": ("Data", "データ"),
    "metric": ("Metric", "指標"),
    "metrics": ("Metrics", "指標"),
    "dimension": ("By", "切り口"),
    "dimensions": ("By", "切り口"),
    "breakdown": ("Broken down by", "内訳"),
    "rows": ("Rows", "行"),
    "columns": ("Columns", "列"),
    "top_n": ("Top", "上位"),
    "row_limit": ("Rows at most", "最大行数"),
    "order": ("Order", "並び順"),
    "sort_by": ("Sorted by", "並べ替え"),
    "time_range": ("Period", "期間"),
    "time_grain": ("Time grain", "時間の単位"),
    "compare": ("Compared with", "比較"),
    "style": ("Style", "表示形式"),
    "filters": ("Filters", "絞り込み"),
}
_DATASETS: dict[str, tuple[str, str]] = {
    "ads_campaign_daily": ("campaigns (daily)", "キャンペーン（日別）"),
    "ads_adgroup_daily": ("ad groups (daily)", "広告グループ（日別）"),
    "ads_keyword_daily": ("keywords (daily)", "キーワード（日別）"),
    "ads_geo_daily": ("regions (daily)", "地域（日別）"),
}
_WORDS: dict[str, tuple[str, str]] = {
    "desc": ("largest first", "大きい順"),
    "asc": ("smallest first", "小さい順"),
    "none": ("nothing", "なし"),
    "previous_period": ("the previous period", "前期間"),
    "previous_year": ("the previous year", "前年"),
    "line": ("line", "折れ線"),
    "bar": ("bar", "棒"),
    "area": ("area", "面"),
    "No filter": ("all time", "全期間"),
}
_ORDER = tuple(_SLOT_LABELS)
# Superset's range literals as a user would say them; other ranges are shown by their dates only.
_TIME_WORDS: dict[str, tuple[str, str]] = {
    "Last day": ("yesterday", "昨日"),
    "Last week": ("the last 7 days", "過去7日間"),
    "Last month": ("the last month (rolling)", "過去1か月"),
    "Last quarter": ("the last 3 months (rolling)", "過去3か月"),
    "Last year": ("the last year (rolling)", "過去1年"),
    "previous calendar week": ("last week", "先週"),
    "previous calendar month": ("last month", "先月"),
    "previous calendar year": ("last year", "昨年"),
    "Current month": ("this month", "今月"),
    "Current year": ("this year", "今年"),
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One parameter as the user reads it; `name` and `value` are what a correction would change."""

    name: str
    label: str
    text: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "label": self.label, "text": self.text, "value": self.value}


def _pick(pair: tuple[str, str], locale: Locale) -> str:
    return pair[1] if locale == "ja" else pair[0]


def _word(value: str, locale: Locale) -> str:
    return _pick(_WORDS[value], locale) if value in _WORDS else value


def describe_time(time_range: str, today: date, locale: Locale) -> str:
    """The range as written plus the dates it means today (until shown inclusive)."""
    try:
        since, until = resolve(time_range, today)
    except ValueError:
        return time_range
    if since is None and until is None:
        return _word("No filter", locale)
    first = since.isoformat() if since else "…"
    last = (until - timedelta(days=1)).isoformat() if until else "…"
    dates = f"{first} – {last}" if locale == "en" else f"{first}〜{last}"
    if time_range in _TIME_WORDS:
        word = _pick(_TIME_WORDS[time_range], locale)
        return f"{word} ({dates})" if locale == "en" else f"{word}（{dates}）"
    return dates


def _filter_text(item: dict[str, Any], locale: Locale) -> str:
    value = item["value"]
    shown = join_labels([str(v) for v in value], locale) if isinstance(value, list) else str(value)
    return f"{column_label(item['column'], locale)} {item['op']} {shown}"


def _text(name: str, value: Any, locale: Locale, today: date) -> str:
    if name == "dataset":
        return _pick(_DATASETS.get(value, (value, value)), locale)
    if name in ("metric", "sort_by"):
        return metric_label(value, locale)
    if name == "metrics":
        return join_labels([metric_label(v, locale) for v in value], locale)
    if name in ("dimension", "breakdown", "rows", "columns"):
        return column_label(value, locale)
    if name == "dimensions":
        return join_labels([column_label(v, locale) for v in value], locale) or "—"
    if name == "time_grain":
        return grain_label(value, locale)
    if name == "time_range":
        return describe_time(value, today, locale)
    if name == "filters":
        return join_labels([_filter_text(item, locale) for item in value], locale)
    return _word(str(value), locale)


def interpret(plan: Plan, locale: Locale, today: date) -> list[Slot]:
    """Every slot of the plan with the template's defaults filled in, in a fixed reading order."""
    template = registry.chart(plan.template, plan.version)
    full = template.parse(plan.params).model_dump(mode="json", exclude={"title"})
    slots = [
        Slot(
            "template",
            _pick(_SLOT_LABELS["template"], locale),
            chart_name(plan.template, locale),
            plan.template,
        )
    ]
    for name in _ORDER[1:]:
        value = full.get(name)
        if value is None or value == [] or name not in full:
            continue
        slots.append(Slot(name, _pick(_SLOT_LABELS[name], locale), _text(name, value, locale, today), value))
    return slots


def sentence(slots: list[Slot], locale: Locale) -> str:
    """One line: "Chart: a ranking; Metric: Cost; …" / 「グラフ：ランキング、指標：費用、…」."""
    if locale == "ja":
        return "、".join(f"{slot.label}：{slot.text}" for slot in slots)
    return "; ".join(f"{slot.label}: {slot.text}" for slot in slots)
