"""`supertenant usage collect duckdb`, `usage summary` and `billing invoice` on a SQLite registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog
from typer.testing import CliRunner

from supertenant.cli.app import app
from supertenant.metering.events import UsageEvent
from supertenant.metering.store import insert_events
from supertenant.registry.tables import metadata, tenants
from supertenant.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure structlog onto CliRunner's stream, closed by now: log to today's stderr."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


runner = CliRunner()
MIB = 2**20


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.engine.Engine]:
    url = f"sqlite:///{tmp_path / 'meta.db'}"
    monkeypatch.setenv("SUPERTENANT_METADATA_DB_URL", url)
    get_settings.cache_clear()
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    empty = {"warehouse": {}, "role_ids": {}, "dashboard_ids": {}, "branding": {}, "features": {}}
    at = datetime(2026, 10, 5, 12, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(sa.insert(tenants).values(slug="acme", name="Acme", plan="standard", **empty))
        connection.execute(sa.insert(tenants).values(slug="beta", name="Beta", plan="growth", **empty))
        insert_events(
            connection,
            [
                UsageEvent(kind="login", tenant="acme", user_id=1, username="a@acme", occurred_at=at),
                UsageEvent(
                    kind="chart_data",
                    tenant="acme",
                    user_id=1,
                    username="a@acme",
                    occurred_at=at,
                    warehouse_queries=1,
                    bytes_scanned=300 * MIB,
                ),
                UsageEvent(
                    kind="chart_data",
                    tenant="acme",
                    user_id=1,
                    username="a@acme",
                    occurred_at=at.replace(day=6),
                    warehouse_queries=1,
                    bytes_scanned=100 * MIB,
                ),
                UsageEvent(
                    kind="dashboard_view", tenant="beta", user_id=2, username="b@beta", occurred_at=at
                ),
                UsageEvent(kind="login", tenant="beta", user_id=3, username="c@beta", occurred_at=at),
                UsageEvent(
                    kind="login",
                    tenant="beta",
                    user_id=4,
                    username="d@beta",
                    occurred_at=at.replace(month=11),
                ),
            ],
        )
    yield engine
    engine.dispose()
    get_settings.cache_clear()


def test_collect_then_invoice(registry: sa.engine.Engine) -> None:
    collected = runner.invoke(app, ["usage", "collect", "duckdb", "--month", "2026-10"])
    assert collected.exit_code == 0, collected.output
    assert "2 cost row(s)" in collected.output
    again = runner.invoke(app, ["usage", "collect", "duckdb", "--month", "2026-10"])  # replaces, not adds
    assert again.exit_code == 0

    result = runner.invoke(app, ["billing", "invoice", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    acme, beta = json.loads(result.output)
    # 400 MiB at 6.25/TiB = 0.0023…: rounds to 0.00; base fee 200.00
    assert acme["total"] == "200.00"
    assert [line["code"] for line in acme["lines"]] == ["base_fee", "warehouse_duckdb", "warehouse_margin"]
    assert acme["lines"][1]["description"].startswith(f"Warehouse (duckdb): {400 * MIB} bytes, 2 queries")
    assert len(acme["lines"][1]["trace"][0]["ids"]) == 2  # one cost row per day
    assert beta["lines"][0]["quantity"] == "2"  # b and c were active in October; d only in November
    assert beta["total"] == "30.00"

    csv = runner.invoke(
        app, ["billing", "invoice", "--month", "2026-10", "--tenant", "beta", "--format", "csv"]
    )
    assert csv.exit_code == 0
    assert csv.output.splitlines()[-1] == "beta,2026-10,growth,USD,total,,,,,30.00,"


def test_summary_and_bad_input(registry: sa.engine.Engine) -> None:
    summary = runner.invoke(app, ["usage", "summary", "--month", "2026-10", "--json"])
    assert summary.exit_code == 0, summary.output
    assert {"tenant": "acme", "kind": "chart_data", "status": "ok", "events": 2} in json.loads(summary.output)
    bad = runner.invoke(app, ["billing", "invoice", "--month", "2026-13"])
    assert bad.exit_code == 2
    assert "expected YYYY-MM" in bad.output
    missing = runner.invoke(app, ["billing", "invoice", "--month", "2026-10", "--tenant", "nobody"])
    assert missing.exit_code == 1
    assert "'nobody' is not registered" in missing.output
