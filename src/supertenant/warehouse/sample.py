"""Deterministic Google Ads sample data that follows the dataset contract.

Local runs, demos and tests need tenants whose data looks real (English and Japanese campaign names,
13 months of seasonality, every device and campaign type) and is identical on every run.

How the numbers hang together:

- Each account's plan (campaigns, ad groups, keywords, ids, weights) and every daily number come from
  one `random.Random` seeded with `seed` plus a SHA-256 of the account id, so an account's rows do
  not depend on which other accounts are generated with it, and Python's salted `hash()` is never used.
- Ids embed the account's ten digits, so two accounts can never share a campaign, ad group or
  keyword id.
- Per day and campaign one set of totals is drawn, then split with integer apportioning by device,
  by region, by ad group and by keyword. So SUM(cost) (and every other measure) agrees across the
  four views, exactly for the integer and money columns and to float precision for conversions.
- Every row gets at least `_MIN_LEAF_IMPRESSIONS` expected impressions, which keeps rounding from
  pushing a row's CTR outside 1–8 % or its CVR outside 1–10 %: the ratios hold on every row, not
  just on average.
- Campaigns that are PAUSED or REMOVED stop getting traffic at a date inside the period, as in a
  real account, where zero-impression rows are not reported.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Literal

from supertenant.errors import ConfigError
from supertenant.warehouse.contract import ACCOUNT_ID_RE, CAMPAIGN_TYPES, DEVICES, MATCH_TYPES, VIEW_NAMES

_IdKind = Literal["campaign", "ad_group", "keyword"]
Row = tuple[object, ...]

DEFAULT_DAYS = 396  # 13 months
_MIN_LEAF_IMPRESSIONS = 120
_CTR_RANGE = (0.02, 0.065)  # inside the contract's 1–8 %, leaving room for rounding
_CVR_RANGE = (0.025, 0.085)  # inside the contract's 1–10 %
_KEYWORD_TYPES = frozenset({"SEARCH", "DISPLAY", "VIDEO"})  # Shopping and PMax have no keywords


@dataclass(frozen=True, slots=True)
class SampleData:
    """Generated rows for every contract view, each row in contract column order."""

    accounts: tuple[str, ...]
    start_date: date
    end_date: date
    rows: Mapping[str, tuple[Row, ...]]

    def count(self, view_name: str) -> int:
        """How many rows `view_name` got."""
        return len(self.rows[view_name])


# ---------------------------------------------------------------------------------------------------
# Flavours: the words an account's names are made of.


@dataclass(frozen=True, slots=True)
class _Theme:
    brand: str
    products: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Words:
    currency: str
    country: str
    cost_step_cents: int  # JPY has no minor unit: costs are whole yen
    cpc_range: tuple[float, float]
    order_value_range: tuple[float, float]
    regions: tuple[tuple[str, float], ...]
    themes: tuple[_Theme, ...]
    campaigns: Mapping[str, tuple[str, ...]]  # campaign type → name templates
    ad_groups: Mapping[str, tuple[str, ...]]  # campaign type → ad group name templates
    keywords: tuple[str, ...]


_EN_SEARCH_AD_GROUPS = (
    "{product} – Exact",
    "{product} – Phrase",
    "{product} – Price",
    "Buy {product} Online",
)
_EN_AUDIENCE_AD_GROUPS = ("Site Visitors 30d", "Similar Audiences", "In-Market – {product}")
_EN_PRODUCT_AD_GROUPS = ("All Products", "{product} – Best Sellers", "Asset Group – {product}")

_EN = _Words(
    currency="USD",
    country="US",
    cost_step_cents=1,
    cpc_range=(0.45, 2.8),
    order_value_range=(35.0, 160.0),
    regions=(("California", 0.3), ("Texas", 0.22), ("New York", 0.2), ("Florida", 0.16), ("Illinois", 0.12)),
    themes=(
        _Theme("Northwind", ("Running Shoes", "Trail Shoes", "Sneakers")),
        _Theme("Lumen Skin", ("Face Serum", "Sunscreen", "Moisturizer")),
        _Theme("Bean & Co", ("Coffee Beans", "Espresso Machines", "Cold Brew")),
        _Theme("Harbor Stays", ("Hotel Deals", "Weekend Getaways", "Beach Resorts")),
        _Theme("Pipeline CRM", ("CRM Software", "Sales Automation", "Email Marketing")),
        _Theme("Oak & Ash", ("Sofas", "Dining Tables", "Office Chairs")),
        _Theme("PetPal", ("Dog Food", "Cat Toys", "Pet Insurance")),
        _Theme("Voltride", ("E-Bikes", "Bike Helmets", "Commuter Bikes")),
    ),
    campaigns={
        "SEARCH": (
            "Brand | {brand}",
            "Search | {product} – Generic",
            "Search | {product} – Competitors",
            "Spring Launch | {product}",
            "Search | {product} – Sale",
        ),
        "DISPLAY": ("Display | Remarketing", "Display | {product} – Prospecting", "Display | Summer Sale"),
        "VIDEO": ("YouTube | {product} Awareness", "YouTube | {brand} Brand Story"),
        "SHOPPING": ("Shopping | {product} – All Products", "Shopping | Holiday Deals"),
        "PERFORMANCE_MAX": ("PMax | {product}", "PMax | New Customers"),
    },
    ad_groups={
        "SEARCH": _EN_SEARCH_AD_GROUPS,
        "DISPLAY": _EN_AUDIENCE_AD_GROUPS,
        "VIDEO": _EN_AUDIENCE_AD_GROUPS,
        "SHOPPING": _EN_PRODUCT_AD_GROUPS,
        "PERFORMANCE_MAX": _EN_PRODUCT_AD_GROUPS,
    },
    keywords=(
        "{product}",
        "buy {product}",
        "cheap {product}",
        "best {product}",
        "{product} near me",
        "{product} reviews",
        "{product} sale",
        "{brand}",
        "{brand} {product}",
    ),
)

_JA_SEARCH_AD_GROUPS = ("{product}_完全一致", "{product}_部分一致", "{product}_価格", "{product}_通販")
_JA_AUDIENCE_AD_GROUPS = ("サイト訪問者_30日", "類似オーディエンス", "興味関心_{product}")
_JA_PRODUCT_AD_GROUPS = ("全商品", "{product}_売れ筋", "アセットグループ_{product}")

_JA = _Words(
    currency="JPY",
    country="JP",
    cost_step_cents=100,
    cpc_range=(45.0, 260.0),
    order_value_range=(3500.0, 16000.0),
    regions=(("Tokyo", 0.42), ("Osaka", 0.24), ("Nagoya", 0.14), ("Fukuoka", 0.11), ("Sapporo", 0.09)),
    themes=(
        _Theme("アオバ", ("スニーカー", "ランニングシューズ", "サンダル")),
        _Theme("ハナコスメ", ("美容液", "日焼け止め", "化粧水")),
        _Theme("まめ珈琲", ("コーヒー豆", "ドリップバッグ", "コーヒーメーカー")),
        _Theme("やすらぎ旅館", ("温泉旅館", "国内ツアー", "ホテル予約")),
        _Theme("クラウド会計", ("会計ソフト", "請求書発行", "経費精算")),
        _Theme("木の家具工房", ("ソファ", "ダイニングテーブル", "ワークチェア")),
        _Theme("ぽちマート", ("ドッグフード", "キャットフード", "ペット保険")),
        _Theme("さくら英会話", ("英会話", "オンライン英会話", "TOEIC対策")),
    ),
    campaigns={
        "SEARCH": (
            "ブランド指名検索",
            "{product}_一般検索",
            "{product}_競合対策",
            "春の新作{product}",
            "{product}_セール訴求",
        ),
        "DISPLAY": ("リターゲティング_ディスプレイ", "{product}_類似ユーザー", "夏のセール_ディスプレイ"),
        "VIDEO": ("YouTube_{product}認知拡大", "{brand}_ブランド動画"),
        "SHOPPING": ("ショッピング_{product}全商品", "ショッピング_年末年始セール"),
        "PERFORMANCE_MAX": ("P-MAX_{product}", "P-MAX_新規顧客獲得"),
    },
    ad_groups={
        "SEARCH": _JA_SEARCH_AD_GROUPS,
        "DISPLAY": _JA_AUDIENCE_AD_GROUPS,
        "VIDEO": _JA_AUDIENCE_AD_GROUPS,
        "SHOPPING": _JA_PRODUCT_AD_GROUPS,
        "PERFORMANCE_MAX": _JA_PRODUCT_AD_GROUPS,
    },
    keywords=(
        "{product}",
        "{product} 通販",
        "{product} 安い",
        "{product} おすすめ",
        "{product} 人気",
        "{product} 比較",
        "{product} 口コミ",
        "{brand}",
        "{brand} {product}",
    ),
)

_FLAVOURS: Mapping[str, _Words] = MappingProxyType({"en": _EN, "ja": _JA})

# Daily impressions at a campaign's base level, by type.
_BASE_IMPRESSIONS = {
    "SEARCH": (8_000, 30_000),
    "DISPLAY": (30_000, 90_000),
    "VIDEO": (20_000, 70_000),
    "SHOPPING": (10_000, 40_000),
    "PERFORMANCE_MAX": (20_000, 80_000),
}
# Cost per click relative to the flavour's range: audience clicks are cheaper than search clicks.
_CPC_FACTORS = {"SEARCH": 1.4, "SHOPPING": 1.0, "PERFORMANCE_MAX": 0.9, "DISPLAY": 0.35, "VIDEO": 0.25}
_DEVICE_SHARES = (0.55, 0.32, 0.09, 0.04)  # MOBILE, DESKTOP, TABLET, OTHER
_WEEKDAY_FACTORS = (1.0, 1.03, 1.04, 1.02, 0.97, 0.86, 0.9)  # Monday first


# ---------------------------------------------------------------------------------------------------
# The plan of one account: drawn once, then replayed day by day.


@dataclass(frozen=True, slots=True)
class _Keyword:
    id: int
    text: str
    match_type: str
    quality_score: int | None
    weight: float


@dataclass(frozen=True, slots=True)
class _AdGroup:
    id: int
    name: str
    status: str
    last_day: date | None  # no traffic after this day
    weight: float
    keywords: tuple[_Keyword, ...]


@dataclass(frozen=True, slots=True)
class _Campaign:
    id: int
    name: str
    type: str
    status: str
    last_day: date | None
    base_impressions: float
    ctr: float
    cvr: float
    cpc: float
    order_value: float
    device_weights: tuple[float, ...]
    ad_groups: tuple[_AdGroup, ...]


@dataclass(frozen=True, slots=True)
class _Account:
    id: str
    words: _Words
    campaigns: tuple[_Campaign, ...]
    growth: float  # relative change in traffic over the period


def validate_accounts(accounts: Sequence[str]) -> tuple[str, ...]:
    """The accounts without duplicates, in order; ConfigError names every malformed id."""
    if isinstance(accounts, str):
        raise ConfigError(f"accounts must be a list of ids, not the single string {accounts!r}")
    if not accounts:
        raise ConfigError("accounts is empty; give at least one Google Ads customer id like 123-456-7890")
    bad = [
        account for account in accounts if not (isinstance(account, str) and ACCOUNT_ID_RE.fullmatch(account))
    ]
    if bad:
        names = ", ".join(repr(account) for account in bad)
        raise ConfigError(f"accounts: not a Google Ads customer id like 123-456-7890: {names}")
    return tuple(dict.fromkeys(accounts))


def generate(
    accounts: Sequence[str],
    *,
    seed: int,
    end_date: date,
    flavour: str = "en",
    days: int = DEFAULT_DAYS,
) -> SampleData:
    """Rows for every contract view: `days` days ending `end_date`, for each account.

    `flavour` "ja" gives Japanese names, Japanese regions and JPY; "en" English names, US regions and
    USD. The same arguments always give the same rows.
    """
    ids = validate_accounts(accounts)
    words = _FLAVOURS.get(flavour)
    if words is None:
        raise ConfigError(f"flavour {flavour!r} is not one of: {', '.join(_FLAVOURS)}")
    if days < 1:
        raise ConfigError(f"days must be at least 1, got {days}")
    start = end_date - timedelta(days=days - 1)
    out: dict[str, list[Row]] = {name: [] for name in VIEW_NAMES}
    for account_id in ids:
        rng = random.Random(seed + _stable_hash(account_id))
        account = _plan_account(rng, account_id, words, start, days)
        _emit_account(rng, account, start, days, out)
    rows = MappingProxyType({name: tuple(view_rows) for name, view_rows in out.items()})
    return SampleData(accounts=ids, start_date=start, end_date=end_date, rows=rows)


def _stable_hash(text: str) -> int:
    """A hash that is the same in every process (unlike the salted built-in `hash`)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


# ---------------------------------------------------------------------------------------------------
# Planning


def _plan_account(rng: random.Random, account_id: str, words: _Words, start: date, days: int) -> _Account:
    """Draw the account's campaigns, ad groups and keywords."""
    digits = int(account_id.replace("-", ""))
    theme = words.themes[_stable_hash(account_id) % len(words.themes)]
    types = [*CAMPAIGN_TYPES, "SEARCH", "SEARCH", rng.choice(CAMPAIGN_TYPES)]
    statuses = ["ENABLED"] * len(CAMPAIGN_TYPES) + rng.sample(["ENABLED", "PAUSED", "REMOVED"], 3)
    templates = {kind: rng.sample(names, len(names)) for kind, names in words.campaigns.items()}
    ids = _IdCounter(digits)
    campaigns = tuple(
        _plan_campaign(rng, ids, words, theme, kind, status, templates[kind].pop(), start, days)
        for kind, status in zip(types, statuses, strict=True)
    )
    return _Account(account_id, words, campaigns, growth=rng.uniform(-0.1, 0.35))


class _IdCounter:
    """Ids that embed the account's digits, so no two accounts can share one.

    Campaign ids get 3 more digits, ad groups 5 and keywords 7: all fit in INT64.
    """

    _SLOTS: Mapping[_IdKind, int] = MappingProxyType(
        {"campaign": 1_000, "ad_group": 100_000, "keyword": 10_000_000}
    )

    def __init__(self, digits: int) -> None:
        self._digits = digits
        self._counts: dict[_IdKind, int] = dict.fromkeys(self._SLOTS, 0)

    def take(self, kind: _IdKind) -> int:
        self._counts[kind] += 1
        return self._digits * self._SLOTS[kind] + self._counts[kind]


def _plan_campaign(
    rng: random.Random,
    ids: _IdCounter,
    words: _Words,
    theme: _Theme,
    kind: str,
    status: str,
    template: str,
    start: date,
    days: int,
) -> _Campaign:
    """One campaign: its name, economics, device mix and ad groups."""
    product = rng.choice(theme.products)
    low, high = _BASE_IMPRESSIONS[kind]
    ad_group_templates = rng.sample(words.ad_groups[kind], rng.randint(2, 3))
    ad_groups = tuple(
        _plan_ad_group(rng, ids, words, theme, kind, product, name, first=index == 0, start=start, days=days)
        for index, name in enumerate(ad_group_templates)
    )
    cpc_low, cpc_high = words.cpc_range
    value_low, value_high = words.order_value_range
    return _Campaign(
        id=ids.take("campaign"),
        name=template.format(brand=theme.brand, product=product),
        type=kind,
        status=status,
        last_day=_last_day(rng, status, start, days),
        base_impressions=rng.uniform(low, high),
        ctr=rng.uniform(*_CTR_RANGE),
        cvr=rng.uniform(*_CVR_RANGE),
        cpc=rng.uniform(cpc_low, cpc_high) * _CPC_FACTORS[kind],
        order_value=rng.uniform(value_low, value_high),
        device_weights=tuple(share * rng.uniform(0.8, 1.2) for share in _DEVICE_SHARES),
        ad_groups=ad_groups,
    )


def _last_day(rng: random.Random, status: str, start: date, days: int) -> date | None:
    """The last day with traffic: none for ENABLED; late for PAUSED; early for REMOVED."""
    if status == "ENABLED":
        return None
    low, high = (0.55, 0.95) if status == "PAUSED" else (0.2, 0.5)
    first = int(days * low)
    return start + timedelta(days=rng.randint(first, max(first, int(days * high) - 1)))


def _plan_ad_group(
    rng: random.Random,
    ids: _IdCounter,
    words: _Words,
    theme: _Theme,
    kind: str,
    product: str,
    template: str,
    *,
    first: bool,
    start: date,
    days: int,
) -> _AdGroup:
    """One ad group; some later ad groups were paused part-way through the period."""
    paused = not first and rng.random() < 0.25
    keywords: tuple[_Keyword, ...] = ()
    if kind in _KEYWORD_TYPES:
        texts = rng.sample(words.keywords, rng.randint(4, 6))
        keywords = tuple(
            _plan_keyword(rng, ids, text.format(brand=theme.brand, product=product), kind, rank)
            for rank, text in enumerate(texts, start=1)
        )
    return _AdGroup(
        id=ids.take("ad_group"),
        name=template.format(brand=theme.brand, product=product),
        status="PAUSED" if paused else "ENABLED",
        last_day=_last_day(rng, "PAUSED", start, days) if paused else None,
        weight=rng.uniform(0.6, 1.4),
        keywords=keywords,
    )


def _plan_keyword(rng: random.Random, ids: _IdCounter, text: str, kind: str, rank: int) -> _Keyword:
    """One keyword; traffic falls off with rank, and only Search keywords have a quality score."""
    quality: int | None = None
    if kind == "SEARCH" and rng.random() > 0.12:
        quality = rng.choices(range(1, 11), weights=(1, 1, 2, 4, 6, 9, 10, 8, 5, 3))[0]
    return _Keyword(
        id=ids.take("keyword"),
        text=text,
        match_type=rng.choice(MATCH_TYPES),
        quality_score=quality,
        weight=rng.uniform(0.8, 1.2) / rank,
    )


# ---------------------------------------------------------------------------------------------------
# Daily numbers

# impressions, clicks, cost (in cost steps), conversions (hundredths), conversion value (in cost steps)
_Totals = tuple[int, int, int, int, int]


def _emit_account(
    rng: random.Random, account: _Account, start: date, days: int, out: dict[str, list[Row]]
) -> None:
    """Append every row of one account to `out`, day by day."""
    region_weights = tuple(share for _, share in account.words.regions)
    for offset in range(days):
        day = start + timedelta(days=offset)
        factor = _day_factor(day, offset / max(days - 1, 1), account.growth)
        for campaign in account.campaigns:
            if campaign.last_day is None or day <= campaign.last_day:
                _emit_campaign_day(rng, account, campaign, day, factor, region_weights, out)


def _day_factor(day: date, progress: float, growth: float) -> float:
    """Traffic multiplier: weekly rhythm, a December peak and a trend over the period."""
    yearly = 1.0 + 0.22 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 350) / 365.25)
    return _WEEKDAY_FACTORS[day.weekday()] * yearly * (1.0 + growth * progress)


def _jitter(rng: random.Random, weights: Sequence[float], spread: float = 0.15) -> list[float]:
    """Day-to-day wobble of a mix, normalised to sum to 1."""
    wobbled = [weight * (1.0 + spread * (rng.random() - 0.5)) for weight in weights]
    total = sum(wobbled)
    return [weight / total for weight in wobbled]


def _emit_campaign_day(
    rng: random.Random,
    account: _Account,
    campaign: _Campaign,
    day: date,
    factor: float,
    region_weights: Sequence[float],
    out: dict[str, list[Row]],
) -> None:
    """Draw one campaign-day's totals and split them into rows of all four views."""
    ad_groups = [group for group in campaign.ad_groups if group.last_day is None or day <= group.last_day]
    devices = _jitter(rng, campaign.device_weights)
    regions = _jitter(rng, region_weights)
    groups = _jitter(rng, [group.weight for group in ad_groups])
    keywords = [
        _jitter(rng, [kw.weight for kw in group.keywords]) if group.keywords else [] for group in ad_groups
    ]
    smallest = min(
        min(devices),
        min(regions),
        *(share * min(kw_shares, default=1.0) for share, kw_shares in zip(groups, keywords, strict=True)),
    )
    totals = _draw_totals(rng, account.words, campaign, factor, smallest)
    step = account.words.cost_step_cents
    prefix = (day, account.id)
    for device, part in zip(DEVICES, _split(totals, devices), strict=True):
        out["ads_campaign_daily"].append(
            (
                *prefix,
                campaign.id,
                campaign.name,
                campaign.type,
                campaign.status,
                device,
                *_measures(part, step),
                account.words.currency,
            )
        )
    for (region, _), part in zip(account.words.regions, _split(totals, regions), strict=True):
        out["ads_geo_daily"].append(
            (*prefix, campaign.name, account.words.country, region, *_measures(part, step))
        )
    group_parts = _split(totals, groups)
    for group, group_part, kw_shares in zip(ad_groups, group_parts, keywords, strict=True):
        out["ads_adgroup_daily"].append(
            (
                *prefix,
                campaign.id,
                campaign.name,
                group.id,
                group.name,
                group.status,
                *_measures(group_part, step),
            )
        )
        if group.keywords:
            _emit_keywords(prefix, campaign, group, _split(group_part, kw_shares), step, out)


def _emit_keywords(
    prefix: tuple[date, str],
    campaign: _Campaign,
    group: _AdGroup,
    parts: Sequence[_Totals],
    step: int,
    out: dict[str, list[Row]],
) -> None:
    for keyword, part in zip(group.keywords, parts, strict=True):
        out["ads_keyword_daily"].append(
            (
                *prefix,
                campaign.name,
                group.name,
                keyword.id,
                keyword.text,
                keyword.match_type,
                keyword.quality_score,
                *_measures(part, step),
            )
        )


def _draw_totals(
    rng: random.Random, words: _Words, campaign: _Campaign, factor: float, smallest_share: float
) -> _Totals:
    """One campaign-day's totals, with enough impressions that its smallest row keeps sane ratios."""
    noise = max(0.5, rng.gauss(1.0, 0.12))
    floor = math.ceil(_MIN_LEAF_IMPRESSIONS / smallest_share)
    impressions = max(floor, round(campaign.base_impressions * factor * noise))
    ctr = _clamp(campaign.ctr * rng.uniform(0.9, 1.1), _CTR_RANGE)
    cvr = _clamp(campaign.cvr * rng.uniform(0.85, 1.15), _CVR_RANGE)
    clicks = round(impressions * ctr)
    cpc = campaign.cpc * rng.uniform(0.9, 1.1)
    cost = round(clicks * cpc * 100 / words.cost_step_cents)
    conversions = round(clicks * cvr * 100)
    value = round(
        conversions / 100 * campaign.order_value * rng.uniform(0.9, 1.1) * 100 / words.cost_step_cents
    )
    return (impressions, clicks, cost, conversions, value)


def _clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def _split(totals: _Totals, weights: Sequence[float]) -> list[_Totals]:
    """Split totals into parts that add up exactly: traffic by `weights`, money and conversions by clicks."""
    impressions, clicks, cost, conversions, value = totals
    part_impressions = _apportion(impressions, weights)
    part_clicks = _apportion(clicks, weights)
    part_cost = _apportion(cost, part_clicks)
    part_conversions = _apportion(conversions, part_clicks)
    part_value = _apportion(value, part_conversions)
    return list(zip(part_impressions, part_clicks, part_cost, part_conversions, part_value, strict=True))


def _apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder split: every part is the floor or ceiling of its share, and they sum to total."""
    weight_sum = sum(weights)
    if weight_sum <= 0:
        weights, weight_sum = [1.0] * len(weights), float(len(weights))
    scale = total / weight_sum
    parts: list[int] = []
    remainders: list[float] = []
    for weight in weights:
        quota = weight * scale
        part = int(quota)
        parts.append(part)
        remainders.append(quota - part)
    short = total - sum(parts)
    if short > 0:
        for index in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[:short]:
            parts[index] += 1
    return parts


def _measures(part: _Totals, step: int) -> tuple[int, int, Decimal, float, float]:
    """Contract measure values from integer totals: cost as a 2-place Decimal, the rest as floats."""
    impressions, clicks, cost, conversions, value = part
    return (impressions, clicks, Decimal(cost * step).scaleb(-2), conversions / 100, value * step / 100)
