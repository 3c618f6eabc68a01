"""What one tenant may chart: its datasets, their columns and metrics, and the values it has.

`TenantVocabulary` is the planner's only view of a tenant, and the allow-list `validate` enforces:
a plan may name only these datasets, metrics and columns, and filter only on these values. It is
built from the tenant's warehouse (`from_duckdb`, read-only, the only I/O in this module) or from
the dataset contract alone (`contract_vocabulary`, for tests and tenants not yet loaded).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from supertenant.errors import ConfigError
from supertenant.templates.vocabulary import Locale
from supertenant.warehouse.contract import (
    ACCOUNT_ID_RE,
    CAMPAIGN_TYPES,
    CONTRACT_VIEWS,
    DEVICES,
    MATCH_TYPES,
    SAVED_METRICS,
    STATUSES,
    VIEW_NAMES,
    view,
)

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,38}[a-z0-9]")
_SUM_COLUMN = re.compile(r"SUM\((\w+)\)")

# STRING columns whose values the planner may turn into filters, in lookup priority order.
VALUE_COLUMNS: tuple[str, ...] = (
    "campaign_name",
    "campaign_type",
    "campaign_status",
    "device",
    "ad_group_name",
    "ad_group_status",
    "keyword_text",
    "match_type",
    "region",
    "country_code",
    "currency",
)
MAX_VALUES_PER_COLUMN = 2000

CONTRACT_VALUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "campaign_type": CAMPAIGN_TYPES,
        "campaign_status": STATUSES,
        "ad_group_status": STATUSES,
        "device": DEVICES,
        "match_type": MATCH_TYPES,
    }
)


@dataclass(frozen=True, slots=True)
class DatasetVocabulary:
    """One of the tenant's contract datasets: the columns it has and the saved metrics defined on it."""

    name: str
    columns: frozenset[str]
    metrics: frozenset[str]


@dataclass(frozen=True)
class TenantVocabulary:
    """Everything the planner may use for one tenant; everything else is refused."""

    slug: str
    locale: Locale = "en"
    name: str = ""
    account_ids: tuple[str, ...] = ()
    datasets: tuple[DatasetVocabulary, ...] = ()
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Other tenants' slugs and names (from the registry): naming one is refused, not ignored.
    foreign_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _SLUG.fullmatch(self.slug):
            raise ConfigError(f"tenant slug {self.slug!r} is not a valid slug")
        for account in self.account_ids:
            if not ACCOUNT_ID_RE.fullmatch(account):
                raise ConfigError(f"account id {account!r} is not like 123-456-7890")

    @cached_property
    def fingerprint(self) -> str:
        """A stable digest of the contents: the planner caches its compiled lexicon under it."""
        payload = {
            "slug": self.slug,
            "accounts": self.account_ids,
            "datasets": [(d.name, sorted(d.columns), sorted(d.metrics)) for d in self.datasets],
            "values": {column: list(values) for column, values in sorted(self.values.items())},
            "foreign": self.foreign_names,
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]

    @property
    def dataset_names(self) -> tuple[str, ...]:
        return tuple(dataset.name for dataset in self.datasets)

    def dataset(self, name: str) -> DatasetVocabulary | None:
        return next((dataset for dataset in self.datasets if dataset.name == name), None)

    def has_column(self, column: str) -> bool:
        return any(column in dataset.columns for dataset in self.datasets)

    def known_values(self, column: str) -> frozenset[str]:
        """Values a filter on `column` may use; account ids are always exactly the tenant's own."""
        if column == "account_id":
            return frozenset(self.account_ids)
        return frozenset(self.values.get(column, ()))


def metrics_for(columns: Iterable[str]) -> frozenset[str]:
    """Saved metrics whose expression reads only columns the dataset has."""
    present = set(columns)
    return frozenset(
        metric.name for metric in SAVED_METRICS if set(_SUM_COLUMN.findall(metric.expression)) <= present
    )


def contract_vocabulary(
    slug: str,
    *,
    locale: Locale = "en",
    name: str = "",
    account_ids: Sequence[str] = (),
    datasets: Sequence[str] = VIEW_NAMES,
    values: Mapping[str, Sequence[str]] | None = None,
    foreign_names: Sequence[str] = (),
) -> TenantVocabulary:
    """A vocabulary from the contract alone: contract columns and enum values, plus any given values."""
    merged: dict[str, tuple[str, ...]] = {column: tuple(found) for column, found in CONTRACT_VALUES.items()}
    for column, found in (values or {}).items():
        merged[column] = tuple(dict.fromkeys([*merged.get(column, ()), *found]))
    return TenantVocabulary(
        slug=slug,
        locale=locale,
        name=name,
        account_ids=tuple(account_ids),
        datasets=tuple(
            DatasetVocabulary(n, frozenset(view(n).column_names), metrics_for(view(n).column_names))
            for n in datasets
        ),
        values=MappingProxyType(merged),
        foreign_names=tuple(foreign_names),
    )


# --- I/O: the tenant's DuckDB schema --------------------------------------------------------------


def from_duckdb(
    path: Path,
    schema: str,
    *,
    slug: str,
    locale: Locale = "en",
    name: str = "",
    account_ids: Sequence[str] | None = None,
    foreign_names: Sequence[str] = (),
    max_values: int = MAX_VALUES_PER_COLUMN,
) -> TenantVocabulary:
    """Read the tenant's contract views (read-only): which exist, their columns, their distinct values.

    Only contract views and contract columns count, so an extra column in the warehouse never becomes
    chartable. Account ids default to the ones the tenant's views actually return.
    """
    import duckdb  # local: the pure parts of the chat package must not need a driver

    from supertenant.warehouse.local import observe_contract, validate_schema

    validate_schema(schema)
    observed = observe_contract(path, schema)
    datasets: list[DatasetVocabulary] = []
    values: dict[str, list[str]] = {column: list(found) for column, found in CONTRACT_VALUES.items()}
    accounts: list[str] = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        for contract in CONTRACT_VIEWS:
            present = {column.lower() for column in observed.get(contract.name, {})}
            columns = [column for column in contract.column_names if column in present]
            if not columns:
                continue
            datasets.append(DatasetVocabulary(contract.name, frozenset(columns), metrics_for(columns)))
            for column in columns:
                if column in VALUE_COLUMNS or column == "account_id":
                    found = _distinct(con, schema, contract.name, column, max_values)
                    target = accounts if column == "account_id" else values.setdefault(column, [])
                    target.extend(value for value in found if value not in target)
    finally:
        con.close()
    return TenantVocabulary(
        slug=slug,
        locale=locale,
        name=name,
        account_ids=tuple(account_ids) if account_ids is not None else tuple(sorted(accounts)),
        datasets=tuple(datasets),
        values=MappingProxyType({column: tuple(sorted(found)) for column, found in values.items()}),
        foreign_names=tuple(foreign_names),
    )


def _distinct(con: object, schema: str, view_name: str, column: str, limit: int) -> list[str]:
    """Up to `limit` distinct non-empty values, most frequent first (identifiers are contract names)."""
    relation = f'"{schema}"."{view_name}"'
    sql = (
        f'SELECT "{column}" FROM {relation} WHERE "{column}" IS NOT NULL AND "{column}" <> \'\' '  # noqa: S608
        f'GROUP BY "{column}" ORDER BY COUNT(*) DESC, "{column}" LIMIT ?'
    )
    rows = con.execute(sql, [limit]).fetchall()  # type: ignore[attr-defined]
    return [str(row[0]) for row in rows]
