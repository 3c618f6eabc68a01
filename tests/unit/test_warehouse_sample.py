"""Sample data follows the contract, looks like a real Google Ads account and never changes for a seed."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from supertenant.errors import ConfigError
from supertenant.warehouse.contract import (
    CAMPAIGN_TYPES,
    CONTRACT_VIEWS,
    DEVICES,
    MATCH_TYPES,
    STATUSES,
    VIEW_NAMES,
    ViewContract,
    view,
)
from supertenant.warehouse.sample import SampleData, generate

END = date(2025, 11, 28)
EN_ACCOUNTS = ("123-456-7890", "987-654-3210")
JA_ACCOUNTS = ("555-010-2024", "555-020-2024")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_PYTHON_TYPES = {"DATE": date, "VARCHAR": str, "BIGINT": int, "DECIMAL(18,2)": Decimal, "DOUBLE": float}


@pytest.fixture(scope="module")
def en() -> SampleData:
    return generate(EN_ACCOUNTS, seed=42, end_date=END)


@pytest.fixture(scope="module")
def ja() -> SampleData:
    return generate(JA_ACCOUNTS, seed=42, end_date=END, flavour="ja")


def _records(data: SampleData, name: str) -> Iterator[dict[str, Any]]:
    names = view(name).column_names
    for row in data.rows[name]:
        yield dict(zip(names, row, strict=True))


def _values(data: SampleData, name: str, column: str, account: str | None = None) -> set[Any]:
    index = view(name).column_names.index(column)
    return {row[index] for row in data.rows[name] if account is None or row[1] == account}


# --- shape -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("contract", CONTRACT_VIEWS, ids=VIEW_NAMES)
def test_rows_are_in_contract_column_order_with_contract_types(
    en: SampleData, contract: ViewContract
) -> None:
    rows = en.rows[contract.name]
    assert rows
    for row in rows:
        assert len(row) == len(contract.columns)
        for column, value in zip(contract.columns, row, strict=True):
            if value is None:
                assert column.name == "quality_score"
                continue
            assert type(value) is _PYTHON_TYPES[column.duckdb_type], (column.name, value)


def test_every_view_gets_rows_for_every_account(en: SampleData) -> None:
    assert tuple(en.rows) == VIEW_NAMES
    assert en.accounts == EN_ACCOUNTS
    for name in VIEW_NAMES:
        assert _values(en, name, "account_id") == set(EN_ACCOUNTS)


def test_row_counts_stay_moderate(en: SampleData) -> None:
    per_account_day = {name: en.count(name) / (2 * 396) for name in VIEW_NAMES}
    assert 20 <= per_account_day["ads_campaign_daily"] <= 40  # ~8 campaigns × 4 devices
    assert 10 <= per_account_day["ads_adgroup_daily"] <= 30
    assert 20 <= per_account_day["ads_keyword_daily"] <= 100
    assert 25 <= per_account_day["ads_geo_daily"] <= 50  # ~8 campaigns × 5 regions


# --- determinism -------------------------------------------------------------------------------------


def test_same_seed_gives_identical_rows() -> None:
    first = generate(EN_ACCOUNTS, seed=7, end_date=END, days=30)
    second = generate(EN_ACCOUNTS, seed=7, end_date=END, days=30)
    assert first == second


def test_different_seed_gives_different_rows() -> None:
    first = generate(EN_ACCOUNTS, seed=7, end_date=END, days=30)
    other = generate(EN_ACCOUNTS, seed=8, end_date=END, days=30)
    for name in VIEW_NAMES:
        assert first.rows[name] != other.rows[name]


def test_an_accounts_rows_do_not_depend_on_the_other_accounts() -> None:
    alone = generate(EN_ACCOUNTS[:1], seed=3, end_date=END, days=20)
    together = generate(EN_ACCOUNTS[::-1], seed=3, end_date=END, days=20)
    for name in VIEW_NAMES:
        mine = [row for row in together.rows[name] if row[1] == EN_ACCOUNTS[0]]
        assert list(alone.rows[name]) == mine


# --- dates, devices, types, statuses -----------------------------------------------------------------


def test_thirteen_months_of_days_ending_end_date(en: SampleData) -> None:
    expected = {END - timedelta(days=n) for n in range(396)}
    assert (en.start_date, en.end_date) == (END - timedelta(days=395), END)
    for name in VIEW_NAMES:
        for account in EN_ACCOUNTS:
            assert _values(en, name, "date", account) == expected, (name, account)


def test_all_devices_types_and_statuses_present_per_account(en: SampleData, ja: SampleData) -> None:
    for data in (en, ja):
        for account in data.accounts:
            assert _values(data, "ads_campaign_daily", "device", account) == set(DEVICES)
            assert _values(data, "ads_campaign_daily", "campaign_type", account) == set(CAMPAIGN_TYPES)
            assert _values(data, "ads_campaign_daily", "campaign_status", account) == set(STATUSES)
            assert _values(data, "ads_adgroup_daily", "ad_group_status", account) <= set(STATUSES)


def test_about_eight_campaigns_per_account(en: SampleData) -> None:
    for account in EN_ACCOUNTS:
        assert 7 <= len(_values(en, "ads_campaign_daily", "campaign_id", account)) <= 10


def test_removed_and_paused_campaigns_stop_before_the_end(en: SampleData) -> None:
    last_day: dict[tuple[str, int], date] = {}
    status: dict[tuple[str, int], str] = {}
    for r in _records(en, "ads_campaign_daily"):
        key = (r["account_id"], r["campaign_id"])
        last_day[key] = max(last_day.get(key, r["date"]), r["date"])
        status[key] = r["campaign_status"]
    for key, state in status.items():
        assert (last_day[key] == END) == (state == "ENABLED"), key


# --- realistic numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_ctr_and_cvr_within_bounds_on_every_row(en: SampleData, ja: SampleData, name: str) -> None:
    for data in (en, ja):
        for r in _records(data, name):
            impressions, clicks, conversions = r["impressions"], r["clicks"], r["conversions"]
            assert impressions > 0
            assert clicks > 0
            assert 0.01 <= clicks / impressions <= 0.08, r
            assert 0.01 <= conversions / clicks <= 0.10, r


@pytest.mark.parametrize("name", VIEW_NAMES)
def test_money_and_conversions(en: SampleData, name: str) -> None:
    fractional = 0
    for r in _records(en, name):
        cost, conversions, value = r["cost"], r["conversions"], r["conversion_value"]
        assert isinstance(cost, Decimal)
        assert cost.as_tuple().exponent == -2
        assert cost > 0
        assert isinstance(conversions, float)
        assert isinstance(value, float)
        assert value >= 0
        fractional += conversions != int(conversions)
    assert fractional > 0  # data-driven attribution


def test_currency_is_constant_per_account_by_flavour(en: SampleData, ja: SampleData) -> None:
    for data, currency in ((en, "USD"), (ja, "JPY")):
        for account in data.accounts:
            assert _values(data, "ads_campaign_daily", "currency", account) == {currency}
    yen = _values(ja, "ads_campaign_daily", "cost")
    assert all(cost == cost.to_integral_value() for cost in yen)  # JPY has no minor unit


@pytest.mark.parametrize("name", ["ads_adgroup_daily", "ads_geo_daily"])
def test_measures_agree_with_the_campaign_view(en: SampleData, name: str) -> None:
    def totals(view_name: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        sums: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, 0, Decimal(0)])
        for r in _records(en, view_name):
            key = (r["date"], r["account_id"], r["campaign_name"])
            for i, column in enumerate(("impressions", "clicks", "cost")):
                sums[key][i] += r[column]
        return {key: tuple(value) for key, value in sums.items()}

    assert totals(name) == totals("ads_campaign_daily")


def test_keywords(en: SampleData) -> None:
    scores = _values(en, "ads_keyword_daily", "quality_score")
    assert None in scores
    assert scores - {None}
    assert scores - {None} <= set(range(1, 11))
    assert _values(en, "ads_keyword_daily", "match_type") <= set(MATCH_TYPES)
    ids = [r["keyword_id"] for r in _records(en, "ads_keyword_daily") if r["date"] == END]
    assert len(ids) == len(set(ids))


# --- names and tenants -------------------------------------------------------------------------------


def test_japanese_flavour(ja: SampleData) -> None:
    for column, name in (
        ("campaign_name", "ads_campaign_daily"),
        ("ad_group_name", "ads_adgroup_daily"),
        ("keyword_text", "ads_keyword_daily"),
    ):
        texts = _values(ja, name, column)
        assert all(JAPANESE.search(str(text)) for text in texts), (column, texts)
    assert _values(ja, "ads_geo_daily", "region") == {"Tokyo", "Osaka", "Nagoya", "Fukuoka", "Sapporo"}
    assert _values(ja, "ads_geo_daily", "country_code") == {"JP"}


def test_english_flavour(en: SampleData) -> None:
    assert not any(JAPANESE.search(str(n)) for n in _values(en, "ads_campaign_daily", "campaign_name"))
    assert _values(en, "ads_geo_daily", "country_code") == {"US"}
    assert len(_values(en, "ads_geo_daily", "region")) == 5


@pytest.mark.parametrize("fixture", ["en", "ja"])
def test_tenants_are_distinguishable(fixture: str, request: pytest.FixtureRequest) -> None:
    data: SampleData = request.getfixturevalue(fixture)
    first, second = data.accounts
    ids_first = _values(data, "ads_campaign_daily", "campaign_id", first)
    assert not ids_first & _values(data, "ads_campaign_daily", "campaign_id", second)
    names_first = _values(data, "ads_campaign_daily", "campaign_name", first)
    names_second = _values(data, "ads_campaign_daily", "campaign_name", second)
    assert len(names_first & names_second) <= len(names_first) // 2


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["1234567890", "123-456-789", "abc-def-ghij", " 123-456-7890"])
def test_bad_account_id_is_named(bad: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(repr(bad))):
        generate(["123-456-7890", bad], seed=1, end_date=END, days=2)


def test_bad_flavour_days_and_empty_accounts() -> None:
    with pytest.raises(ConfigError, match="'fr'"):
        generate(EN_ACCOUNTS, seed=1, end_date=END, flavour="fr")
    with pytest.raises(ConfigError, match="days"):
        generate(EN_ACCOUNTS, seed=1, end_date=END, days=0)
    with pytest.raises(ConfigError, match="empty"):
        generate([], seed=1, end_date=END)
    with pytest.raises(ConfigError, match="single string"):
        generate("123-456-7890", seed=1, end_date=END)
