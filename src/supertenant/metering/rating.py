"""Pure rating: bytes → money, warehouse cost rows, and the daily budget decision.

Money is ``Decimal`` throughout; amounts are rounded once, per invoice line,
half-up to the currency's cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

TIB = 2**40
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def bytes_cost(nbytes: int, price_per_tib: Decimal) -> Decimal:
    """Unrounded cost of ``nbytes`` at ``price_per_tib`` (BigQuery on-demand: bytes / 2**40 × price)."""
    return Decimal(nbytes) / Decimal(TIB) * price_per_tib


@dataclass(frozen=True, slots=True)
class CostRow:
    """Warehouse bytes of one tenant, one day, one principal, from one source (a ``warehouse_costs`` row)."""

    source: str  # bigquery | duckdb
    scope: str  # "project/region" for BigQuery, the DuckDB file for DuckDB
    day: date
    tenant: str
    principal: str
    jobs: int
    bytes_processed: int
    bytes_billed: int
    id: int | None = None

    @property
    def cost_key(self) -> str:
        return f"{self.source}:{self.scope}:{self.day.isoformat()}:{self.tenant}:{self.principal}"

    def values(self) -> dict[str, Any]:
        return {
            "cost_key": self.cost_key,
            "source": self.source,
            "scope": self.scope,
            "day": self.day,
            "tenant": self.tenant,
            "principal": self.principal,
            "jobs": self.jobs,
            "bytes_processed": self.bytes_processed,
            "bytes_billed": self.bytes_billed,
        }

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> CostRow:
        return cls(
            source=row["source"],
            scope=row["scope"],
            day=row["day"],
            tenant=row["tenant"],
            principal=row["principal"],
            jobs=int(row["jobs"]),
            bytes_processed=int(row["bytes_processed"]),
            bytes_billed=int(row["bytes_billed"]),
            id=row.get("id"),
        )


@dataclass(frozen=True, slots=True)
class BudgetDecision:
    allowed: bool
    spent: Decimal
    budget: Decimal | None

    def message(self, tenant: str, currency: str) -> str:
        return (
            f"Query refused: tenant {tenant!r} has used {money(self.spent)} {currency} of warehouse "
            f"cost today, over its daily budget of {money(self.budget or Decimal(0))} {currency}. "
            "New queries run again tomorrow (UTC), or ask your administrator to raise the budget."
        )


def budget_decision(
    spent_bytes: Mapping[str, int], prices_per_tib: Mapping[str, Decimal], daily_budget: Decimal | None
) -> BudgetDecision:
    """Whether a tenant may start another query today: its cost so far must be below the budget.

    The check is before the query, so one query can take a tenant over; the next one is refused.
    """
    spent = sum(
        (bytes_cost(n, prices_per_tib.get(source, Decimal(0))) for source, n in spent_bytes.items()),
        Decimal(0),
    )
    allowed = daily_budget is None or spent < daily_budget
    return BudgetDecision(allowed=allowed, spent=spent, budget=daily_budget)
