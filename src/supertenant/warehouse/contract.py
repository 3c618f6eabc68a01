"""The dataset contract as data (see specs/dataset_contracts.md), and a pure check against it.

Templates, the chat planner and provisioning all read the four contract views from here, so one
definition serves every tenant and every engine. Nothing in this module does I/O: callers observe a
warehouse (DuckDB locally, BigQuery in production) and hand the observed column types to
`check_columns`, which names every gap at once.

Type normalisation (why some observed types pass that are not spelled like the contract):

- Each engine's reported type is mapped to a contract type *family*, written the BigQuery way
  (STRING, INT64, NUMERIC, FLOAT64, DATE); a column passes when its family matches.
- Spelling is forgiven: case, spaces (`DECIMAL(18, 2)`), length parameters (`VARCHAR(255)`,
  BigQuery `STRING(10)`), and the engine's own aliases (DuckDB `TEXT`, `INT8`; BigQuery legacy
  `INTEGER`/`FLOAT` from the tables API, `INT`, `BIGINT`, `DECIMAL`, `BIGNUMERIC`).
- INT64 also accepts DuckDB `INTEGER` (32-bit): every contract integer (ids aside, which are BIGINT
  in our own tables) fits, and views over older tables often report it.
- NUMERIC (money) accepts any exact decimal whose scale is at least 2, whatever its precision:
  DuckDB `DECIMAL(p,s)` with s >= 2, BigQuery `NUMERIC`/`BIGNUMERIC` (scale 9/38) or a
  parameterised `NUMERIC(p,s)` with s >= 2. A scale below 2 would silently drop cents, and a float
  would make sums inexact, so both are wrong types.
- FLOAT64 accepts only 64-bit floats: DuckDB `FLOAT`/`REAL` are 32-bit and rejected there, while
  BigQuery's legacy name `FLOAT` means FLOAT64 and passes.
- DATE accepts only DATE: a TIMESTAMP would shift days across time zones.

View names are compared exactly (BigQuery table names are case-sensitive); column names are compared
case-insensitively (both engines resolve column names that way). Extra views and columns are fine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from supertenant.errors import NotFoundError

Engine = Literal["duckdb", "bigquery"]

# A Google Ads customer id as the contract's `account_id` column holds it; use with `fullmatch`.
ACCOUNT_ID_RE = re.compile(r"[0-9]{3}-[0-9]{3}-[0-9]{4}")


class Role(StrEnum):
    """How templates may use a column."""

    DIMENSION = "dimension"  # STRING: group by and filter
    TEMPORAL = "temporal"  # the `date` column: time grains
    MEASURE = "measure"  # numeric: aggregate
    IDENTIFIER = "identifier"  # INT64 ids: join and drill, never aggregate


@dataclass(frozen=True, slots=True)
class Column:
    """One contract column with its type on each engine."""

    name: str
    bigquery_type: str
    duckdb_type: str
    role: Role

    @property
    def is_dimension(self) -> bool:
        return self.role is Role.DIMENSION

    @property
    def is_temporal(self) -> bool:
        return self.role is Role.TEMPORAL

    @property
    def is_measure(self) -> bool:
        return self.role is Role.MEASURE

    def type_for(self, engine: Engine) -> str:
        """The type as that engine spells it, for DDL and messages."""
        return self.duckdb_type if engine == "duckdb" else self.bigquery_type


@dataclass(frozen=True, slots=True)
class ViewContract:
    """One contract view: its name, grain and ordered columns."""

    name: str
    grain: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def dimensions(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.is_dimension)

    @property
    def measures(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.is_measure)

    @property
    def temporal(self) -> Column:
        return next(column for column in self.columns if column.is_temporal)

    def column(self, name: str) -> Column:
        """The column called `name`; NotFoundError names the view and its columns otherwise."""
        for column in self.columns:
            if column.name == name:
                return column
        raise NotFoundError(
            f"view {self.name} has no column {name!r}; columns: {', '.join(self.column_names)}"
        )


@dataclass(frozen=True, slots=True)
class SavedMetric:
    """A metric defined on every contract dataset in Superset."""

    name: str
    expression: str
    label_en: str
    label_ja: str
    d3_format: str

    def label(self, locale: str) -> str:
        """The label for a Superset locale such as "ja" or "en"; English unless Japanese."""
        return self.label_ja if locale.lower().startswith("ja") else self.label_en


def _dimension(name: str) -> Column:
    return Column(name, "STRING", "VARCHAR", Role.DIMENSION)


def _identifier(name: str) -> Column:
    return Column(name, "INT64", "BIGINT", Role.IDENTIFIER)


_DATE = Column("date", "DATE", "DATE", Role.TEMPORAL)
_ACCOUNT_ID = _dimension("account_id")
_CAMPAIGN_NAME = _dimension("campaign_name")
_METRIC_COLUMNS = (
    Column("impressions", "INT64", "BIGINT", Role.MEASURE),
    Column("clicks", "INT64", "BIGINT", Role.MEASURE),
    Column("cost", "NUMERIC", "DECIMAL(18,2)", Role.MEASURE),
    Column("conversions", "FLOAT64", "DOUBLE", Role.MEASURE),
    Column("conversion_value", "FLOAT64", "DOUBLE", Role.MEASURE),
)

CAMPAIGN_TYPES = ("SEARCH", "DISPLAY", "VIDEO", "SHOPPING", "PERFORMANCE_MAX")
STATUSES = ("ENABLED", "PAUSED", "REMOVED")
DEVICES = ("MOBILE", "DESKTOP", "TABLET", "OTHER")
MATCH_TYPES = ("EXACT", "PHRASE", "BROAD")

CONTRACT_VIEWS: tuple[ViewContract, ...] = (
    ViewContract(
        "ads_campaign_daily",
        "date × campaign × device",
        (
            _DATE,
            _ACCOUNT_ID,
            _identifier("campaign_id"),
            _CAMPAIGN_NAME,
            _dimension("campaign_type"),
            _dimension("campaign_status"),
            _dimension("device"),
            *_METRIC_COLUMNS,
            _dimension("currency"),
        ),
    ),
    ViewContract(
        "ads_adgroup_daily",
        "date × ad group",
        (
            _DATE,
            _ACCOUNT_ID,
            _identifier("campaign_id"),
            _CAMPAIGN_NAME,
            _identifier("ad_group_id"),
            _dimension("ad_group_name"),
            _dimension("ad_group_status"),
            *_METRIC_COLUMNS,
        ),
    ),
    ViewContract(
        "ads_keyword_daily",
        "date × keyword",
        (
            _DATE,
            _ACCOUNT_ID,
            _CAMPAIGN_NAME,
            _dimension("ad_group_name"),
            _identifier("keyword_id"),
            _dimension("keyword_text"),
            _dimension("match_type"),
            Column("quality_score", "INT64", "BIGINT", Role.MEASURE),
            *_METRIC_COLUMNS,
        ),
    ),
    ViewContract(
        "ads_geo_daily",
        "date × campaign × region",
        (
            _DATE,
            _ACCOUNT_ID,
            _CAMPAIGN_NAME,
            _dimension("country_code"),
            _dimension("region"),
            *_METRIC_COLUMNS,
        ),
    ),
)

SAVED_METRICS: tuple[SavedMetric, ...] = (
    SavedMetric("impressions", "SUM(impressions)", "Impressions", "表示回数", ",d"),
    SavedMetric("clicks", "SUM(clicks)", "Clicks", "クリック数", ",d"),
    SavedMetric("cost", "SUM(cost)", "Cost", "費用", ",.2f"),
    # Conversions are fractional under data-driven attribution, so not ",d".
    SavedMetric("conversions", "SUM(conversions)", "Conversions", "コンバージョン", ",.2f"),
    SavedMetric("conversion_value", "SUM(conversion_value)", "Conv. value", "コンバージョン値", ",.2f"),
    SavedMetric("ctr", "SUM(clicks) / NULLIF(SUM(impressions), 0)", "CTR", "クリック率", ".2%"),
    SavedMetric("cpc", "SUM(cost) / NULLIF(SUM(clicks), 0)", "Avg. CPC", "平均クリック単価", ",.2f"),
    SavedMetric("cvr", "SUM(conversions) / NULLIF(SUM(clicks), 0)", "Conv. rate", "コンバージョン率", ".2%"),
    SavedMetric("cpa", "SUM(cost) / NULLIF(SUM(conversions), 0)", "Cost / conv. (CPA)", "獲得単価", ",.2f"),
    SavedMetric("roas", "SUM(conversion_value) / NULLIF(SUM(cost), 0)", "ROAS", "広告費用対効果", ".2f"),
)

VIEW_NAMES: tuple[str, ...] = tuple(contract.name for contract in CONTRACT_VIEWS)


def view(name: str) -> ViewContract:
    """The contract view called `name`; NotFoundError lists the contract's views otherwise."""
    for contract in CONTRACT_VIEWS:
        if contract.name == name:
            return contract
    raise NotFoundError(f"{name!r} is not a contract view; contract views: {', '.join(VIEW_NAMES)}")


def saved_metric(name: str) -> SavedMetric:
    """The saved metric called `name`; NotFoundError lists the saved metrics otherwise."""
    for metric in SAVED_METRICS:
        if metric.name == name:
            return metric
    known = ", ".join(metric.name for metric in SAVED_METRICS)
    raise NotFoundError(f"{name!r} is not a saved metric; saved metrics: {known}")


# Reported base type name → contract type family, per engine.
_FAMILIES: dict[Engine, dict[str, str]] = {
    "duckdb": {
        **dict.fromkeys(("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR"), "STRING"),
        **dict.fromkeys(("BIGINT", "INT8", "LONG", "INT64", "INTEGER", "INT", "INT4", "INT32"), "INT64"),
        **dict.fromkeys(("DECIMAL", "NUMERIC"), "NUMERIC"),
        **dict.fromkeys(("DOUBLE", "FLOAT8", "DOUBLE PRECISION"), "FLOAT64"),
        "DATE": "DATE",
    },
    "bigquery": {
        "STRING": "STRING",
        **dict.fromkeys(("INT64", "INTEGER", "INT", "BIGINT", "SMALLINT", "TINYINT", "BYTEINT"), "INT64"),
        **dict.fromkeys(("NUMERIC", "DECIMAL", "BIGNUMERIC", "BIGDECIMAL"), "NUMERIC"),
        **dict.fromkeys(("FLOAT64", "FLOAT"), "FLOAT64"),
        "DATE": "DATE",
    },
}

# Scale of an unparameterised decimal: DuckDB DECIMAL is (18,3); BigQuery NUMERIC 9, BIGNUMERIC 38.
_DEFAULT_SCALE = {"DECIMAL": 3, "NUMERIC": 9, "BIGNUMERIC": 38, "BIGDECIMAL": 38}
_MIN_MONEY_SCALE = 2

_TYPE_SYNTAX = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_ ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


def normalise_type(observed: str, engine: Engine) -> str | None:
    """The contract type family (BigQuery spelling) that `observed` satisfies, or None if none.

    See the module docstring for which spellings pass and why.
    """
    match = _TYPE_SYNTAX.match(observed)
    if match is None:
        return None
    base = " ".join(match.group(1).upper().split())
    family = _FAMILIES[engine].get(base)
    if family == "NUMERIC":
        scale = _DEFAULT_SCALE.get(base, 0) if match.group(2) is None else int(match.group(3) or 0)
        return family if scale >= _MIN_MONEY_SCALE else None
    return family


def check_columns(observed: Mapping[str, Mapping[str, str]], engine: Engine) -> list[str]:
    """Every way `observed` ({view: {column: type}}) breaks the contract, as readable reasons.

    An empty list means the warehouse satisfies the contract. Reasons come in contract order.
    """
    reasons: list[str] = []
    for contract in CONTRACT_VIEWS:
        columns = observed.get(contract.name)
        if columns is None:
            reasons.append(f"missing view {contract.name}")
            continue
        reasons.extend(_check_view(contract, columns, engine))
    return reasons


def _check_view(contract: ViewContract, columns: Mapping[str, str], engine: Engine) -> list[str]:
    """Reasons for one present view: missing columns and wrong types."""
    by_name = {name.lower(): observed_type for name, observed_type in columns.items()}
    reasons: list[str] = []
    for column in contract.columns:
        expected = column.type_for(engine)
        found = by_name.get(column.name)
        if found is None:
            reasons.append(f"view {contract.name}: missing column {column.name} ({expected})")
        elif normalise_type(found, engine) != column.bigquery_type:
            reasons.append(f"view {contract.name}: column {column.name} should be {expected}, found {found}")
    return reasons
