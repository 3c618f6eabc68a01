"""Tenant vocabularies: from the contract alone, and from a real DuckDB warehouse (read-only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from supertenant.chat import OfflinePlanner, Plan, Refusal, contract_vocabulary, from_duckdb
from supertenant.chat.vocabulary import TenantVocabulary, metrics_for
from supertenant.errors import ConfigError, NotFoundError
from supertenant.warehouse.contract import SAVED_METRICS, VIEW_NAMES
from supertenant.warehouse.local import write_sample

END = date(2026, 11, 18)
SAKURA = ("123-456-7890", "234-567-8901")
NORTHWIND = ("345-678-9012",)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("chat") / "warehouse.duckdb"
    write_sample(path, schema="sakura_shoes", accounts=SAKURA, flavour="ja", end_date=END, days=20)
    write_sample(path, schema="northwind_outdoor", accounts=NORTHWIND, flavour="en", end_date=END, days=20)
    return path


def test_contract_vocabulary_has_every_view_metric_and_enum() -> None:
    vocabulary = contract_vocabulary("acme", account_ids=["123-456-7890"])
    assert vocabulary.dataset_names == VIEW_NAMES
    assert all(dataset.metrics == {m.name for m in SAVED_METRICS} for dataset in vocabulary.datasets)
    assert vocabulary.known_values("device") == {"MOBILE", "DESKTOP", "TABLET", "OTHER"}
    assert vocabulary.known_values("account_id") == {"123-456-7890"}
    assert vocabulary.known_values("campaign_name") == frozenset()


def test_metrics_need_their_columns() -> None:
    assert metrics_for(["clicks", "impressions"]) == {"clicks", "impressions", "ctr"}


def test_vocabulary_rejects_bad_identity() -> None:
    with pytest.raises(ConfigError):
        TenantVocabulary(slug="Not A Slug")
    with pytest.raises(ConfigError):
        TenantVocabulary(slug="acme", account_ids=("12345",))


def test_fingerprint_follows_content() -> None:
    assert contract_vocabulary("acme").fingerprint == contract_vocabulary("acme").fingerprint
    assert (
        contract_vocabulary("acme").fingerprint
        != contract_vocabulary("acme", datasets=["ads_geo_daily"]).fingerprint
    )


def test_from_duckdb_reads_only_the_tenants_schema(warehouse: Path) -> None:
    sakura = from_duckdb(warehouse, "sakura_shoes", slug="sakura-shoes", locale="ja")
    assert sakura.account_ids == SAKURA
    assert sakura.dataset_names == VIEW_NAMES
    assert sakura.values["campaign_name"]
    assert all(not name.isascii() for name in sakura.values["campaign_name"])
    assert set(sakura.values["region"]) == {"Tokyo", "Osaka", "Nagoya", "Fukuoka", "Sapporo"}
    northwind = from_duckdb(warehouse, "northwind_outdoor", slug="northwind-outdoor")
    assert not set(northwind.values["campaign_name"]) & set(sakura.values["campaign_name"])
    assert northwind.account_ids == NORTHWIND


def test_from_duckdb_ignores_extra_columns_and_views(warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "extra.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    con.execute("CREATE VIEW sakura_shoes.customer_emails AS SELECT 'a@example.com' AS email")
    con.execute(
        "CREATE OR REPLACE VIEW sakura_shoes.ads_geo_daily AS "
        "SELECT date, account_id, campaign_name, country_code, region, clicks, impressions, 'x' AS secret "
        "FROM ads_raw.ads_geo_daily WHERE account_id = '123-456-7890'"
    )
    con.close()
    vocabulary = from_duckdb(copy, "sakura_shoes", slug="sakura-shoes")
    geo = vocabulary.dataset("ads_geo_daily")
    assert geo is not None
    assert "secret" not in geo.columns
    assert geo.metrics == {"clicks", "impressions", "ctr"}  # no cost column: no cost metrics
    assert "customer_emails" not in vocabulary.dataset_names
    assert isinstance(OfflinePlanner().plan("cost by region", vocabulary, END), Refusal)


def test_from_duckdb_does_not_write(warehouse: Path) -> None:
    before = warehouse.stat().st_mtime_ns
    from_duckdb(warehouse, "sakura_shoes", slug="sakura-shoes")
    assert warehouse.stat().st_mtime_ns == before


def test_from_duckdb_names_what_is_missing(tmp_path: Path, warehouse: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        from_duckdb(tmp_path / "none.duckdb", "sakura_shoes", slug="sakura-shoes")
    with pytest.raises(ConfigError):
        from_duckdb(warehouse, "ads_raw", slug="sakura-shoes")  # the shared raw schema is never a tenant's


def test_plans_from_a_real_warehouse_use_its_names(warehouse: Path) -> None:
    vocabulary = from_duckdb(warehouse, "northwind_outdoor", slug="northwind-outdoor")
    campaign = sorted(vocabulary.values["campaign_name"])[0]
    result = OfflinePlanner().plan(f"daily clicks for {campaign}", vocabulary, END)
    assert isinstance(result, Plan)
    assert result.params["filters"] == [{"column": "campaign_name", "op": "==", "value": campaign}]
