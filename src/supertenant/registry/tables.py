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
