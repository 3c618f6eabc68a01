"""The usage store's Postgres path (one JSON-parameter insert) on the machine's real Postgres."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg2
import pytest
import sqlalchemy as sa

from supertenant.metering import store
from supertenant.metering.events import UsageEvent
from supertenant.registry.tables import metadata, usage_events
from tests.integration.conftest import PG_DSN


@pytest.fixture
def engine() -> Iterator[sa.engine.Engine]:
    name = f"supertenant_store_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(f"{PG_DSN}/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(f"{PG_DSN.replace('postgresql://', 'postgresql+psycopg2://')}/{name}")
    metadata.create_all(engine, tables=[usage_events])
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def test_events_are_stored_field_for_field_and_replays_insert_nothing(engine: sa.engine.Engine) -> None:
    at = datetime(2026, 11, 28, 23, 59, 59, 123456, tzinfo=UTC)
    full = UsageEvent(
        kind="chart_data",
        tenant="sakura-shoes",
        user_id=7,
        username="ユーザー@example.jp" + "x" * 300,  # stored cut to the column's 256
        object_type="chart",
        object_id="42",
        status="refused",
        duration_ms=38,
        warehouse_queries=2,
        bytes_scanned=10 * 2**40,  # past 32 bits
        bytes_returned=1234,
        source="chat",
        request_id="r-1",
        occurred_at=at,
    )
    bare = UsageEvent(kind="login", tenant=None)
    with engine.begin() as connection:
        assert store.insert_events(connection, [full, bare, full]) == 2
    with engine.begin() as connection:
        assert store.insert_events(connection, [bare, full]) == 0  # a replayed batch
        third = UsageEvent(kind="csv_export", tenant="sakura-shoes")
        assert store.insert_events(connection, [full, third]) == 1
    with engine.connect() as connection:
        rows = {r.event_key: r._mapping for r in connection.execute(sa.select(usage_events))}
    assert len(rows) == 3
    stored = dict(rows[full.event_key])
    stored.pop("id")
    assert stored == full.row()
    assert stored["occurred_at"] == at
    assert len(stored["username"]) == 256
    assert rows[bare.event_key]["tenant"] is None
    assert rows[bare.event_key]["status"] == "ok"
