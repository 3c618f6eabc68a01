"""Tenant registry: tenants and tenant memberships.

Revision ID: 0001_registry
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("locale", sa.String(8), nullable=False, server_default="en"),
        sa.Column("plan", sa.String(64), nullable=False, server_default="standard"),
        sa.Column("status", sa.String(16), nullable=False, server_default="provisioning"),
        sa.Column("isolation", sa.String(16), nullable=False, server_default="shared"),
        sa.Column("warehouse", sa.JSON, nullable=False),
        sa.Column("superset_database_id", sa.Integer, nullable=True),
        sa.Column("role_ids", sa.JSON, nullable=False),
        sa.Column("dashboard_ids", sa.JSON, nullable=False),
        sa.Column("home_dashboard_id", sa.Integer, nullable=True),
        sa.Column("branding", sa.JSON, nullable=False),
        sa.Column("features", sa.JSON, nullable=False),
        sa.Column("spec_digest", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "status IN ('provisioning', 'active', 'suspended', 'deleting')", name="ck_tenants_status"
        ),
        sa.CheckConstraint("isolation IN ('shared', 'dedicated')", name="ck_tenants_isolation"),
    )
    op.create_table(
        "tenant_memberships",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.Integer, sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False, unique=True),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("role IN ('admin', 'editor', 'viewer')", name="ck_tenant_memberships_role"),
    )
    op.create_index("ix_tenant_memberships_tenant_id", "tenant_memberships", ["tenant_id"])


def downgrade() -> None:
    op.drop_index("ix_tenant_memberships_tenant_id", "tenant_memberships")
    op.drop_table("tenant_memberships")
    op.drop_table("tenants")
