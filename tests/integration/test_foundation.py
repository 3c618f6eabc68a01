"""The foundation on a real Superset: extension loaded, Postgres + Redis in use, logins, registry."""

from __future__ import annotations

import re

import httpx
import psycopg2
import pytest
import redis
import sqlalchemy as sa

from supertenant.errors import NotFoundError
from supertenant.registry.migrate import head_revision

from .conftest import Server, Tenants

pytestmark = pytest.mark.integration


def test_extension_is_loaded_and_registry_migrated(server: Server) -> None:
    with server.admin() as admin:
        status = admin.get("/api/v1/supertenant/status")
    assert status["registry_revision"] == head_revision()
    assert status["registry_head"] == head_revision()


def test_metadata_lives_in_postgres_with_registry_tables(server: Server, tenants: Tenants) -> None:
    engine = sa.create_engine(server.metadata_db_url)
    try:
        with engine.connect() as connection:
            slugs = connection.execute(sa.text("SELECT slug FROM tenants ORDER BY slug")).scalars().all()
            version = connection.execute(
                sa.text("SELECT version_num FROM supertenant_alembic_version")
            ).scalar()
            superset_version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert slugs == sorted(tenants.specs)
    assert version == head_revision()
    assert superset_version != version  # two version tables, never mixed


def test_chart_data_is_cached_in_redis(server: Server, tenants: Tenants) -> None:
    client = redis.Redis.from_url(server.redis_url)
    with tenants.login(server, "northwind-outdoor", "viewer") as viewer:
        dataset = next(iter(viewer.iter_list("dataset")))
        viewer.post("/api/v1/chart/data", _cost_by_account(dataset["id"]))
    keys = [k.decode() for k in client.scan_iter("supertenant_*")]
    client.close()
    assert any(k.startswith("supertenant_data_") for k in keys), keys


@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_every_tenant_login_works_over_the_api(
    server: Server, tenants: Tenants, slug: str, role: str
) -> None:
    with tenants.login(server, slug, role) as client:
        me = client.get("/api/v1/me/")["result"]
    assert me["username"] == next(u.email for u in tenants.specs[slug].users if u.role == role)


def test_login_form_in_the_ui(server: Server, tenants: Tenants) -> None:
    user = tenants.specs["sakura-shoes"].users[0]
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        page = browser.get("/login/")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "login page has no CSRF token"
        response = browser.post(
            "/login/",
            data={
                "csrf_token": token.group(1),
                "username": user.email,
                "password": tenants.passwords[user.email],
            },
        )
        assert response.status_code == 302
        assert "/login" not in response.headers["location"]
        assert browser.get("/api/v1/me/").json()["result"]["username"] == user.email


def test_wrong_password_is_refused(server: Server, tenants: Tenants) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/security/login",
        json={"username": "viewer@sakura-shoes.example", "password": "wrong", "provider": "db"},
    )
    assert response.status_code == 401


def test_registry_api_is_platform_admin_only(server: Server, tenants: Tenants) -> None:
    """Tenant users get "not found", as if the registry did not exist."""
    for role in ("admin", "editor", "viewer"):
        with tenants.login(server, "sakura-shoes", role) as user, pytest.raises(NotFoundError):
            user.get("/api/v1/supertenant/tenants/")


def test_gamma_does_not_get_the_registry_permission(server: Server) -> None:
    dsn = server.metadata_db_url.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.name FROM ab_permission_view_role pvr
            JOIN ab_role r ON r.id = pvr.role_id
            JOIN ab_permission_view pv ON pv.id = pvr.permission_view_id
            JOIN ab_view_menu v ON v.id = pv.view_menu_id
            WHERE v.name = 'SupertenantRegistry'
            """
        )
        holders = sorted({row[0] for row in cursor.fetchall()})
    assert holders == ["Admin"]


def _cost_by_account(dataset_id: int) -> dict[str, object]:
    return {
        "datasource": {"id": dataset_id, "type": "table"},
        "queries": [{"columns": ["account_id"], "metrics": ["cost"], "filters": [], "row_limit": 100}],
        "result_format": "json",
        "result_type": "full",
    }
