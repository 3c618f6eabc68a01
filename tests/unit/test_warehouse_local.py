"""The local DuckDB warehouse: shared tables, per-tenant views, and the contract check, on real files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from supertenant.errors import ConfigError, ContractError, NotFoundError
from supertenant.warehouse import local
from supertenant.warehouse.contract import VIEW_NAMES, view
from supertenant.warehouse.local import check_contract, observe_contract, write_sample

END = date(2025, 11, 28)
DAYS = 40  # the generator's own tests cover 13 months; here we test I/O
ACME = ("123-456-7890", "111-222-3333")
NIPPON = ("987-654-3210",)


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Two tenants sharing one set of raw tables: acme (two English accounts), nippon (one Japanese)."""
    path = tmp_path / "warehouse.duckdb"
    write_sample(path, schema="acme", accounts=ACME, end_date=END, days=DAYS)
    write_sample(path, schema="nippon", accounts=NIPPON, flavour="ja", end_date=END, days=DAYS)
    return path


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(warehouse))
    yield connection
    connection.close()


def _query(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Run `sql` read-only; relations are bound as names through DuckDB's query_table(?)."""
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql, list(params)).fetchall()


def _accounts(path: Path, relation: str) -> set[str]:
    return {a for (a,) in _query(path, "SELECT DISTINCT account_id FROM query_table(?)", relation)}


def _fingerprint(path: Path, account: str) -> dict[str, tuple[Any, ...]]:
    """Row count and sums per raw table for one account: equal fingerprints mean untouched rows."""
    sql = (
        "SELECT count(*), sum(impressions), sum(cost), min(date), max(date) "
        "FROM query_table(?) WHERE account_id = ?"
    )
    return {name: _query(path, sql, f"ads_raw.{name}", account)[0] for name in VIEW_NAMES}


# --- writing -----------------------------------------------------------------------------------------


def test_summary_matches_what_was_written(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "w.duckdb"
    summary = write_sample(path, schema="acme", accounts=ACME, end_date=END, days=DAYS)
    assert (summary.path, summary.schema, summary.accounts) == (path, "acme", ACME)
    assert (summary.start_date, summary.end_date) == (END - timedelta(days=DAYS - 1), END)
    for name in VIEW_NAMES:
        assert summary.rows[name] > 0
        assert _query(path, "SELECT count(*), min(date), max(date) FROM query_table(?)", f"acme.{name}") == [
            (summary.rows[name], summary.start_date, summary.end_date)
        ]


def test_raw_tables_hold_every_tenant_and_views_only_their_own(warehouse: Path) -> None:
    for name in VIEW_NAMES:
        assert _accounts(warehouse, f"ads_raw.{name}") == {*ACME, *NIPPON}
        assert _accounts(warehouse, f"acme.{name}") == set(ACME)
        assert _accounts(warehouse, f"nippon.{name}") == set(NIPPON)


def test_views_expose_exactly_the_contract_columns(warehouse: Path) -> None:
    observed = observe_contract(warehouse, "nippon")
    assert set(observed) == set(VIEW_NAMES)
    for name in VIEW_NAMES:
        assert observed[name] == {c.name: c.duckdb_type for c in view(name).columns}


def test_rerunning_one_account_replaces_its_rows_and_leaves_the_others(warehouse: Path) -> None:
    others = {account: _fingerprint(warehouse, account) for account in (ACME[1], *NIPPON)}
    before = _fingerprint(warehouse, ACME[0])

    write_sample(warehouse, schema="acme", accounts=ACME[:1], end_date=END, days=DAYS)
    assert _fingerprint(warehouse, ACME[0]) == before  # same seed: same rows, not twice as many
    summary = write_sample(warehouse, schema="acme", accounts=ACME[:1], seed=99, end_date=END, days=DAYS)
    after = _fingerprint(warehouse, ACME[0])
    assert after != before
    assert {name: row[0] for name, row in after.items()} == dict(summary.rows)  # replaced, not added

    assert {account: _fingerprint(warehouse, account) for account in others} == others
    assert _accounts(warehouse, "acme.ads_campaign_daily") == {ACME[0]}  # views follow the last call


def test_a_failed_write_changes_nothing(warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _fingerprint(warehouse, ACME[0])
    calls = 0

    def fail_on_third_view(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")

    monkeypatch.setattr(local, "_create_view", fail_on_third_view)
    with pytest.raises(RuntimeError, match="disk full"):
        write_sample(warehouse, schema="fresh", accounts=ACME[:1], seed=5, end_date=END, days=DAYS)
    assert _fingerprint(warehouse, ACME[0]) == before
    assert _query(warehouse, "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = 'fresh'") == [(0,)]


# --- the contract check ------------------------------------------------------------------------------


def test_generated_warehouse_satisfies_the_contract(warehouse: Path) -> None:
    check_contract(warehouse, "acme")
    check_contract(warehouse, "nippon")


def test_contract_check_names_every_gap_at_once(warehouse: Path, con: duckdb.DuckDBPyConnection) -> None:
    con.execute("DROP VIEW acme.ads_geo_daily")
    con.execute(
        "CREATE OR REPLACE VIEW acme.ads_keyword_daily AS "
        "SELECT * EXCLUDE (quality_score) FROM ads_raw.ads_keyword_daily"
    )
    con.execute(
        "CREATE OR REPLACE VIEW acme.ads_campaign_daily AS "
        "SELECT * REPLACE (CAST(cost AS DOUBLE) AS cost) FROM ads_raw.ads_campaign_daily"
    )
    con.close()

    with pytest.raises(ContractError) as caught:
        check_contract(warehouse, "acme")
    assert caught.value.reasons == [
        "view ads_campaign_daily: column cost should be DECIMAL(18,2), found DOUBLE",
        "view ads_keyword_daily: missing column quality_score (BIGINT)",
        "missing view ads_geo_daily",
    ]
    assert caught.value.source == f"{warehouse}:acme"
    assert "3 problem(s)" in str(caught.value)
    check_contract(warehouse, "nippon")  # the other tenant's views are untouched


def test_a_view_broken_under_its_feet_is_reported(warehouse: Path, con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE ads_raw.ads_geo_daily DROP COLUMN region")
    con.close()
    with pytest.raises(ContractError) as caught:
        check_contract(warehouse, "acme")
    assert len(caught.value.reasons) == 1
    assert caught.value.reasons[0].startswith("view ads_geo_daily: cannot be queried:")


def test_missing_schema_misses_every_view(warehouse: Path) -> None:
    with pytest.raises(ContractError) as caught:
        check_contract(warehouse, "nobody")
    assert caught.value.reasons == [f"missing view {name}" for name in VIEW_NAMES]


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "absent.duckdb"
    with pytest.raises(NotFoundError, match=re.escape(str(missing))):
        check_contract(missing, "acme")
    with pytest.raises(NotFoundError, match=re.escape(str(missing))):
        observe_contract(missing, "acme")
    assert not missing.exists()


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "schema",
    [
        "Acme",
        "1acme",
        "ac-me",
        "",
        "a" * 64,
        'acme"; DROP TABLE x; --',
        "ads_raw",
        "main",
        "information_schema",
        "pg_catalog",
    ],
)
def test_bad_schema_is_named_before_touching_the_file(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError, match=re.escape(repr(schema))):
        write_sample(path, schema=schema, accounts=ACME, end_date=END, days=2)
    assert not path.exists()


def test_longest_safe_schema_is_fine(tmp_path: Path) -> None:
    write_sample(tmp_path / "w.duckdb", schema="a" * 63, accounts=ACME[:1], end_date=END, days=2)


@pytest.mark.parametrize("file_name", ["demo.duckdb", "Demo.v2.duckdb", "demo"])
def test_schema_named_like_the_database_is_refused(tmp_path: Path, file_name: str) -> None:
    with pytest.raises(ConfigError, match=r"'demo'.*same name as the database"):
        write_sample(tmp_path / file_name, schema="demo", accounts=ACME, end_date=END, days=2)
    assert not (tmp_path / file_name).exists()


def test_bad_flavour_is_named_before_touching_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'fr'"):
        write_sample(tmp_path / "w.duckdb", schema="acme", accounts=ACME, flavour="fr", end_date=END, days=2)
    assert not (tmp_path / "w.duckdb").exists()


@pytest.mark.parametrize(
    "account", ["1234567890", "123-456-789", "123-456-78901", "abc-def-ghij", "123-456-7890'"]
)
def test_bad_account_id_is_named_before_touching_the_file(tmp_path: Path, account: str) -> None:
    path = tmp_path / "w.duckdb"
    with pytest.raises(ConfigError, match=re.escape(repr(account))):
        write_sample(path, schema="acme", accounts=[ACME[0], account], end_date=END, days=2)
    assert not path.exists()
