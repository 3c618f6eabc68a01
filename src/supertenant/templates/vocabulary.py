"""The words templates speak: contract views, saved metrics, dimensions, grains and their labels.

Names are spelled out as `Literal`s so that the JSON schema the chat's language model reads lists
every allowed value; `tests/unit/test_templates_validation.py` checks they equal the dataset
contract in `supertenant.warehouse.contract`, which stays the single source of truth for which
column belongs to which view and for the saved metric labels.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Literal, get_args

from supertenant.warehouse.contract import CONTRACT_VIEWS, Role, saved_metric, view

Locale = Literal["ja", "en"]

DatasetName = Literal["ads_campaign_daily", "ads_adgroup_daily", "ads_keyword_daily", "ads_geo_daily"]
DATASET_NAMES: tuple[str, ...] = get_args(DatasetName)
DEFAULT_DATASET: DatasetName = "ads_campaign_daily"

MetricName = Literal[
    "impressions", "clicks", "cost", "conversions", "conversion_value", "ctr", "cpc", "cvr", "cpa", "roas"
]
METRIC_NAMES: tuple[str, ...] = get_args(MetricName)

# Every STRING column of any contract view; which view has which is checked per dataset.
DimensionName = Literal[
    "account_id",
    "campaign_name",
    "campaign_type",
    "campaign_status",
    "device",
    "currency",
    "ad_group_name",
    "ad_group_status",
    "keyword_text",
    "match_type",
    "country_code",
    "region",
]
DIMENSION_NAMES: tuple[str, ...] = get_args(DimensionName)

# Integer attributes a detail table may group by (the overview's keyword table shows quality score).
# They are not dimensions elsewhere: the spec limits ranking/share/pivot to STRING columns.
TableAttributeName = Literal["quality_score"]
TABLE_ATTRIBUTE_NAMES: tuple[str, ...] = get_args(TableAttributeName)

TimeGrain = Literal["day", "week", "month", "quarter", "year"]
TIME_GRAINS: tuple[str, ...] = get_args(TimeGrain)
GRAIN_ISO: dict[str, str] = {"day": "P1D", "week": "P1W", "month": "P1M", "quarter": "P3M", "year": "P1Y"}

TEMPORAL_COLUMN = "date"  # the contract's temporal column in every view

# Metrics whose values add up across rows, so a pivot's totals are meaningful.
ADDITIVE_METRICS = frozenset({"impressions", "clicks", "cost", "conversions", "conversion_value"})

_COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "date": ("Date", "日付"),
    "account_id": ("Account", "アカウント"),
    "campaign_name": ("Campaign", "キャンペーン"),
    "campaign_type": ("Campaign type", "キャンペーンタイプ"),
    "campaign_status": ("Campaign status", "キャンペーンのステータス"),
    "device": ("Device", "デバイス"),
    "currency": ("Currency", "通貨"),
    "ad_group_name": ("Ad group", "広告グループ"),
    "ad_group_status": ("Ad group status", "広告グループのステータス"),
    "keyword_text": ("Keyword", "キーワード"),
    "match_type": ("Match type", "マッチタイプ"),
    "quality_score": ("Quality score", "品質スコア"),
    "country_code": ("Country", "国"),
    "region": ("Region", "地域"),
}

_GRAIN_LABELS: dict[str, tuple[str, str]] = {
    "day": ("day", "日"),
    "week": ("week", "週"),
    "month": ("month", "月"),
    "quarter": ("quarter", "四半期"),
    "year": ("year", "年"),
}


def dimensions_of(dataset: str) -> tuple[str, ...]:
    """The STRING columns of a contract view, in contract order."""
    return tuple(column.name for column in view(dataset).columns if column.role is Role.DIMENSION)


def table_columns_of(dataset: str) -> tuple[str, ...]:
    """What a detail table may group by on a contract view: its dimensions and integer attributes."""
    names = set(view(dataset).column_names)
    return dimensions_of(dataset) + tuple(name for name in TABLE_ATTRIBUTE_NAMES if name in names)


def contract_string_columns() -> frozenset[str]:
    """Every STRING column of every contract view (what `DimensionName` must equal)."""
    return frozenset(
        column.name for contract in CONTRACT_VIEWS for column in contract.columns if column.is_dimension
    )


def metric_label(name: str, locale: Locale) -> str:
    """The saved metric's label from the dataset contract."""
    return saved_metric(name).label(locale)


def metric_format(name: str) -> str:
    """The saved metric's d3 number format from the dataset contract."""
    return saved_metric(name).d3_format


def column_label(name: str, locale: Locale) -> str:
    """A column's human label; unknown columns (tenant extras) fall back to their name."""
    en, ja = _COLUMN_LABELS.get(name, (name, name))
    return ja if locale == "ja" else en


def grain_label(grain: str, locale: Locale) -> str:
    en, ja = _GRAIN_LABELS[grain]
    return ja if locale == "ja" else en


def in_sentence(label: str) -> str:
    """Lower-case a label's first letter inside an English sentence, leaving acronyms (CTR, ROAS) alone."""
    return label[0].lower() + label[1:] if len(label) > 1 and label[1].islower() else label


def join_labels(labels: Sequence[str], locale: Locale) -> str:
    """'A, B and C' in English, 'A・B・C' in Japanese."""
    if locale == "ja":
        return "・".join(labels)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def close_matches(value: object, allowed: Iterable[str], *, limit: int = 5) -> list[str]:
    """The allowed values nearest to `value`, or all of them (up to 12) when none is near."""
    options = list(allowed)
    near = (
        difflib.get_close_matches(str(value), options, n=limit, cutoff=0.5) if isinstance(value, str) else []
    )
    return near or options[:12]
