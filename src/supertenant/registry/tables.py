"""Table definitions of the tenant registry (SQLAlchemy Core, shared with the migrations)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TENANT_STATUSES = ("provisioning", "active", "suspended", "deleting")
MEMBER_ROLES = ("admin", "editor", "viewer")

tenants = sa.Table(
    "tenants",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("slug", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
    sa.Column("plan", sa.String(64), nullable=False, server_default="standard"),
    sa.Column("status", sa.String(16), nullable=False, server_default="provisioning"),
    sa.Column("isolation", sa.String(16), nullable=False, server_default="shared"),
    # Engine, project/dataset or path/schema, account ids, byte cap: never credentials.
    sa.Column("warehouse", sa.JSON, nullable=False),
    sa.Column("superset_database_id", sa.Integer, nullable=True),
    sa.Column("role_ids", sa.JSON, nullable=False),  # {"admin": id, "editor": id, "viewer": id}
    sa.Column("dashboard_ids", sa.JSON, nullable=False),  # {"<template>": id}
    sa.Column("home_dashboard_id", sa.Integer, nullable=True),
    sa.Column("branding", sa.JSON, nullable=False),
    sa.Column("features", sa.JSON, nullable=False),
    sa.Column("spec_digest", sa.String(64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint(f"status IN {TENANT_STATUSES!r}", name="ck_tenants_status"),
    sa.CheckConstraint("isolation IN ('shared', 'dedicated')", name="ck_tenants_isolation"),
)

tenant_memberships = sa.Table(
    "tenant_memberships",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
    # ab_user.id; no FK so the registry can be restored before users exist, and one user is
    # a member of at most one tenant (platform admins of none).
    sa.Column("user_id", sa.Integer, nullable=False, unique=True),
    sa.Column("username", sa.String(128), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.CheckConstraint(f"role IN {MEMBER_ROLES!r}", name="ck_tenant_memberships_role"),
)
sa.Index("ix_tenant_memberships_tenant_id", tenant_memberships.c.tenant_id)

# --- metering (migration 0002_usage; see docs/billing.md) -----------------------------------------

USAGE_KINDS = ("login", "dashboard_view", "chart_data", "sql_lab", "csv_export", "chat_request")

usage_events = sa.Table(
    "usage_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # Minted when the event happens; a replayed spool file inserts nothing twice.
    sa.Column("event_key", sa.String(64), nullable=False, unique=True),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tenant", sa.String(40), nullable=True),  # NULL: platform users
    sa.Column("user_id", sa.Integer, nullable=True),
    sa.Column("username", sa.String(256), nullable=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("object_type", sa.String(32), nullable=True),
    sa.Column("object_id", sa.String(64), nullable=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="ok"),
    sa.Column("duration_ms", sa.Integer, nullable=True),
    sa.Column("warehouse_queries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("bytes_scanned", sa.BigInteger, nullable=True),
    sa.Column("bytes_returned", sa.BigInteger, nullable=True),
    sa.Column("source", sa.String(16), nullable=False, server_default="superset"),
    sa.Column("request_id", sa.String(64), nullable=True),
)
sa.Index("ix_usage_events_tenant_occurred_at", usage_events.c.tenant, usage_events.c.occurred_at)

warehouse_costs = sa.Table(
    "warehouse_costs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # source:scope:day:tenant:principal; a re-collection of the same day replaces the row.
    sa.Column("cost_key", sa.String(400), nullable=False, unique=True),
    sa.Column("source", sa.String(16), nullable=False),  # bigquery | duckdb
    sa.Column("scope", sa.String(200), nullable=False),  # project/region, or the DuckDB file
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("tenant", sa.String(40), nullable=False),
    sa.Column("principal", sa.String(256), nullable=False, server_default=""),
    sa.Column("jobs", sa.Integer, nullable=False),
    sa.Column("bytes_processed", sa.BigInteger, nullable=False),
    sa.Column("bytes_billed", sa.BigInteger, nullable=False),
    sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Index("ix_warehouse_costs_tenant_day", warehouse_costs.c.tenant, warehouse_costs.c.day)
