"""The dataset contract as data, and the pure check that names every gap."""

from __future__ import annotations

import re

import pytest

from supertenant.errors import NotFoundError
from supertenant.warehouse.contract import (
    CONTRACT_VIEWS,
    SAVED_METRICS,
    VIEW_NAMES,
    Engine,
    Role,
    ViewContract,
    check_columns,
    normalise_type,
    saved_metric,
    view,
)


def _perfect(engine: Engine) -> dict[str, dict[str, str]]:
    return {c.name: {col.name: col.type_for(engine) for col in c.columns} for c in CONTRACT_VIEWS}


# --- the contract as data ----------------------------------------------------------------------------


def test_the_four_views_in_spec_order() -> None:
    assert VIEW_NAMES == ("ads_campaign_daily", "ads_adgroup_daily", "ads_keyword_daily", "ads_geo_daily")


def test_campaign_view_columns_in_spec_order() -> None:
    assert view("ads_campaign_daily").column_names == (
        "date",
        "account_id",
        "campaign_id",
        "campaign_name",
        "campaign_type",
        "campaign_status",
        "device",
        "impressions",
        "clicks",
        "cost",
        "conversions",
        "conversion_value",
        "currency",
    )


@pytest.mark.parametrize("contract", CONTRACT_VIEWS, ids=VIEW_NAMES)
def test_every_view_starts_with_date_and_account_and_ends_with_the_five_measures(
    contract: ViewContract,
) -> None:
    names = contract.column_names
    assert names[:2] == ("date", "account_id")
    tail = names[-6:-1] if contract.name == "ads_campaign_daily" else names[-5:]
    assert tail == ("impressions", "clicks", "cost", "conversions", "conversion_value")


@pytest.mark.parametrize("contract", CONTRACT_VIEWS, ids=VIEW_NAMES)
def test_roles_follow_types(contract: ViewContract) -> None:
    for column in contract.columns:
        assert column.is_dimension == (column.bigquery_type == "STRING"), column.name
        assert column.is_temporal == (column.name == "date"), column.name
        if column.role is Role.IDENTIFIER:
            assert column.name.endswith("_id")
            assert column.bigquery_type == "INT64"
    assert contract.temporal.name == "date"
    assert {"impressions", "clicks", "cost", "conversions", "conversion_value"} <= {
        c.name for c in contract.measures
    }


def test_types_per_engine() -> None:
    cost = view("ads_geo_daily").column("cost")
    assert (cost.type_for("bigquery"), cost.type_for("duckdb")) == ("NUMERIC", "DECIMAL(18,2)")
    quality = view("ads_keyword_daily").column("quality_score")
    assert (quality.bigquery_type, quality.duckdb_type, quality.role) == ("INT64", "BIGINT", Role.MEASURE)


def test_unknown_view_and_column_name_what_exists() -> None:
    with pytest.raises(NotFoundError, match=r"'ads_nope'.*ads_campaign_daily, ads_adgroup_daily"):
        view("ads_nope")
    with pytest.raises(NotFoundError, match=r"ads_geo_daily has no column 'device'.*region"):
        view("ads_geo_daily").column("device")


def test_ten_saved_metrics_with_formats() -> None:
    formats = {m.name: m.d3_format for m in SAVED_METRICS}
    assert formats == {
        "impressions": ",d",
        "clicks": ",d",
        "cost": ",.2f",
        "conversions": ",.2f",
        "conversion_value": ",.2f",
        "ctr": ".2%",
        "cpc": ",.2f",
        "cvr": ".2%",
        "cpa": ",.2f",
        "roas": ".2f",
    }
    assert saved_metric("roas").expression == "SUM(conversion_value) / NULLIF(SUM(cost), 0)"
    assert saved_metric("ctr").label("ja_JP") == "クリック率"
    assert saved_metric("ctr").label("en") == "CTR"
    with pytest.raises(NotFoundError, match="'aov'"):
        saved_metric("aov")


def test_saved_metrics_only_use_measures_every_view_has() -> None:
    """The metrics are defined on every contract dataset, so each must compute on each view."""
    for metric in SAVED_METRICS:
        used = set(re.findall(r"SUM\((\w+)\)", metric.expression))
        assert used, metric.name
        for contract in CONTRACT_VIEWS:
            assert used <= {c.name for c in contract.measures}, (metric.name, contract.name)


# --- type normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "family"),
    [
        ("VARCHAR", "STRING"),
        ("varchar(255)", "STRING"),
        ("TEXT", "STRING"),
        ("BIGINT", "INT64"),
        ("INTEGER", "INT64"),
        ("DECIMAL(18,2)", "NUMERIC"),
        ("DECIMAL(38, 2)", "NUMERIC"),
        ("decimal(12,4)", "NUMERIC"),
        ("DOUBLE", "FLOAT64"),
        ("DATE", "DATE"),
        ("DECIMAL(18,0)", None),
        ("DECIMAL(18,1)", None),
        ("FLOAT", None),
        ("REAL", None),
        ("TIMESTAMP", None),
        ("HUGEINT", None),
        ("INT64(", None),
        ("", None),
    ],
)
def test_normalise_duckdb(observed: str, family: str | None) -> None:
    assert normalise_type(observed, "duckdb") == family


@pytest.mark.parametrize(
    ("observed", "family"),
    [
        ("STRING", "STRING"),
        ("STRING(10)", "STRING"),
        ("INT64", "INT64"),
        ("INTEGER", "INT64"),
        ("NUMERIC", "NUMERIC"),
        ("BIGNUMERIC", "NUMERIC"),
        ("NUMERIC(12, 2)", "NUMERIC"),
        ("NUMERIC(12)", None),
        ("FLOAT64", "FLOAT64"),
        ("FLOAT", "FLOAT64"),
        ("DATE", "DATE"),
        ("VARCHAR", None),
        ("TIMESTAMP", None),
    ],
)
def test_normalise_bigquery(observed: str, family: str | None) -> None:
    assert normalise_type(observed, "bigquery") == family


# --- check_columns -----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["duckdb", "bigquery"])
def test_exact_contract_passes(engine: Engine) -> None:
    assert check_columns(_perfect(engine), engine) == []


def test_extra_views_extra_columns_aliases_and_column_case_pass() -> None:
    observed = _perfect("duckdb")
    observed["ads_campaign_daily"]["my_extra"] = "STRUCT(a INTEGER)"
    observed["ads_campaign_daily"]["campaign_id"] = "INTEGER"
    observed["ads_geo_daily"]["cost"] = "DECIMAL(38,2)"
    observed["ads_keyword_daily"] = {k.upper(): v for k, v in observed["ads_keyword_daily"].items()}
    observed["something_else"] = {"x": "VARCHAR"}
    assert check_columns(observed, "duckdb") == []


def test_names_every_problem_at_once_in_contract_order() -> None:
    observed = _perfect("duckdb")
    del observed["ads_geo_daily"]
    del observed["ads_keyword_daily"]["quality_score"]
    observed["ads_campaign_daily"]["cost"] = "DOUBLE"
    observed["ads_adgroup_daily"]["date"] = "TIMESTAMP"
    assert check_columns(observed, "duckdb") == [
        "view ads_campaign_daily: column cost should be DECIMAL(18,2), found DOUBLE",
        "view ads_adgroup_daily: column date should be DATE, found TIMESTAMP",
        "view ads_keyword_daily: missing column quality_score (BIGINT)",
        "missing view ads_geo_daily",
    ]


def test_bigquery_reasons_use_bigquery_types() -> None:
    observed = _perfect("bigquery")
    observed["ads_geo_daily"]["cost"] = "FLOAT64"
    assert check_columns(observed, "bigquery") == [
        "view ads_geo_daily: column cost should be NUMERIC, found FLOAT64"
    ]


def test_empty_warehouse_misses_every_view() -> None:
    assert check_columns({}, "bigquery") == [f"missing view {name}" for name in VIEW_NAMES]


def test_view_names_are_case_sensitive() -> None:
    observed = _perfect("bigquery")
    observed["ADS_GEO_DAILY"] = observed.pop("ads_geo_daily")
    assert check_columns(observed, "bigquery") == ["missing view ads_geo_daily"]
