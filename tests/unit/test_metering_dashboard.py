"""The platform dashboard's aggregates (pure) and its chart layout."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from supertenant.metering.platform_dashboard import SCHEMAS, aggregates, chart_specs
from supertenant.metering.pricebook import parse_pricebook
from supertenant.metering.rating import TIB

BOOK = parse_pricebook(
    "warehouse: {bigquery_per_tib: '6.25', duckdb_per_tib: '1'}\n"
    "plans: {p: {model: base_plus_passthrough, base_fee: '0', margin: '0'}}"
)


def event(
    day: int, tenant: str | None, kind: str, user: int | None, status: str = "ok", **kw: Any
) -> dict[str, Any]:
    at = datetime(2026, 11, day, 23, 30, tzinfo=UTC)
    return {
        "occurred_at": at,
        "tenant": tenant,
        "kind": kind,
        "status": status,
        "user_id": user,
        "bytes_scanned": kw.get("scanned"),
        "duration_ms": kw.get("ms"),
    }


def test_usage_users_and_cost_per_day() -> None:
    usage = [
        event(1, "a", "chart_data", 1, scanned=100, ms=10),
        event(1, "a", "chart_data", 2, scanned=50, ms=5),
        event(1, "a", "chart_data", 3, status="refused"),
        event(2, "a", "login", 1),
        event(2, None, "dashboard_view", 9),
    ]
    costs = [
        {"day": date(2026, 11, 1), "tenant": "a", "source": "bigquery", "jobs": 3, "bytes_billed": 2 * TIB}
    ]
    tables = aggregates(usage, costs, BOOK)
    assert tables["usage_daily"] == [
        (date(2026, 11, 1), "a", "chart_data", "ok", 2, 150, 15),
        (date(2026, 11, 1), "a", "chart_data", "refused", 1, 0, 0),
        (date(2026, 11, 2), "_platform", "dashboard_view", "ok", 1, 0, 0),
        (date(2026, 11, 2), "a", "login", "ok", 1, 0, 0),
    ]
    # refused requests do not make a user active
    assert tables["users_daily"] == [
        (date(2026, 11, 1), "a", 2),
        (date(2026, 11, 2), "_platform", 1),
        (date(2026, 11, 2), "a", 1),
    ]
    assert tables["cost_daily"] == [(date(2026, 11, 1), "a", "bigquery", 3, 2 * TIB, 12.5)]


def test_every_chart_reads_a_known_table_and_rows_fit_the_grid() -> None:
    specs = chart_specs()
    assert {dataset for _, _, dataset, _, _ in specs} <= set(SCHEMAS)
    assert len({key for key, *_ in specs}) == len(specs)
    assert sum(width for *_, width in specs) == 36  # three full rows of 12 columns
