"""A bytes-scanned estimate for DuckDB queries, priced like BigQuery on-demand.

DuckDB reports no bytes billed, so the demo estimates what BigQuery would bill
for the same query over the same rows: for every table or view the statement
reads, rows × the width of the columns it names (all columns for ``*``), with
BigQuery's 10 MiB minimum per table read. `estimate_bytes` is pure; `load_stats`
reads row counts and column widths once per warehouse file (read-only).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlglot
import structlog
from sqlglot import exp

log = structlog.get_logger(__name__)

MIN_BYTES_PER_TABLE = 10 * 2**20
_FIXED_WIDTH = {
    "BOOLEAN": 1,
    "TINYINT": 8,
    "SMALLINT": 8,
    "INTEGER": 8,
    "BIGINT": 8,
    "HUGEINT": 16,
    "FLOAT": 8,
    "DOUBLE": 8,
    "DATE": 8,
    "TIMESTAMP": 8,
    "TIMESTAMP WITH TIME ZONE": 8,
    "TIME": 8,
}


@dataclass(frozen=True, slots=True)
class TableStats:
    rows: int
    column_widths: Mapping[str, float]  # lower-case column name → average bytes per value


def type_width(type_name: str, avg_text_bytes: float | None = None) -> float:
    """BigQuery's logical sizes: 8 bytes for numbers and dates, 16 for NUMERIC, 2 + UTF-8 for text."""
    upper = type_name.upper()
    if upper in _FIXED_WIDTH:
        return float(_FIXED_WIDTH[upper])
    if upper.startswith("DECIMAL"):
        return 16.0
    return 2.0 + (avg_text_bytes or 0.0)


def estimate_bytes(sql: str, stats: Mapping[str, TableStats], default_schema: str | None = None) -> int:
    """Estimated bytes scanned by ``sql``; tables without stats count the 10 MiB minimum.

    ``stats`` is keyed by ``schema.table`` in lower case. A column name found in several tables
    of the statement counts in each (the estimate errs high, never low).
    """
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return 0
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    tables = set()
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if not name or name in ctes:
            continue
        schema = (table.db or default_schema or "main").lower()
        tables.add(f"{schema}.{name}")
    columns = {c.name.lower() for c in tree.find_all(exp.Column) if c.name}
    # SELECT * and t.* read every column; COUNT(*) reads none
    star = any(isinstance(s.parent, (exp.Select, exp.Column)) for s in tree.find_all(exp.Star))
    total = 0
    for key in sorted(tables):
        found = stats.get(key)
        if found is None:
            total += MIN_BYTES_PER_TABLE
            continue
        widths = [w for c, w in found.column_widths.items() if star or c in columns]
        total += max(MIN_BYTES_PER_TABLE, round(found.rows * sum(widths)))
    return total


def duckdb_path(url: str) -> Path | None:
    """``duckdb:////abs/file.duckdb?x=y`` → the file; None for anything else."""
    if not url.startswith("duckdb:///"):
        return None
    rest = url[len("duckdb:///") :].split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def referenced_schemas(sql: str, default_schema: str | None = None) -> frozenset[str]:
    """The lower-case schemas whose tables ``sql`` reads (what `estimate_bytes` needs stats of)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError:
        return frozenset()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    return frozenset(
        (table.db or default_schema or "main").lower()
        for table in tree.find_all(exp.Table)
        if table.name and table.name.lower() not in ctes
    )


class StatsCache:
    """Row counts and column widths per DuckDB file and schema, read when first needed.

    Only the schemas a statement reads are loaded: a demo or benchmark file holds one schema per
    tenant, and reading every view of 200 schemas took each web worker minutes of CPU. A changed
    file (new modification time) drops what was read of it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # path → (mtime, stats by "schema.table", schemas loaded)
        self._cache: dict[Path, tuple[float, dict[str, TableStats], frozenset[str]]] = {}

    def get(self, path: Path, schemas: frozenset[str]) -> dict[str, TableStats]:
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return {}
        with self._lock:
            cached = self._cache.get(path)
        fresh = cached is not None and cached[0] == mtime
        if cached is not None and fresh and schemas <= cached[2]:
            return cached[1]
        missing = schemas - cached[2] if cached is not None and fresh else schemas
        if not missing:  # a statement that reads no table
            return cached[1] if cached is not None and fresh else {}
        for attempt in range(3):
            try:
                loaded = load_stats_isolated(path, sorted(missing))
                break
            except Exception as exc:  # e.g. the file is being rewritten, or DuckDB refuses a 2nd config
                log.warning(
                    "duckdb_stats_unavailable", file=path.name, attempt=attempt + 1, error=str(exc)[:200]
                )
                time.sleep(0.2 * (attempt + 1))
        else:
            # stale stats are better than none; with none, each table counts its 10 MiB minimum
            return cached[1] if cached else {}
        with self._lock:
            current = self._cache.get(path)
            if current is not None and current[0] == mtime:
                merged = current[1] | loaded
                self._cache[path] = (mtime, merged, current[2] | missing)
            else:
                merged = loaded
                self._cache[path] = (mtime, merged, missing)
        return merged


def load_stats_isolated(path: Path, schemas: list[str], timeout: float = 120.0) -> dict[str, TableStats]:
    """`load_stats` in a child process.

    Inside Superset the warehouse file is open through duckdb_engine, and DuckDB refuses a second
    connection to the same file in one process with a different configuration ("Can't open a
    connection to same database file with a different configuration"): a chart query racing the
    estimate would fail. A child process has its own DuckDB instance; read-only opens from several
    processes are allowed. This runs once per file, schema and process, and again only when the
    file changes.
    """
    if not schemas:
        return {}
    result = subprocess.run(
        [sys.executable, "-m", "supertenant.metering.duckdb_estimate", str(path), *schemas],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"stats of {path.name}: {result.stderr.strip()[-300:]}")
    raw = json.loads(result.stdout)
    return {key: TableStats(rows=int(v["rows"]), column_widths=v["column_widths"]) for key, v in raw.items()}


def load_stats(path: Path, schemas: Collection[str] | None = None) -> dict[str, TableStats]:
    """Row count and average column width of every table and view of a DuckDB file, or of the
    given (lower-case) schemas only; read-only."""
    import duckdb

    stats: dict[str, TableStats] = {}
    # The same configuration as Superset's connection (provision.desired), so that DuckDB lets both
    # open the file in one process at the same time.
    con = duckdb.connect(str(path), read_only=True, config={"enable_external_access": False})
    try:
        relations = [
            (schema, table)
            for schema, table in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
                " WHERE table_schema NOT IN ('information_schema', 'pg_catalog')"
            ).fetchall()
            if schemas is None or schema.lower() in schemas
        ]
        for schema, table in relations:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns"
                " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [schema, table],
            ).fetchall()
            ident = f'"{schema.replace(chr(34), chr(34) * 2)}"."{table.replace(chr(34), chr(34) * 2)}"'
            text_cols = [c for c, t in cols if type_width(t) == 2.0]
            select = ["count(*)"] + [
                f'avg(strlen(CAST("{c.replace(chr(34), chr(34) * 2)}" AS VARCHAR)))' for c in text_cols
            ]
            try:
                row = con.execute(f"SELECT {', '.join(select)} FROM {ident}").fetchone()  # noqa: S608
            except duckdb.Error:
                continue  # a view that no longer binds bills nothing
            assert row is not None
            averages = dict(zip(text_cols, row[1:], strict=True))
            widths = {c.lower(): type_width(t, averages.get(c)) for c, t in cols}
            stats[f"{schema.lower()}.{table.lower()}"] = TableStats(rows=int(row[0]), column_widths=widths)
    finally:
        con.close()
    return stats


if __name__ == "__main__":  # the child process of `load_stats_isolated`
    found = load_stats(Path(sys.argv[1]), set(sys.argv[2:]) if len(sys.argv) > 2 else None)
    print(json.dumps({k: {"rows": v.rows, "column_widths": dict(v.column_widths)} for k, v in found.items()}))
