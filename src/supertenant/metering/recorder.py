"""Recording usage events without slowing requests, losing them, or counting them twice.

Each process appends events as JSON lines to its own spool file (``<pid>.jsonl``; one
``write`` per event, no database round trip on the request path). A background thread
moves the spool into ``usage_events`` every ``usage_flush_seconds``:

1. the process's own spool file is renamed to a batch, so new events go to a fresh file;
2. spool files of processes that died (crash, SIGKILL, OOM) are taken over the same way;
3. each batch is claimed by renaming it (atomic, so exactly one process inserts it), the
   DuckDB bytes estimate is computed off the request path, the rows are inserted skipping
   event keys already stored, and the batch is deleted only after the commit.

A crash between commit and delete replays the batch; the event keys make that a no-op. A
database outage keeps the batches on disk until the next successful flush.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import structlog

from supertenant.metering import store
from supertenant.metering.duckdb_estimate import StatsCache, duckdb_path, estimate_bytes, referenced_schemas
from supertenant.metering.events import UsageEvent

log = structlog.get_logger(__name__)
ESTIMATE_CACHE_SIZE = 4096


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Recorder:
    """A per-process usage spool plus its flusher thread (started on first use, after any fork)."""

    def __init__(
        self,
        spool_dir: Path,
        engine_factory: Callable[[], sa.engine.Engine],
        flush_seconds: float = 2.0,
    ) -> None:
        self.spool_dir = spool_dir
        self._engine_factory = engine_factory
        self._engine: sa.engine.Engine | None = None
        self._flush_seconds = flush_seconds
        self._listeners: list[Callable[[list[UsageEvent]], None]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._file: Any = None
        self._pid: int | None = None
        self._stats = StatsCache()
        self._estimates: dict[tuple[str, float | None, str, str | None], int] = {}
        self._stop = threading.Event()

    # --- request path -----------------------------------------------------------------------------

    def record(self, event: UsageEvent) -> None:
        """Append one event to this process's spool; never raises into the caller's request."""
        line = (json.dumps(event.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        try:
            with self._lock:
                self._ensure_started()
                self._file.write(line)  # unbuffered: one write(2) per event, nothing held in memory
        except OSError as exc:
            log.error("usage_spool_write_failed", error=str(exc), kind=event.kind, tenant=event.tenant)

    def _ensure_started(self) -> None:
        pid = os.getpid()
        if self._pid == pid and self._file is not None:
            return
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self._file = (self.spool_dir / f"{pid}.jsonl").open("ab", buffering=0)
        if self._pid != pid:  # first use in this process (or after a fork): start the flusher here
            self._pid = pid
            self._stop.clear()
            threading.Thread(target=self._loop, name="supertenant-usage-flush", daemon=True).start()
            atexit.register(self._flush_at_exit)

    def add_flush_listener(self, listener: Callable[[list[UsageEvent]], None]) -> None:
        """Called with every batch after it is committed (metrics count flushed events)."""
        self._listeners.append(listener)

    # --- flusher ----------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.wait(self._flush_seconds):
            try:
                self.flush()
            except Exception as exc:  # keep the batches; retry at the next tick
                log.warning("usage_flush_failed", error=str(exc)[:300])

    def _flush_at_exit(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # the spool stays on disk; the next process adopts it
            log.warning("usage_flush_at_exit_failed", error=str(exc)[:300])

    def stop(self) -> None:
        self._stop.set()
        self.flush()

    def flush(self) -> int:
        """Move every finished spool into the registry; returns the number of new rows."""
        with self._flush_lock:
            self._rotate_own()
            self._adopt_orphans()
            inserted = 0
            for batch in sorted(self.spool_dir.glob("batch-*.jsonl")) if self.spool_dir.exists() else []:
                claimed = batch.with_name(f"claimed-{os.getpid()}-{batch.name}")
                try:
                    batch.rename(claimed)
                except OSError:
                    continue  # another process claimed it
                inserted += self._insert_file(claimed)
            for claimed in self._dead_claims():
                inserted += self._insert_file(claimed)
            return inserted

    def _rotate_own(self) -> None:
        with self._lock:
            if self._file is None or self._pid != os.getpid() or self._file.tell() == 0:
                return
            self._file.close()
            own = self.spool_dir / f"{self._pid}.jsonl"
            own.rename(self.spool_dir / f"batch-{self._pid}-{time.time_ns()}.jsonl")
            self._file = own.open("ab", buffering=0)

    def _adopt_orphans(self) -> None:
        if not self.spool_dir.exists():
            return
        for path in self.spool_dir.glob("[0-9]*.jsonl"):
            pid = int(path.stem) if path.stem.isdigit() else None
            if pid is None or pid == os.getpid() or _alive(pid):
                continue
            try:
                path.rename(self.spool_dir / f"batch-{pid}-{time.time_ns()}.jsonl")
            except OSError:
                continue

    def _dead_claims(self) -> list[Path]:
        """Batches claimed by a process that died mid-insert (and our own leftovers)."""
        found = []
        for path in sorted(self.spool_dir.glob("claimed-*.jsonl")) if self.spool_dir.exists() else []:
            owner = path.name.split("-", 2)[1]
            if owner.isdigit() and (int(owner) == os.getpid() or not _alive(int(owner))):
                found.append(path)
        return found

    def _insert_file(self, path: Path) -> int:
        events: list[UsageEvent] = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                events.append(UsageEvent.from_json(json.loads(line)))
            except (ValueError, TypeError, KeyError) as exc:  # a line cut short by a crash
                log.warning("usage_spool_bad_line", file=path.name, line=number, error=str(exc)[:200])
        events = [self._with_estimate(e) for e in events]
        if self._engine is None:
            self._engine = self._engine_factory()
        with self._engine.begin() as connection:
            inserted = store.insert_events(connection, events)
        path.unlink()
        for listener in self._listeners:
            listener(events)
        return inserted

    def _with_estimate(self, event: UsageEvent) -> UsageEvent:
        """Fill ``bytes_scanned`` for DuckDB statements (off the request path), then drop the SQL."""
        if not event.queries:
            return event
        total, known = 0, False
        for query in event.queries:
            path = duckdb_path(query.url)
            if path is None:
                continue
            known = True
            try:
                total += self._estimate(path, query.sql, query.schema)
            except Exception as exc:  # an estimate never blocks recording the event
                log.warning("usage_estimate_failed", error=str(exc)[:200])
        scanned = event.bytes_scanned if not known else (event.bytes_scanned or 0) + total
        return replace(event, bytes_scanned=scanned, queries=())

    def _estimate(self, path: Path, sql: str, schema: str | None) -> int:
        """Parsing SQL is the flusher's main cost; dashboards send the same statements again and again."""
        try:
            version: float | None = path.stat().st_mtime
        except OSError:
            version = None
        key = (str(path), version, sql, schema)  # a changed file: new keys
        found = self._estimates.get(key)
        if found is None:
            stats = self._stats.get(path, referenced_schemas(sql, schema))
            if len(self._estimates) >= ESTIMATE_CACHE_SIZE:
                self._estimates.clear()
            found = self._estimates[key] = estimate_bytes(sql, stats, schema)
        return found


_default: Recorder | None = None
_default_lock = threading.Lock()


def default_recorder() -> Recorder:
    """The process's recorder, built from settings (spool under ``DATA_DIR/usage-spool``)."""
    global _default
    with _default_lock:
        if _default is None:
            from supertenant.settings import get_settings

            settings = get_settings()
            url = settings.resolved_metadata_db_url
            _default = Recorder(
                spool_dir=Path(settings.data_dir) / "usage-spool",
                engine_factory=lambda: (
                    sa.create_engine(url, pool_size=1, max_overflow=1, pool_pre_ping=True)
                    if not url.startswith("sqlite")
                    else sa.create_engine(url)
                ),
                flush_seconds=settings.usage_flush_seconds,
            )
        return _default


def set_default_recorder(recorder: Recorder | None) -> None:
    """Install the process's recorder (Superset's extension does, so metrics see every flush)."""
    global _default
    with _default_lock:
        _default = recorder
