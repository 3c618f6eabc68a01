"""The usage spool: events reach usage_events exactly once, across flushes, crashes and replays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import structlog

from supertenant.metering.events import UsageEvent, UsageEventError, WarehouseQuery
from supertenant.metering.recorder import Recorder
from supertenant.registry.tables import metadata, usage_events


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure structlog onto CliRunner's stream, closed by now: log to today's stderr."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    metadata.create_all(engine, tables=[usage_events])
    return engine


def stored(engine: sa.engine.Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [
            dict(r._mapping) for r in connection.execute(sa.select(usage_events).order_by(usage_events.c.id))
        ]


def recorder(tmp_path: Path, engine: sa.engine.Engine) -> Recorder:
    return Recorder(tmp_path / "spool", lambda: engine, flush_seconds=3600)


def test_unknown_kind_or_status_is_refused() -> None:
    with pytest.raises(UsageEventError, match="kind 'chart'"):
        UsageEvent(kind="chart", tenant="t")
    with pytest.raises(UsageEventError, match="status"):
        UsageEvent(kind="login", tenant="t", status="maybe")


def test_event_json_round_trip_keeps_key_and_time() -> None:
    event = UsageEvent(kind="sql_lab", tenant="t", queries=(WarehouseQuery("duckdb:///x", "SELECT 1", "s"),))
    assert UsageEvent.from_json(json.loads(json.dumps(event.to_json()))) == event


def test_flush_inserts_each_event_once(tmp_path: Path, engine: sa.engine.Engine) -> None:
    rec = recorder(tmp_path, engine)
    events = [UsageEvent(kind="login", tenant="a", user_id=i, username=f"u{i}") for i in range(3)]
    for event in events:
        rec.record(event)
    assert rec.flush() == 3
    assert rec.flush() == 0
    rec.record(events[0])  # the same event again (e.g. a retried call) is the same row
    assert rec.flush() == 0
    assert [r["event_key"] for r in stored(engine)] == [e.event_key for e in events]
    assert not list((tmp_path / "spool").glob("batch-*"))


def test_a_crash_after_commit_replays_without_double_counting(
    tmp_path: Path, engine: sa.engine.Engine
) -> None:
    rec = recorder(tmp_path, engine)
    event = UsageEvent(kind="chart_data", tenant="a")
    rec.record(event)
    rec.flush()
    # the batch file survived (crash between commit and unlink): a later flush replays it
    spool = tmp_path / "spool"
    (spool / "batch-999999-1.jsonl").write_text(json.dumps(event.to_json()) + "\n")
    assert rec.flush() == 0
    assert len(stored(engine)) == 1


def test_spool_of_a_killed_process_is_adopted(tmp_path: Path, engine: sa.engine.Engine) -> None:
    spool = tmp_path / "spool"
    script = (
        "import sys; from pathlib import Path; from supertenant.metering.recorder import Recorder;"
        "from supertenant.metering.events import UsageEvent;"
        "r = Recorder(Path(sys.argv[1]), lambda: None, flush_seconds=3600);"
        "[r.record(UsageEvent(kind='dashboard_view', tenant='b', object_id=str(i))) for i in range(4)];"
        "import os; os._exit(9)"  # no atexit flush: like SIGKILL
    )
    subprocess.run([sys.executable, "-c", script, str(spool)], check=False)
    orphans = list(spool.glob("[0-9]*.jsonl"))
    assert len(orphans) == 1
    assert orphans[0].stem != str(os.getpid())
    rec = recorder(tmp_path, engine)
    assert rec.flush() == 4
    assert sorted(str(r["object_id"]) for r in stored(engine)) == ["0", "1", "2", "3"]


def test_a_torn_last_line_is_skipped_not_fatal(tmp_path: Path, engine: sa.engine.Engine) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    good = UsageEvent(kind="login", tenant="a")
    (spool / "batch-1-1.jsonl").write_text(json.dumps(good.to_json()) + '\n{"kind": "log')
    assert recorder(tmp_path, engine).flush() == 1


def test_database_outage_keeps_the_batch_for_later(tmp_path: Path, engine: sa.engine.Engine) -> None:
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    rec = Recorder(tmp_path / "spool", lambda: broken, flush_seconds=3600)
    rec.record(UsageEvent(kind="login", tenant="a"))
    with pytest.raises(sa.exc.OperationalError):
        rec.flush()
    assert list((tmp_path / "spool").glob("claimed-*"))
    assert recorder(tmp_path, engine).flush() == 1  # the same process's claim is retried


def test_duckdb_statements_get_an_estimate_at_flush(tmp_path: Path, engine: sa.engine.Engine) -> None:
    import duckdb

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA s; CREATE TABLE s.t AS SELECT range AS id, 'abcd' AS name FROM range(2000000)")
    con.close()
    rec = recorder(tmp_path, engine)
    rec.record(
        UsageEvent(
            kind="chart_data",
            tenant="a",
            warehouse_queries=1,
            queries=(WarehouseQuery(f"duckdb:///{path}?access_mode=read_only", "SELECT id FROM t", "s"),),
        )
    )
    rec.record(UsageEvent(kind="chart_data", tenant="a"))  # a cache hit: nothing scanned
    rec.flush()
    first, second = stored(engine)
    assert first["bytes_scanned"] == 2_000_000 * 8
    assert second["bytes_scanned"] is None


def test_repeated_statements_are_parsed_once(
    tmp_path: Path, engine: sa.engine.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from supertenant.metering import recorder as recorder_module

    calls: list[str] = []

    def counting(sql: str, stats: object, schema: str | None) -> int:
        calls.append(sql)
        return 7

    monkeypatch.setattr(recorder_module, "estimate_bytes", counting)
    rec = recorder(tmp_path, engine)
    query = WarehouseQuery(f"duckdb:///{tmp_path / 'none.duckdb'}", "SELECT 1", "s")
    for _ in range(3):
        rec.record(UsageEvent(kind="chart_data", tenant="a", warehouse_queries=1, queries=(query,)))
    rec.flush()
    assert calls == ["SELECT 1"]
    assert [r["bytes_scanned"] for r in stored(engine)] == [7, 7, 7]
