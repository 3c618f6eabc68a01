"""Dataset imports without a warehouse round trip per dataset.

Superset's ``import_dataset`` asks the warehouse whether each imported dataset's table exists
(``Database.has_table``) and uses the answer for one thing only: whether to load the bundle's
``data:`` URI into the warehouse. Bundles without a ``data`` key (every bundle supertenant writes:
its datasets are views of the tenant's warehouse) never load anything, yet each check opens a
warehouse connection — a DuckDB file with every tenant's schema, or a BigQuery ``tables.get``
API call. Onboarding one tenant imports four datasets, and the checks were half of that import's
server time (``benchmarks/README.md``).

So, within one request, a dataset imported from a config without ``data`` is answered "exists"
without asking the warehouse. Every other ``has_table`` call (bundles that carry data, examples,
dataset creation, any other request) goes to the warehouse as before.
"""

from __future__ import annotations

import functools
from typing import Any

from flask import g, has_app_context

NO_DATA_TABLES = "_supertenant_imported_without_data"  # flask.g key: {(database id, table, schema, catalog)}
INSTALLED_MARK = "_supertenant_import_without_table_checks"


Key = tuple[object, str, str, str]


def _key(database_id: object, table_name: str, schema: str | None, catalog: str | None) -> Key:
    return (database_id, table_name, schema or "", catalog or "")


def carries_data(config: dict[str, Any]) -> bool:
    """Whether a dataset config asks Superset to load data (a URL, or a file in the bundle)."""
    return bool(config.get("data") or config.get("data_file"))


def remember_imported_without_data(dataset: Any) -> None:
    """Note a dataset just imported from a config without data to load."""
    if not has_app_context():
        return
    tables: set[Key] = g.setdefault(NO_DATA_TABLES, set())
    tables.add(_key(dataset.database_id, dataset.table_name, dataset.schema, dataset.catalog))


def imported_without_data(database: Any, table: Any) -> bool:
    """Whether ``table`` (Superset's ``Table``) of ``database`` was imported without data in this request."""
    if not has_app_context():
        return False
    tables: set[Key] = g.get(NO_DATA_TABLES) or set()
    return _key(database.id, table.table, table.schema, table.catalog) in tables


def install() -> None:
    """Wrap ``SqlaTable.import_from_dict`` and ``Database.has_table`` (idempotent)."""
    from superset.connectors.sqla.models import SqlaTable
    from superset.models.core import Database

    if getattr(Database.has_table, INSTALLED_MARK, False):
        return
    import_from_dict = SqlaTable.import_from_dict.__func__
    has_table = Database.has_table

    @functools.wraps(import_from_dict)
    def import_from_dict_noting_data(cls: Any, dict_rep: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        without_data = not carries_data(dict_rep)  # asked first: the import deletes unknown keys
        dataset = import_from_dict(cls, dict_rep, *args, **kwargs)
        if without_data:
            remember_imported_without_data(dataset)
        return dataset

    @functools.wraps(has_table)
    def has_table_unless_imported_without_data(self: Any, table: Any) -> bool:
        if imported_without_data(self, table):
            return True
        return bool(has_table(self, table))

    setattr(has_table_unless_imported_without_data, INSTALLED_MARK, True)
    SqlaTable.import_from_dict = classmethod(import_from_dict_noting_data)
    Database.has_table = has_table_unless_imported_without_data
