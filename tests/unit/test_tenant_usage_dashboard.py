"""Each tenant's usage dashboard: only its rows, and how the guard attributes its database (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from supertenant.metering import platform_dashboard, tenant_dashboard
from supertenant.metering.pricebook import parse_pricebook
from supertenant.registry import store
from supertenant.registry.records import Membership, TenantRecord
from supertenant.registry.tables import metadata
from supertenant.superset_ext import policy
from supertenant.superset_ext.directory import TenantDirectory, usage_databases

BOOK = parse_pricebook(
    "warehouse: {bigquery_per_tib: '6.25', duckdb_per_tib: '1'}\n"
    "plans: {p: {model: base_plus_passthrough, base_fee: '0', margin: '0'}}"
)


def event(tenant: str | None, kind: str, user: int | None) -> dict[str, Any]:
    return {
        "occurred_at": datetime(2026, 11, 3, 12, tzinfo=UTC),
        "tenant": tenant,
        "kind": kind,
        "status": "ok",
        "user_id": user,
        "bytes_scanned": 10,
        "duration_ms": 5,
    }


def cost(tenant: str) -> dict[str, Any]:
    return {"day": date(2026, 11, 3), "tenant": tenant, "source": "duckdb", "jobs": 1, "bytes_billed": 100}


def test_tenant_aggregates_keep_only_that_tenants_rows() -> None:
    usage = [
        event("a", "login", 1),
        event("b", "login", 2),
        event(None, "login", 9),
        event("a", "sql_lab", 1),
    ]
    tables = tenant_dashboard.tenant_aggregates("a", usage, [cost("a"), cost("b"), cost("ab")], BOOK)
    assert set(tables) == set(platform_dashboard.SCHEMAS)
    for rows in tables.values():
        assert rows
        assert {row[1] for row in rows} == {"a"}
    assert sum(row[4] for row in tables["usage_daily"]) == 2
    assert tables["users_daily"] == [(date(2026, 11, 3), "a", 1)]
    assert tenant_dashboard.tenant_aggregates("c", usage, [cost("a")], BOOK) == {
        "usage_daily": [],
        "users_daily": [],
        "cost_daily": [],
    }


def test_export_writes_only_the_tenants_rows(tmp_path: Path) -> None:
    import duckdb

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        from supertenant.registry.tables import usage_events

        for i, tenant in enumerate(("a", "b", None, "a")):
            row = event(tenant, "dashboard_view", i) | {"event_key": f"k{i}"}
            connection.execute(sa.insert(usage_events).values(**row))
    path = tmp_path / "t" / "a.duckdb"
    counts = tenant_dashboard.export_tenant(engine, BOOK, "a", path)
    assert counts == {"usage_daily": 1, "users_daily": 1, "cost_daily": 0}
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT tenant, events FROM usage_daily").fetchall() == [("a", 2)]
    finally:
        con.close()


def test_chart_specs_read_the_tenant_tables_with_titles_of_their_own() -> None:
    specs = tenant_dashboard.chart_specs()
    assert {dataset for _, _, dataset, _, _ in specs} <= set(platform_dashboard.SCHEMAS)
    titles = [title for _, title, _, _, _ in specs]
    assert len(set(titles)) == len(titles)
    # the platform dashboard finds its charts by title: never the same as a tenant's
    assert not set(titles) & {title for _, title, _, _, _ in platform_dashboard.chart_specs()}
    for _, _, _, params, _ in specs:
        assert "tenant" not in params.get("groupby", [])


def test_usage_database_belongs_to_a_tenant_by_name_and_derived_uuid() -> None:
    right = policy.usage_uuid("acme", "database")
    slugs = ["acme", "globex"]
    assert policy.usage_database_name("acme") == "_usage_acme"
    assert policy.usage_database_tenant("_usage_acme", right, slugs) == "acme"
    assert policy.usage_database_tenant("_usage_acme", str(right), slugs) == "acme"  # Postgres
    assert policy.usage_database_tenant("_usage_acme", right.bytes, slugs) == "acme"  # SQLite
    # a name alone, another tenant's UUID, an unknown tenant or another name: nobody's
    assert policy.usage_database_tenant("_usage_acme", uuid.uuid4(), slugs) is None
    assert policy.usage_database_tenant("_usage_acme", policy.usage_uuid("globex", "database"), slugs) is None
    assert policy.usage_database_tenant("_usage_acme", None, slugs) is None
    assert policy.usage_database_tenant("_usage_acme", "not-a-uuid", slugs) is None
    assert (
        policy.usage_database_tenant("_usage_initech", policy.usage_uuid("initech", "database"), slugs)
        is None
    )
    assert policy.usage_database_tenant("acme", right, slugs) is None
    assert policy.usage_uuid("acme", "database") != policy.usage_uuid("acme", "dashboard")


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        for slug, db_id in (("acme", 11), ("globex", 12)):
            store.upsert_tenant(
                connection,
                TenantRecord(
                    slug=slug, name=slug, warehouse={"engine": "duckdb"}, superset_database_id=db_id
                ),
            )
        store.replace_members(connection, "acme", [Membership(user_id=5, username="a@acme", role="admin")])
    return engine


def add_superset_databases(engine: sa.engine.Engine, rows: list[tuple[int, str, bytes | None]]) -> None:
    with engine.begin() as connection:
        connection.execute(
            sa.text("CREATE TABLE dbs (id INTEGER PRIMARY KEY, database_name TEXT, uuid BLOB)")
        )
        for row in rows:
            connection.execute(
                sa.text("INSERT INTO dbs VALUES (:i, :n, :u)"), {"i": row[0], "n": row[1], "u": row[2]}
            )


def test_directory_attributes_usage_databases_to_their_tenant(engine: sa.engine.Engine) -> None:
    add_superset_databases(
        engine,
        [
            (11, "acme", None),
            (21, "_usage_acme", policy.usage_uuid("acme", "database").bytes),
            (22, "_usage_globex", uuid.uuid4().bytes),  # right name, not our UUID
            (23, "_platform_metering", None),
        ],
    )
    directory = TenantDirectory(lambda: engine)
    assert directory.tenant_of_database(11) == "acme"
    assert directory.tenant_of_database(12) == "globex"
    assert directory.tenant_of_database(21) == "acme"
    assert directory.tenant_of_database(22) is None
    assert directory.tenant_of_database(23) is None
    assert directory.tenant_of_user(5).slug == "acme"  # type: ignore[union-attr]


def test_without_superset_tables_only_usage_databases_are_left_out(engine: sa.engine.Engine) -> None:
    with engine.connect() as connection:
        assert usage_databases(connection, ["acme"]) == {}
        assert usage_databases(connection, []) == {}
    directory = TenantDirectory(lambda: engine)
    assert directory.tenant_of_database(11) == "acme"  # the registry is still read
    assert directory.tenant_of_user(5).slug == "acme"  # type: ignore[union-attr]


def test_registry_tenants_carry_their_admins(engine: sa.engine.Engine) -> None:
    found = tenant_dashboard.registry_tenants(engine)
    assert found == [
        tenant_dashboard.TenantUsage("acme", (5,)),
        tenant_dashboard.TenantUsage("globex", ()),
    ]
    assert tenant_dashboard.registry_tenants(engine, ["globex"]) == [
        tenant_dashboard.TenantUsage("globex", ())
    ]
