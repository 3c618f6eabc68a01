"""Metering: usage events per tenant and collected warehouse bytes per tenant and day.

Revision ID: 0002_usage
Revises: 0001_registry
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_usage"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_key", sa.String(64), nullable=False, unique=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant", sa.String(40), nullable=True),
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
    op.create_index("ix_usage_events_tenant_occurred_at", "usage_events", ["tenant", "occurred_at"])
    op.create_table(
        "warehouse_costs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cost_key", sa.String(400), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("principal", sa.String(256), nullable=False, server_default=""),
        sa.Column("jobs", sa.Integer, nullable=False),
        sa.Column("bytes_processed", sa.BigInteger, nullable=False),
        sa.Column("bytes_billed", sa.BigInteger, nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_warehouse_costs_tenant_day", "warehouse_costs", ["tenant", "day"])


def downgrade() -> None:
    op.drop_index("ix_warehouse_costs_tenant_day", "warehouse_costs")
    op.drop_table("warehouse_costs")
    op.drop_index("ix_usage_events_tenant_occurred_at", "usage_events")
    op.drop_table("usage_events")
