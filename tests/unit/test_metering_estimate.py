"""DuckDB scan estimates, request classification and the daily budget decision (pure)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from supertenant.metering.duckdb_estimate import (
    MIN_BYTES_PER_TABLE,
    TableStats,
    duckdb_path,
    estimate_bytes,
    type_width,
)
from supertenant.metering.rating import TIB, budget_decision, bytes_cost
from supertenant.metering.routes import Route, classify, endpoint_label


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure structlog onto CliRunner's stream, closed by now: log to today's stderr."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


STATS = {
    "t1.ads_campaign_daily": TableStats(
        rows=10_000_000, column_widths={"date": 8.0, "account_id": 14.0, "clicks": 8.0, "cost": 8.0}
    ),
}


def test_bytes_are_rows_times_the_columns_read() -> None:
    sql = "SELECT account_id, SUM(clicks) FROM t1.ads_campaign_daily WHERE date > '2026-01-01' GROUP BY 1"
    assert estimate_bytes(sql, STATS) == 10_000_000 * (14 + 8 + 8)


def test_star_reads_every_column_and_schema_defaults() -> None:
    assert estimate_bytes("SELECT * FROM ads_campaign_daily", STATS, "t1") == 10_000_000 * 38


def test_minimum_per_table_and_unknown_tables() -> None:
    assert estimate_bytes("SELECT COUNT(*) FROM t1.ads_campaign_daily", STATS) == MIN_BYTES_PER_TABLE
    assert estimate_bytes("SELECT 1 FROM nowhere.x", STATS) == MIN_BYTES_PER_TABLE
    assert estimate_bytes("not sql at all (", STATS) == 0


def test_ctes_are_not_tables() -> None:
    sql = "WITH c AS (SELECT clicks FROM t1.ads_campaign_daily) SELECT SUM(clicks) FROM c"
    assert estimate_bytes(sql, STATS) == 10_000_000 * 8


@pytest.mark.parametrize(
    ("type_name", "avg", "width"),
    [("BIGINT", None, 8.0), ("DATE", None, 8.0), ("DECIMAL(18,2)", None, 16.0), ("VARCHAR", 12.0, 14.0)],
)
def test_type_widths_follow_bigquery(type_name: str, avg: float | None, width: float) -> None:
    assert type_width(type_name, avg) == width


def test_duckdb_path_from_url() -> None:
    assert duckdb_path("duckdb:////data/w.duckdb?read_only=1") == Path("/data/w.duckdb")
    assert duckdb_path("bigquery://proj/ds") is None
    assert duckdb_path("duckdb:///:memory:") is None


@pytest.mark.parametrize(
    ("method", "path", "args", "body", "expected"),
    [
        ("POST", "/api/v1/chart/data", {}, {"result_format": "json"}, Route("chart_data", "chart", "7")),
        ("POST", "/api/v1/chart/data", {}, {"result_format": "csv"}, Route("csv_export", "chart", "7")),
        ("GET", "/api/v1/chart/12/data/", {}, {}, Route("chart_data", "chart", "12")),
        ("GET", "/api/v1/chart/12/data/", {"format": "csv"}, {}, Route("csv_export", "chart", "12")),
        ("GET", "/api/v1/dashboard/5", {}, {}, Route("dashboard_view", "dashboard", "5")),
        ("GET", "/api/v1/dashboard/my-slug", {}, {}, Route("dashboard_view", "dashboard", "my-slug")),
        ("GET", "/api/v1/dashboard/_info", {}, {}, None),
        ("GET", "/api/v1/dashboard/", {}, {}, None),
        ("GET", "/api/v1/dashboard/5/charts", {}, {}, None),
        ("POST", "/api/v1/sqllab/execute/", {}, {"database_id": 3}, Route("sql_lab", "database", "3")),
        ("GET", "/api/v1/sqllab/export/abc123/", {}, {}, Route("csv_export", "query", "abc123")),
        ("POST", "/api/v1/security/login", {}, {}, Route("login")),
        ("GET", "/api/v1/chart/", {}, {}, None),
        ("POST", "/supertenant/chat/api/chat", {}, {"text": "cost"}, Route("chat_request")),
        ("GET", "/supertenant/chat/", {}, {}, None),
    ],
)
def test_classify(
    method: str, path: str, args: dict[str, str], body: dict[str, object], expected: Route
) -> None:
    assert classify(method, path, args, {}, body, chart_id=7) == expected


def test_endpoint_labels_are_a_small_fixed_set() -> None:
    assert endpoint_label(Route("sql_lab"), "/x") == "sql_lab"
    assert {endpoint_label(None, p) for p in ("/api/v1/x/9", "/static/a.js", "/superset/welcome/")} == {
        "api",
        "static",
        "page",
    }


def test_budget_allows_below_and_refuses_at_or_above() -> None:
    prices = {"bigquery": Decimal("6.25"), "duckdb": Decimal("6.25")}
    below = budget_decision({"bigquery": 3 * TIB, "duckdb": TIB - 1}, prices, Decimal("25"))
    assert below.allowed
    at = budget_decision({"bigquery": 3 * TIB, "duckdb": TIB}, prices, Decimal("25"))
    assert not at.allowed
    assert "daily budget of 25.00 USD" in at.message("acme", "USD")
    assert "25.00 USD of warehouse cost today" in at.message("acme", "USD")
    assert budget_decision({"bigquery": 10**18}, prices, None).allowed


def test_bytes_cost_is_exact() -> None:
    assert bytes_cost(TIB // 2, Decimal("6.25")) == Decimal("3.125")


def test_stats_cache_falls_back_to_stale_stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from supertenant.metering import duckdb_estimate

    path = tmp_path / "w.duckdb"
    path.write_bytes(b"x")
    cache = duckdb_estimate.StatsCache()
    monkeypatch.setattr(duckdb_estimate, "load_stats_isolated", lambda _p, _s: dict(STATS))
    assert cache.get(path, frozenset({"acme"})) == STATS
    os.utime(path, (1, 1))  # the file changed, and reading it now fails

    def fail(_p: Path, _s: list[str]) -> None:
        raise RuntimeError("locked")

    monkeypatch.setattr(duckdb_estimate, "load_stats_isolated", fail)
    monkeypatch.setattr(duckdb_estimate.time, "sleep", lambda _s: None)
    assert cache.get(path, frozenset({"acme"})) == STATS
    assert duckdb_estimate.StatsCache().get(path, frozenset({"acme"})) == {}


def test_stats_cache_loads_each_schema_once_until_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertenant.metering import duckdb_estimate

    path = tmp_path / "w.duckdb"
    path.write_bytes(b"x")
    asked: list[list[str]] = []

    def load(_p: Path, schemas: list[str]) -> dict[str, duckdb_estimate.TableStats]:
        asked.append(schemas)
        return {
            f"{s}.t": duckdb_estimate.TableStats(rows=len(asked), column_widths={"c": 8.0}) for s in schemas
        }

    monkeypatch.setattr(duckdb_estimate, "load_stats_isolated", load)
    cache = duckdb_estimate.StatsCache()
    assert set(cache.get(path, frozenset({"a"}))) == {"a.t"}
    assert set(cache.get(path, frozenset({"a", "b"}))) == {"a.t", "b.t"}
    assert cache.get(path, frozenset({"b"}))["a.t"].rows == 1  # nothing loaded again
    assert asked == [["a"], ["b"]]
    os.utime(path, (1, 1))
    assert set(cache.get(path, frozenset({"b"}))) == {"b.t"}  # what was read of the old file is gone
    assert asked[-1] == ["b"]


def test_referenced_schemas_are_the_tables_schemas_without_ctes() -> None:
    from supertenant.metering.duckdb_estimate import referenced_schemas

    sql = 'WITH x AS (SELECT 1) SELECT * FROM "Acme"."v" JOIN w ON true JOIN x ON true'
    assert referenced_schemas(sql, "tenant") == {"acme", "tenant"}
    assert referenced_schemas("SELECT 1") == frozenset()
    assert referenced_schemas("SELEC FROM (", "t") == frozenset()


def test_load_stats_reads_only_the_schemas_asked_for_in_a_child_process(tmp_path: Path) -> None:
    import duckdb

    from supertenant.metering.duckdb_estimate import load_stats_isolated

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    for schema in ("acme", "globex"):
        con.execute(f"CREATE SCHEMA {schema}")
        con.execute(f"CREATE TABLE {schema}.t (n BIGINT, label VARCHAR)")
        con.execute(f"INSERT INTO {schema}.t VALUES (1, 'abcd'), (2, 'ab')")  # noqa: S608
        con.execute(f"CREATE VIEW {schema}.v AS SELECT n FROM {schema}.t WHERE n > 1")  # noqa: S608
    con.close()
    stats = load_stats_isolated(path, ["acme"])
    assert set(stats) == {"acme.t", "acme.v"}
    assert stats["acme.t"].rows == 2
    assert stats["acme.t"].column_widths == {"n": 8.0, "label": 2.0 + 3.0}  # 2 + average UTF-8 length
    assert stats["acme.v"].rows == 1
    assert set(load_stats_isolated(path, [])) == set()
