"""The price book: plans, warehouse prices and per-tenant budgets, from one YAML file.

Two plan models:

- ``base_plus_passthrough``: a monthly base fee, plus the warehouse cost passed through with a margin.
- ``per_seat``: a fee per active user, plus overage above an included number of warehouse bytes.

A tenant's plan is its spec's ``plan`` (stored in the registry); ``tenants:`` overrides the plan or
the budget of one tenant.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supertenant.errors import ConfigError

DEFAULT_PRICEBOOK = Path(__file__).with_name("pricebook.default.yaml")

NonNegative = Annotated[Decimal, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehousePrices(_Model):
    """Price per TiB billed (BigQuery) or estimated scanned (DuckDB, priced as if on-demand)."""

    bigquery_per_tib: NonNegative = Decimal("6.25")
    duckdb_per_tib: NonNegative = Decimal("6.25")

    def by_source(self) -> dict[str, Decimal]:
        return {"bigquery": self.bigquery_per_tib, "duckdb": self.duckdb_per_tib}


class PassThroughPlan(_Model):
    model: Literal["base_plus_passthrough"]
    base_fee: NonNegative
    margin: NonNegative = Field(description="0.20 = warehouse cost plus 20 %")
    daily_budget: NonNegative | None = None


class PerSeatPlan(_Model):
    model: Literal["per_seat"]
    seat_fee: NonNegative
    included_bytes: Annotated[int, Field(ge=0)]
    overage_per_tib: NonNegative
    daily_budget: NonNegative | None = None


Plan = Annotated[PassThroughPlan | PerSeatPlan, Field(discriminator="model")]


class TenantOverride(_Model):
    plan: str | None = None
    daily_budget: NonNegative | None = None


class PriceBook(_Model):
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    warehouse: WarehousePrices = Field(default_factory=WarehousePrices)
    plans: dict[str, Plan]
    tenants: dict[str, TenantOverride] = Field(default_factory=dict)

    def plan_name(self, tenant: str, registry_plan: str) -> str:
        override = self.tenants.get(tenant)
        return override.plan if override and override.plan else registry_plan

    def plan_for(self, tenant: str, registry_plan: str) -> PassThroughPlan | PerSeatPlan:
        name = self.plan_name(tenant, registry_plan)
        if name not in self.plans:
            raise ConfigError(
                f"tenant {tenant!r} is on plan {name!r}, which the price book does not define "
                f"(plans: {', '.join(sorted(self.plans))})"
            )
        return self.plans[name]

    def daily_budget(self, tenant: str, registry_plan: str) -> Decimal | None:
        override = self.tenants.get(tenant)
        if override and override.daily_budget is not None:
            return override.daily_budget
        plan = self.plans.get(self.plan_name(tenant, registry_plan))
        return plan.daily_budget if plan else None


def parse_pricebook(text: str, source: str = "<price book>") -> PriceBook:
    try:
        data = yaml.safe_load(text)
        return PriceBook.model_validate(data)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc})") from None
    except ValidationError as exc:
        reasons = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{source}: invalid price book: {reasons}") from None


def load_pricebook(path: Path | None = None) -> PriceBook:
    path = path or DEFAULT_PRICEBOOK
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read price book {path} ({exc.strerror})") from None
    return parse_pricebook(text, str(path))
