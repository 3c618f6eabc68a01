"""The tenant registry on a temporary SQLite metadata DB: migrations, the SQLite repair, store, records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from supertenant.errors import ConfigError
from supertenant.registry import migrate, store
from supertenant.registry.migrate import VERSION_TABLE, current_revision, head_revision, upgrade
from supertenant.registry.records import (
    SECRET_WAREHOUSE_KEYS,
    Membership,
    TenantRecord,
    without_secrets,
)

SUPERSET_REVISION = "a1b2c3d4e5f6"  # a fake Superset head in Superset's own alembic_version

# The column list of Superset 6.1's `tables` on SQLite, as SQLAlchemy writes it (one element a line,
# closing parenthesis on its own line) — which is how `superset db upgrade` leaves it.
TABLES_DDL = (
    'CREATE TABLE "tables" (\n'
    "\tcreated_on DATETIME NOT NULL, \n"
    "\tchanged_on DATETIME NOT NULL, \n"
    "\tid INTEGER NOT NULL, \n"
    "\ttable_name VARCHAR(250) NOT NULL, \n"
    "\tdatabase_id INTEGER NOT NULL, \n"
    "\tschema VARCHAR(255), \n"
    "\tcatalog VARCHAR(256), \n"
    "\tuuid NUMERIC(16), \n"
    "\tPRIMARY KEY (id), \n"
    "\tCONSTRAINT uq_tables_uuid UNIQUE (uuid), \n"
    "\tUNIQUE (table_name)\n"
    ")"
)
# The same table written on one line.
TABLES_DDL_ONE_LINE = (
    'CREATE TABLE "tables" (created_on DATETIME NOT NULL, changed_on DATETIME NOT NULL, id INTEGER NOT NULL, '
    "table_name VARCHAR(250) NOT NULL, database_id INTEGER NOT NULL, schema VARCHAR(255), "
    "catalog VARCHAR(256), uuid NUMERIC(16), PRIMARY KEY (id), CONSTRAINT uq_tables_uuid UNIQUE (uuid), "
    "UNIQUE (table_name))"
)
TABLES_INDEX = "CREATE INDEX ix_tables_database_id ON tables (database_id)"
NOW = "2025-11-28 12:00:00"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def make_superset_db(path: Path, *, tables_ddl: str | None = TABLES_DDL, ab_user: bool = True) -> str:
    """A SQLite file with just enough of Superset's schema, including its own alembic_version."""
    engine = sa.create_engine(sqlite_url(path))
    with engine.begin() as conn:
        if ab_user:
            conn.exec_driver_sql("CREATE TABLE ab_user (id INTEGER PRIMARY KEY, username VARCHAR(64))")
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:rev)"), {"rev": SUPERSET_REVISION})
        if tables_ddl:
            conn.exec_driver_sql(tables_ddl)
            if "database_id" in tables_ddl:
                conn.exec_driver_sql(TABLES_INDEX)
    engine.dispose()
    return sqlite_url(path)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return make_superset_db(tmp_path / "superset.db")


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(db_url, future=True)
    yield engine
    engine.dispose()


def insert_dataset(
    engine: sa.engine.Engine, id_: int, table: str, db: int, schema: str, catalog: str
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO "tables" '
                "(created_on, changed_on, id, table_name, database_id, schema, catalog, uuid) "
                "VALUES (:now, :now, :id, :table, :db, :schema, :catalog, :uuid)"
            ),
            {
                "now": NOW,
                "id": id_,
                "table": table,
                "db": db,
                "schema": schema,
                "catalog": catalog,
                "uuid": id_,
            },
        )


def table_names(engine: sa.engine.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def tables_sql(engine: sa.engine.Engine) -> str:
    with engine.connect() as conn:
        return str(conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'tables'").scalar())


def all_rows(engine: sa.engine.Engine, table: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        query = f'SELECT * FROM "{table}" ORDER BY 1'  # noqa: S608 (fixed table names from the tests)
        return [tuple(r) for r in conn.exec_driver_sql(query)]


# --- migrations ------------------------------------------------------------------------------


@pytest.mark.parametrize("tables_ddl", [None, TABLES_DDL])
def test_upgrade_refuses_a_db_without_superset_tables(tmp_path: Path, tables_ddl: str | None) -> None:
    path = tmp_path / "empty.db"
    url = make_superset_db(path, tables_ddl=tables_ddl, ab_user=False)
    with pytest.raises(ConfigError, match=r"superset db upgrade"):
        upgrade(url)
    engine = sa.create_engine(url)
    assert not {"tenants", "tenant_memberships", VERSION_TABLE} & table_names(engine)
    engine.dispose()


def test_upgrade_creates_the_registry_beside_superset(db_url: str, engine: sa.engine.Engine) -> None:
    assert upgrade(db_url) == head_revision()
    assert {"tenants", "tenant_memberships", VERSION_TABLE} <= table_names(engine)
    assert all_rows(engine, VERSION_TABLE) == [(head_revision(),)]
    assert all_rows(engine, "alembic_version") == [(SUPERSET_REVISION,)]
    assert current_revision(engine) == head_revision()


def test_upgrade_is_idempotent(db_url: str, engine: sa.engine.Engine) -> None:
    first = upgrade(db_url)
    insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
    with engine.begin() as conn:
        store.upsert_tenant(conn, TenantRecord(slug="acme", name="Acme", warehouse={"engine": "duckdb"}))
    ddl = tables_sql(engine)

    assert upgrade(db_url) == first
    assert migrate.relax_sqlite_dataset_name_constraint(engine) is False
    assert tables_sql(engine) == ddl
    assert all_rows(engine, VERSION_TABLE) == [(first,)]
    assert all_rows(engine, "alembic_version") == [(SUPERSET_REVISION,)]
    assert [r[1] for r in all_rows(engine, "tables")] == [NOW]
    with engine.connect() as conn:
        assert [t.slug for t in store.list_tenants(conn)] == ["acme"]


def test_the_stray_unique_is_really_there_before(engine: sa.engine.Engine) -> None:
    """The fixture reproduces the problem: a second tenant's dataset of the same name is refused."""
    insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
    with pytest.raises(sa.exc.IntegrityError):
        insert_dataset(engine, 2, "ads_campaign_daily", 2, "nippon", "main")


@pytest.mark.parametrize(
    ("db", "schema", "catalog"),
    [
        (2, "nippon", "main"),  # another tenant's connection and schema
        (1, "nippon", "main"),  # same connection, another schema
        (2, "acme", "main"),  # another connection, same schema name
        (1, "acme", "other"),  # another catalog
    ],
)
def test_same_table_name_elsewhere_is_accepted_after_upgrade(
    db_url: str, engine: sa.engine.Engine, db: int, schema: str, catalog: str
) -> None:
    upgrade(db_url)
    insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
    insert_dataset(engine, 2, "ads_campaign_daily", db, schema, catalog)
    assert [r[3] for r in all_rows(engine, "tables")] == ["ads_campaign_daily"] * 2


def test_exact_duplicate_dataset_is_still_refused(db_url: str, engine: sa.engine.Engine) -> None:
    upgrade(db_url)
    insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
    with pytest.raises(sa.exc.IntegrityError):
        insert_dataset(engine, 2, "ads_campaign_daily", 1, "acme", "main")


def test_other_constraints_and_indexes_survive_the_rebuild(db_url: str, engine: sa.engine.Engine) -> None:
    upgrade(db_url)
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("tables")}
    assert "ix_tables_database_id" in indexes
    insert_dataset(engine, 1, "a", 1, "acme", "main")
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):  # uq_tables_uuid
        conn.execute(
            sa.text(
                'INSERT INTO "tables" (created_on, changed_on, id, table_name, database_id, uuid) '
                "VALUES (:now, :now, 2, 'b', 2, 1)"
            ),
            {"now": NOW},
        )


def test_existing_rows_survive_the_rebuild(db_url: str, engine: sa.engine.Engine) -> None:
    insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
    insert_dataset(engine, 7, "ads_keyword_daily", 1, "acme", "main")
    before = all_rows(engine, "tables")
    upgrade(db_url)
    assert all_rows(engine, "tables") == before
    assert "tables_new" not in table_names(engine)


@pytest.mark.parametrize(
    "ddl",
    [
        None,
        'CREATE TABLE "tables" (\n\tid INTEGER NOT NULL, \n\ttable_name VARCHAR(250) NOT NULL, '
        "\n\tPRIMARY KEY (id)\n)",
    ],
)
def test_relax_leaves_other_schemas_alone(tmp_path: Path, ddl: str | None) -> None:
    url = make_superset_db(tmp_path / "s.db", tables_ddl=ddl)
    engine = sa.create_engine(url)
    before = tables_sql(engine) if ddl else None
    assert migrate.relax_sqlite_dataset_name_constraint(engine) is False
    assert (tables_sql(engine) if ddl else None) == before
    engine.dispose()


def test_one_line_ddl_is_relaxed_too(tmp_path: Path) -> None:
    url = make_superset_db(tmp_path / "one_line.db", tables_ddl=TABLES_DDL_ONE_LINE)
    engine = sa.create_engine(url)
    try:
        insert_dataset(engine, 1, "ads_campaign_daily", 1, "acme", "main")
        upgrade(url)
        insert_dataset(engine, 2, "ads_campaign_daily", 2, "nippon", "main")
        assert len(all_rows(engine, "tables")) == 2
    finally:
        engine.dispose()


# --- store -----------------------------------------------------------------------------------


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[sa.engine.Connection]:
    """A connection to a migrated registry (Superset's `tables` left out: the store never uses it)."""
    url = make_superset_db(tmp_path / "registry.db", tables_ddl=None)
    upgrade(url)
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        yield connection
    engine.dispose()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """The store's ``now``: pops the next of these times (append before each write)."""
    times: list[datetime] = []
    monkeypatch.setattr(store, "datetime", SimpleNamespace(now=lambda tz: times.pop(0)))
    return times


T1 = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2025, 6, 1, 18, 30, tzinfo=UTC)


def naive(value: datetime | None) -> datetime | None:
    """SQLite keeps no offset; compare wall-clock UTC times."""
    return value.replace(tzinfo=None) if value else None


def record(slug: str = "acme", **overrides: Any) -> TenantRecord:
    data: dict[str, Any] = {
        "slug": slug,
        "name": f"{slug.title()} Inc.",
        "warehouse": {
            "engine": "duckdb",
            "path": "w.duckdb",
            "schema": slug,
            "account_ids": ["123-456-7890"],
        },
        **overrides,
    }
    return TenantRecord.model_validate(data)


def member(user_id: int, role: str = "viewer") -> Membership:
    return Membership(user_id=user_id, username=f"user{user_id}", role=role)  # type: ignore[arg-type]


def test_upsert_inserts_then_updates_by_slug(conn: sa.engine.Connection, clock: list[datetime]) -> None:
    clock.append(T1)
    created = store.upsert_tenant(conn, record(status="provisioning"))
    assert (naive(created.created_at), naive(created.updated_at)) == (naive(T1), naive(T1))
    first_id = store.tenant_id(conn, "acme")

    clock.append(T2)
    updated = store.upsert_tenant(conn, record(name="Acme Renamed", status="active", role_ids={"admin": 4}))
    assert (updated.name, updated.status, updated.role_ids) == ("Acme Renamed", "active", {"admin": 4})
    assert naive(updated.created_at) == naive(T1)
    assert naive(updated.updated_at) == naive(T2)
    assert store.tenant_id(conn, "acme") == first_id
    assert len(store.list_tenants(conn)) == 1


def test_caller_timestamps_are_ignored(conn: sa.engine.Connection, clock: list[datetime]) -> None:
    clock.append(T2)
    past = datetime(2000, 1, 1, tzinfo=UTC)
    stored = store.upsert_tenant(conn, record(created_at=past, updated_at=past))
    assert naive(stored.created_at) == naive(T2)
    assert naive(stored.updated_at) == naive(T2)


def test_every_field_round_trips(conn: sa.engine.Connection) -> None:
    full = record(
        "nippon",
        name="日本シューズ",
        locale="ja",
        plan="premium",
        status="active",
        isolation="dedicated",
        superset_database_id=12,
        role_ids={"admin": 1, "editor": 2, "viewer": 3},
        dashboard_ids={"google_ads_overview": 10},
        home_dashboard_id=10,
        branding={"primary_color": "#d94f70"},
        features={"sql_lab": True},
        spec_digest="ab" * 32,
    )
    stored = store.upsert_tenant(conn, full)
    assert stored.model_dump(exclude={"created_at", "updated_at"}) == full.model_dump(
        exclude={"created_at", "updated_at"}
    )
    assert store.get_tenant(conn, "nippon") == stored


@pytest.mark.parametrize("secret_key", sorted(SECRET_WAREHOUSE_KEYS))
def test_upsert_never_stores_warehouse_credentials(conn: sa.engine.Connection, secret_key: str) -> None:
    warehouse = {"engine": "bigquery", "project": "acme-prod", "dataset": "ads", secret_key: "TOP-SECRET"}
    stored = store.upsert_tenant(conn, record(warehouse=warehouse))
    assert stored.warehouse == {"engine": "bigquery", "project": "acme-prod", "dataset": "ads"}
    raw = conn.execute(sa.text("SELECT warehouse FROM tenants WHERE slug = 'acme'")).scalar()
    assert "TOP-SECRET" not in str(raw)


@pytest.mark.parametrize(
    ("warehouse", "expected"),
    [
        ({"engine": "duckdb", "path": "x"}, {"engine": "duckdb", "path": "x"}),
        ({"engine": "bigquery", "credentials_info": {"k": 1}}, {"engine": "bigquery"}),
        ({"password": "p", "private_key": "k", "credentials": "c", "credentials_json": "j"}, {}),
        ({"credentials_file": "/s/key.json"}, {"credentials_file": "/s/key.json"}),  # a path, not a secret
        ({}, {}),
    ],
)
def test_without_secrets(warehouse: dict[str, Any], expected: dict[str, Any]) -> None:
    assert without_secrets(warehouse) == expected


def test_list_is_ordered_by_slug_and_get_misses_cleanly(conn: sa.engine.Connection) -> None:
    for slug in ("zeta", "alpha", "mid-co"):
        store.upsert_tenant(conn, record(slug))
    assert [t.slug for t in store.list_tenants(conn)] == ["alpha", "mid-co", "zeta"]
    assert store.get_tenant(conn, "absent") is None
    assert store.tenant_id(conn, "absent") is None


def test_replace_members_makes_membership_exact(conn: sa.engine.Connection) -> None:
    store.upsert_tenant(conn, record("acme"))
    steps: list[list[Membership]] = [
        [member(1, "admin"), member(2)],
        [member(2, "editor"), member(3)],  # 1 removed, 2 changes role, 3 added
        [],
        [member(4)],
    ]
    for members in steps:
        store.replace_members(conn, "acme", members)
        assert store.list_members(conn, "acme") == sorted(members, key=lambda m: m.username)


def test_a_user_of_another_tenant_is_refused(conn: sa.engine.Connection) -> None:
    store.upsert_tenant(conn, record("acme"))
    store.upsert_tenant(conn, record("nippon"))
    store.replace_members(conn, "acme", [member(7), member(9)])
    store.replace_members(conn, "nippon", [member(8)])

    with pytest.raises(ValueError, match=r"\[7, 9\]") as caught:
        store.replace_members(conn, "nippon", [member(9), member(8), member(7), member(10)])
    assert "another tenant" in str(caught.value)
    assert [m.user_id for m in store.list_members(conn, "nippon")] == [8]  # unchanged
    assert [m.user_id for m in store.list_members(conn, "acme")] == [7, 9]


def test_replace_members_of_an_unknown_tenant(conn: sa.engine.Connection) -> None:
    with pytest.raises(LookupError, match="ghost"):
        store.replace_members(conn, "ghost", [member(1)])
    with pytest.raises(LookupError, match="ghost"):
        store.replace_members(conn, "ghost", [])


def test_tenant_of_user(conn: sa.engine.Connection) -> None:
    store.upsert_tenant(conn, record("acme"))
    store.upsert_tenant(conn, record("nippon"))
    store.replace_members(conn, "acme", [member(1), member(2, "admin")])
    store.replace_members(conn, "nippon", [member(3)])
    assert {uid: store.tenant_of_user(conn, uid) for uid in (1, 2, 3, 99)} == {
        1: "acme",
        2: "acme",
        3: "nippon",
        99: None,
    }


def test_delete_removes_the_tenant_and_its_memberships(conn: sa.engine.Connection) -> None:
    store.upsert_tenant(conn, record("acme"))
    store.upsert_tenant(conn, record("nippon"))
    store.replace_members(conn, "acme", [member(1), member(2)])
    store.replace_members(conn, "nippon", [member(3)])

    assert store.delete_tenant(conn, "acme") is True
    assert store.get_tenant(conn, "acme") is None
    assert store.tenant_of_user(conn, 1) is None
    count = conn.execute(sa.text("SELECT COUNT(*) FROM tenant_memberships WHERE user_id IN (1, 2)")).scalar()
    assert count == 0
    assert store.tenant_of_user(conn, 3) == "nippon"
    assert store.delete_tenant(conn, "acme") is False
    store.replace_members(conn, "nippon", [member(3), member(1)])  # user 1 is free again
    assert store.tenant_of_user(conn, 1) == "nippon"


# --- records ---------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", ["ab", "acme", "sakura-shoes", "a1-b2", "x" * 40])
def test_valid_slugs(slug: str) -> None:
    assert record(slug).slug == slug


@pytest.mark.parametrize(
    "slug",
    [
        "a",
        "",
        "-acme",
        "acme-",
        "Acme",
        "ac_me",
        "ac me",
        "acme.io",
        "x" * 41,
        "acme\n",
    ],
)
def test_bad_slugs_are_rejected(slug: str) -> None:
    with pytest.raises(ValidationError) as caught:
        record(slug)
    assert [e["loc"] for e in caught.value.errors()] == [("slug",)]


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"credentials": "x"}, ("credentials",)),
        ({"name": ""}, ("name",)),
        ({"locale": "fr"}, ("locale",)),
        ({"status": "deleted"}, ("status",)),
        ({"isolation": "private"}, ("isolation",)),
        ({"warehouse": None}, ("warehouse",)),
    ],
)
def test_bad_records_are_rejected(overrides: dict[str, Any], loc: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        record(**overrides)
    assert loc in [e["loc"] for e in caught.value.errors()]


@pytest.mark.parametrize(
    "data",
    [
        {"user_id": 1, "username": "u", "role": "owner"},
        {"user_id": 1, "username": "u", "role": "viewer", "tenant": "acme"},
        {"username": "u", "role": "viewer"},
    ],
)
def test_bad_memberships_are_rejected(data: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Membership.model_validate(data)
