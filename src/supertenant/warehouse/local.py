"""The local warehouse in a DuckDB file: write sample data, observe and check the dataset contract.

Writes use the shared-project layout from the contract: every tenant's rows live in one table per
contract view in schema `ads_raw`, keyed by `account_id`, and each tenant reads through views in its
own schema that filter to its accounts. Superset's RLS rule is the second, independent layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

import duckdb
import pyarrow as pa

from supertenant.errors import ConfigError, ContractError, NotFoundError, TemporaryError
from supertenant.warehouse.contract import CONTRACT_VIEWS, ViewContract, check_columns
from supertenant.warehouse.sample import DEFAULT_DAYS, SampleData, generate

RAW_SCHEMA = "ads_raw"
_SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_RESERVED_SCHEMAS = frozenset({RAW_SCHEMA, "main", "information_schema", "pg_catalog", "temp", "system"})
_ARROW_TYPES = {
    "DATE": pa.date32(),
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DECIMAL(18,2)": pa.decimal128(18, 2),
    "DOUBLE": pa.float64(),
}
_STAGING = "_supertenant_sample_rows"

# SQL is assembled only from identifiers quoted by `_ident` and account ids that passed
# `validate_accounts` and are quoted by `_literal`; values that can be bound are bound. Hence the
# `noqa: S608` below.


@dataclass(frozen=True, slots=True)
class SampleSummary:
    """What `write_sample` wrote: rows per view for these accounts, visible through `schema`."""

    path: Path
    schema: str
    accounts: tuple[str, ...]
    start_date: date
    end_date: date
    rows: Mapping[str, int]


def validate_schema(schema: str) -> str:
    """`schema` if it is safe to splice into SQL and not one we or DuckDB reserve; ConfigError otherwise."""
    if not isinstance(schema, str) or not _SCHEMA_RE.fullmatch(schema):
        raise ConfigError(
            f"schema {schema!r} is not a safe identifier: "
            "use 1-63 characters from a-z, 0-9 and _, not starting with a digit"
        )
    if schema in _RESERVED_SCHEMAS:
        raise ConfigError(f"schema {schema!r} is reserved; reserved: {', '.join(sorted(_RESERVED_SCHEMAS))}")
    return schema


def write_sample(
    path: Path,
    *,
    schema: str,
    accounts: Sequence[str],
    seed: int = 42,
    flavour: str = "en",
    end_date: date | None = None,
    days: int = DEFAULT_DAYS,
) -> SampleSummary:
    """Replace `accounts`' rows in `ads_raw` with fresh sample data and point `schema`'s views at them.

    Idempotent: re-running replaces these accounts' rows and leaves every other account's rows alone.
    All of it happens in one transaction, so a failure leaves the file as it was. `end_date` defaults
    to today; `days` (13 months by default) is there for faster tests.
    """
    validate_schema(schema)
    _refuse_catalog_clash(schema, path)
    data = generate(accounts, seed=seed, end_date=end_date or date.today(), flavour=flavour, days=days)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _connect(path, read_only=False) as con:
        con.begin()
        try:
            _write(con, schema, data)
        except BaseException:
            con.rollback()
            raise
        con.commit()
    rows = MappingProxyType({name: len(view_rows) for name, view_rows in data.rows.items()})
    return SampleSummary(path, schema, data.accounts, data.start_date, data.end_date, rows)


def observe_contract(path: Path, schema: str) -> dict[str, dict[str, str]]:
    """{relation: {column: DuckDB type}} for every table and view in `schema`, as `check_columns` wants."""
    with _connect(path, read_only=True) as con:
        return _observe(con, schema)


def check_contract(path: Path, schema: str) -> None:
    """Raise ContractError naming every missing view, missing column, wrong type and unreadable view."""
    with _connect(path, read_only=True) as con:
        observed = _observe(con, schema)
        reasons = check_columns(observed, "duckdb")
        reasons.extend(_unreadable_views(con, schema, [c for c in CONTRACT_VIEWS if c.name in observed]))
    if reasons:
        raise ContractError(reasons, source=f"{path}:{schema}")


# ---------------------------------------------------------------------------------------------------


@contextmanager
def _connect(path: Path, *, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is always closed; a missing file or a held lock become our errors."""
    if read_only and not path.is_file():
        raise NotFoundError(f"DuckDB file {path} does not exist")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise TemporaryError(f"DuckDB file {path} is locked by another process: {error}") from error
        raise
    try:
        yield con
    finally:
        con.close()


def _refuse_catalog_clash(schema: str, path: Path) -> None:
    """DuckDB cannot tell schema `x` from database `x` (file x.duckdb): `x.view` becomes ambiguous.

    DuckDB names a file's database after the file name up to its first dot.
    """
    if path.name.split(".", 1)[0].lower() == schema:
        raise ConfigError(
            f"schema {schema!r} has the same name as the database of {path}; pick another schema"
        )


def _write(con: duckdb.DuckDBPyConnection, schema: str, data: SampleData) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(RAW_SCHEMA)}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(schema)}")
    for contract in CONTRACT_VIEWS:
        _replace_rows(con, contract, data.accounts, data.rows[contract.name])
        _create_view(con, schema, contract, data.accounts)


def _replace_rows(
    con: duckdb.DuckDBPyConnection,
    contract: ViewContract,
    accounts: Sequence[str],
    rows: Sequence[tuple[object, ...]],
) -> None:
    """Create the raw table if needed, then swap these accounts' rows for `rows` in one bulk insert."""
    table = f"{_ident(RAW_SCHEMA)}.{_ident(contract.name)}"
    columns = ", ".join(f"{_ident(column.name)} {column.duckdb_type}" for column in contract.columns)
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({columns})")
    placeholders = ", ".join("?" for _ in accounts)
    con.execute(f"DELETE FROM {table} WHERE account_id IN ({placeholders})", list(accounts))  # noqa: S608
    if not rows:
        return
    names = ", ".join(_ident(name) for name in contract.column_names)
    con.register(_STAGING, _arrow_table(contract, rows))
    try:
        con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {_STAGING}")  # noqa: S608
    finally:
        con.unregister(_STAGING)


def _arrow_table(contract: ViewContract, rows: Sequence[tuple[object, ...]]) -> pa.Table:
    """Rows as a typed Arrow table: DuckDB inserts it in bulk, far faster than executemany."""
    columns = list(zip(*rows, strict=True))
    arrays = [
        pa.array(values, type=_ARROW_TYPES[column.duckdb_type])
        for column, values in zip(contract.columns, columns, strict=True)
    ]
    return pa.Table.from_arrays(arrays, names=list(contract.column_names))


def _create_view(
    con: duckdb.DuckDBPyConnection, schema: str, contract: ViewContract, accounts: Sequence[str]
) -> None:
    """The tenant's view: contract columns only, filtered to its accounts.

    Views take no bound parameters, so the (validated) account ids are quoted literals.
    """
    names = ", ".join(_ident(name) for name in contract.column_names)
    source = f"{_ident(RAW_SCHEMA)}.{_ident(contract.name)}"
    literals = ", ".join(_literal(account) for account in accounts)
    select = f"SELECT {names} FROM {source} WHERE account_id IN ({literals})"  # noqa: S608
    con.execute(f"CREATE OR REPLACE VIEW {_ident(schema)}.{_ident(contract.name)} AS {select}")


def _observe(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, dict[str, str]]:
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = ? "
        "ORDER BY table_name, ordinal_position",
        [schema],
    ).fetchall()
    observed: dict[str, dict[str, str]] = {}
    for table_name, column_name, data_type in rows:
        observed.setdefault(str(table_name), {})[str(column_name)] = str(data_type)
    return observed


def _unreadable_views(
    con: duckdb.DuckDBPyConnection, schema: str, contracts: Sequence[ViewContract]
) -> list[str]:
    """Views whose definition no longer binds (e.g. a base column was dropped).

    information_schema still lists such a view with its old columns, so only a query tells.
    """
    reasons: list[str] = []
    for contract in contracts:
        try:
            con.execute(f"SELECT * FROM {_ident(schema)}.{_ident(contract.name)} LIMIT 0").fetchall()  # noqa: S608
        except duckdb.Error as error:
            first_line = str(error).splitlines()[0]
            reasons.append(f"view {contract.name}: cannot be queried: {first_line}")
    return reasons


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
