"""Alembic environment for the tenant registry: its own version table, its own tables only."""

from __future__ import annotations

from alembic import context

from supertenant.registry.migrate import VERSION_TABLE
from supertenant.registry.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=connection.dialect.name == "sqlite",
    # Never look at (or autogenerate against) Superset's tables.
    include_name=lambda name, type_, _parent: type_ != "table" or name in metadata.tables,
)
with context.begin_transaction():
    context.run_migrations()
