"""The per-process registry cache that every request consults for the caller's tenant."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from supertenant.registry import store
from supertenant.registry.records import Membership, TenantRecord
from supertenant.registry.tables import metadata
from supertenant.superset_ext.directory import TenantDirectory


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    # Superset's engine is a legacy (non-future) SQLAlchemy 1.4 engine: test on the same kind.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        for slug, host, db_id, roles in (
            ("acme", "acme.example.com", 11, {"admin": 101, "editor": 102, "viewer": 103}),
            ("globex", "GLOBEX.example.com", 12, {"admin": 201, "editor": 202, "viewer": 203}),
        ):
            store.upsert_tenant(
                connection,
                TenantRecord(
                    slug=slug,
                    name=slug.title(),
                    warehouse={"engine": "duckdb"},
                    superset_database_id=db_id,
                    role_ids=roles,
                    branding={"hostnames": [host]},
                    features={"sql_lab": slug == "globex"},
                ),
            )
        store.replace_members(connection, "acme", [Membership(user_id=5, username="a@acme", role="viewer")])
        store.replace_members(
            connection, "globex", [Membership(user_id=6, username="g@globex", role="admin")]
        )
    return engine


def test_resolves_tenant_by_user_host_role_and_database(engine: sa.engine.Engine) -> None:
    directory = TenantDirectory(lambda: engine)
    acme = directory.tenant_of_user(5)
    assert acme is not None
    assert acme.slug == "acme"
    assert directory.tenant_of_user(6).slug == "globex"  # type: ignore[union-attr]
    assert directory.tenant_of_user(7) is None  # platform users belong to no tenant
    assert directory.tenant_of_user(None) is None
    assert directory.tenant_of_host("acme.example.com:8088").slug == "acme"  # type: ignore[union-attr]
    assert directory.tenant_of_host("globex.example.com").slug == "globex"  # type: ignore[union-attr]
    assert directory.tenant_of_host("evil.example.com") is None
    assert directory.tenant_of_role(202) == "globex"
    assert directory.tenant_of_role(999) is None
    assert directory.tenant_of_database(11) == "acme"
    assert directory.tenant_of_database(None) is None
    assert acme.features == {"sql_lab": False}


def test_known_members_are_served_from_the_cache_until_invalidated(engine: sa.engine.Engine) -> None:
    directory = TenantDirectory(lambda: engine, ttl=3600)
    assert directory.tenant_of_user(5).slug == "acme"  # type: ignore[union-attr]
    with engine.begin() as connection:
        store.replace_members(connection, "acme", [])
        store.replace_members(
            connection,
            "globex",
            [
                Membership(user_id=6, username="g@globex", role="admin"),
                Membership(user_id=5, username="a", role="viewer"),
            ],
        )
    assert directory.tenant_of_user(5).slug == "acme"  # type: ignore[union-attr]  # the cached snapshot
    directory.invalidate()
    assert directory.tenant_of_user(5).slug == "globex"  # type: ignore[union-attr]


def test_a_metadata_db_without_registry_tables_means_no_tenants(tmp_path: Path) -> None:
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    directory = TenantDirectory(lambda: empty)
    assert directory.tenant_of_user(1) is None
    assert directory.snapshot().by_slug == {}


def test_a_new_member_is_recognised_at_once_not_served_as_a_platform_user(engine: sa.engine.Engine) -> None:
    import time

    directory = TenantDirectory(lambda: engine, ttl=3600)
    assert directory.tenant_of_user(9) is None
    with engine.begin() as connection:
        store.replace_members(
            connection,
            "globex",
            [
                Membership(user_id=6, username="g@globex", role="admin"),
                Membership(user_id=9, username="n", role="viewer"),
            ],
        )
    time.sleep(0.6)  # older than the miss-reload threshold, far younger than the TTL
    found = directory.tenant_of_user(9)
    assert found is not None
    assert found.slug == "globex"
