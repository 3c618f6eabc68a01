"""An index on Superset's ``slices.perm``, which its dashboard list filters on.

Superset's dashboard list (``DashboardAccessFilter``) matches every published dashboard's charts
against the caller's dataset permissions by ``slices.perm``, which Superset does not index: a
sequential scan of every tenant's charts, twice per list request (count and page). With the
index the lookup reads only the caller's charts (at 200 tenants: 8 ms → 1.6 ms per query).
The index is supertenant's, on a Superset table; Superset's migrations never name it.

Revision ID: 0003_list_indexes
Revises: 0002_usage
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_list_indexes"
down_revision = "0002_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("slices"):  # always, on a Superset metadata DB
        op.execute("CREATE INDEX IF NOT EXISTS ix_supertenant_slices_perm ON slices (perm)")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_supertenant_slices_perm")
