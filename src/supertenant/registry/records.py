"""What the registry stores about a tenant, as plain values shared by the server and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MemberRole = Literal["admin", "editor", "viewer"]
TenantStatus = Literal["provisioning", "active", "suspended", "deleting"]


class TenantRecord(BaseModel):
    """One row of `tenants`. ``warehouse`` never holds credentials, only where the data lives."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
    name: str = Field(min_length=1, max_length=200)
    locale: Literal["ja", "en"] = "en"
    plan: str = "standard"
    status: TenantStatus = "provisioning"
    isolation: Literal["shared", "dedicated"] = "shared"
    warehouse: dict[str, Any]
    superset_database_id: int | None = None
    role_ids: dict[str, int] = Field(default_factory=dict)
    dashboard_ids: dict[str, int] = Field(default_factory=dict)
    home_dashboard_id: int | None = None
    branding: dict[str, Any] = Field(default_factory=dict)
    features: dict[str, bool] = Field(default_factory=dict)
    spec_digest: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class Membership(BaseModel):
    """A Superset user's place in exactly one tenant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_id: int
    username: str
    role: MemberRole


SECRET_WAREHOUSE_KEYS = frozenset(
    {"credentials_info", "credentials", "private_key", "password", "credentials_json"}
)


def without_secrets(warehouse: dict[str, Any]) -> dict[str, Any]:
    """The warehouse description with anything credential-like removed (defence in depth)."""
    return {k: v for k, v in warehouse.items() if k not in SECRET_WAREHOUSE_KEYS}
