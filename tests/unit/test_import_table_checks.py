"""``superset_ext/imports.py``: which table checks an import may answer without the warehouse."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask

from supertenant.superset_ext.imports import (
    carries_data,
    imported_without_data,
    remember_imported_without_data,
)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"table_name": "campaigns"}, False),
        ({"table_name": "campaigns", "data": None}, False),
        ({"table_name": "campaigns", "data": "https://example.com/c.csv"}, True),
        ({"table_name": "campaigns", "data_file": "data/c.csv"}, True),
    ],
)
def test_carries_data(config: dict[str, object], expected: bool) -> None:
    assert carries_data(config) is expected


def dataset(database_id: int, table: str, schema: str | None = "t_acme") -> SimpleNamespace:
    return SimpleNamespace(database_id=database_id, table_name=table, schema=schema, catalog=None)


def table(name: str, schema: str | None = "t_acme") -> SimpleNamespace:
    return SimpleNamespace(table=name, schema=schema, catalog=None)


def test_only_the_imported_table_of_its_own_database_is_answered() -> None:
    app = Flask(__name__)
    with app.app_context():
        remember_imported_without_data(dataset(1, "campaigns"))
        assert imported_without_data(SimpleNamespace(id=1), table("campaigns"))
        assert not imported_without_data(SimpleNamespace(id=2), table("campaigns"))  # other database
        assert not imported_without_data(SimpleNamespace(id=1), table("keywords"))
        assert not imported_without_data(SimpleNamespace(id=1), table("campaigns", schema="t_other"))
    with app.app_context():  # the next request starts with nothing remembered
        assert not imported_without_data(SimpleNamespace(id=1), table("campaigns"))


def test_outside_a_request_nothing_is_remembered_or_answered() -> None:
    remember_imported_without_data(dataset(1, "campaigns"))
    assert not imported_without_data(SimpleNamespace(id=1), table("campaigns"))
