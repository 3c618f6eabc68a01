"""Run the registry's migrations, and mend what a SQLite metadata DB gets wrong."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from supertenant.errors import ConfigError

VERSION_TABLE = "supertenant_alembic_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Superset 6.1 on SQLite keeps a stray UNIQUE(table_name) on `tables`; Postgres has
# UNIQUE(database_id, catalog, schema, table_name) instead. With the stray one a second
# tenant cannot register its own `ads_campaign_daily` dataset.
_STRAY_UNIQUE = re.compile(r",\s*UNIQUE \(table_name\)")


def alembic_config(connection: sa.engine.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None, "the registry has no migrations"
    return head


def current_revision(engine: sa.engine.Engine) -> str | None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade(url: str, revision: str = "head") -> str:
    """Bring the registry to ``revision`` and repair the SQLite dataset-name constraint.

    Safe to run any number of times. Returns the revision the DB is at afterwards.
    """
    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            if not sa.inspect(connection).has_table("ab_user"):
                raise ConfigError(
                    "the metadata DB has no Superset tables yet: run `superset db upgrade` before "
                    "`supertenant db upgrade`"
                )
            command.upgrade(alembic_config(connection), revision)
        if engine.dialect.name == "sqlite":
            relax_sqlite_dataset_name_constraint(engine)
        return current_revision(engine) or ""
    finally:
        engine.dispose()


def relax_sqlite_dataset_name_constraint(engine: sa.engine.Engine) -> bool:
    """Rebuild SQLite's `tables` without UNIQUE(table_name), keeping Postgres's composite key.

    Returns True when it changed something. Idempotent: re-run after every
    `superset db upgrade`, since a later Superset migration may rebuild the table.
    """
    with engine.begin() as connection:
        row = connection.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'tables'")
        ).first()
        if row is None or not _STRAY_UNIQUE.search(row[0]):
            return False
        new_sql = _STRAY_UNIQUE.sub("", row[0], count=1).replace(
            'CREATE TABLE "tables"', 'CREATE TABLE "tables_new"'
        )
        new_sql = new_sql.rstrip()
        assert new_sql.endswith(")"), "unexpected CREATE TABLE statement for `tables`"
        new_sql = new_sql[:-1] + (
            ",\n\tCONSTRAINT _customer_location_uc UNIQUE (database_id, catalog, schema, table_name)\n)"
        )
        indexes = [
            r[0]
            for r in connection.execute(
                sa.text(
                    "SELECT sql FROM sqlite_master"
                    " WHERE tbl_name = 'tables' AND type = 'index' AND sql IS NOT NULL"
                )
            )
        ]
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.exec_driver_sql(new_sql)
        connection.exec_driver_sql('INSERT INTO "tables_new" SELECT * FROM "tables"')
        connection.exec_driver_sql('DROP TABLE "tables"')
        connection.exec_driver_sql('ALTER TABLE "tables_new" RENAME TO "tables"')
        for index_sql in indexes:
            connection.exec_driver_sql(index_sql)
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    return True
