"""Per-tenant experience on a real Superset: branding, feature flags, language and home page.

Pages are fetched like a browser does (session cookie from the login form) with
the tenant's hostname in the Host header; the bootstrap JSON the frontend
renders from is read from the page's ``data-bootstrap`` attribute.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import psycopg2
import pytest

from .conftest import Server, Tenants, sign_in

pytestmark = pytest.mark.integration

SAKURA, NORTHWIND = "sakura-shoes", "northwind-outdoor"
HOSTS = {SAKURA: "sakura.localhost", NORTHWIND: "northwind.localhost"}
_BOOTSTRAP = re.compile(r'data-bootstrap="([^"]*)"')


def bootstrap(page: httpx.Response) -> dict[str, Any]:
    """The bootstrap payload of a Superset page."""
    assert page.status_code == 200, page.text[:500]
    found = _BOOTSTRAP.search(page.text)
    assert found, "no bootstrap data on the page"
    payload: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return payload


def title(page: httpx.Response) -> str:
    found = re.search(r"<title>\s*(.*?)\s*</title>", page.text, re.S)
    return html.unescape(found.group(1)) if found else ""


def anonymous(server: Server, host: str | None) -> httpx.Client:
    headers = {"Host": host} if host else {}
    return httpx.Client(base_url=server.url, headers=headers, follow_redirects=False, timeout=60)


@contextmanager
def browser(
    server: Server, tenants: Tenants, slug: str, role: str, host: str | None = ""
) -> Iterator[httpx.Client]:
    """A signed-in page session of a tenant user, on the tenant's hostname unless ``host`` says otherwise."""
    user = next(u for u in tenants.specs[slug].users if u.role == role)
    with anonymous(server, HOSTS[slug] if host == "" else host) as client:
        sign_in(client, user.email, tenants.passwords[user.email])
        yield client


def home_dashboard_id(server: Server, slug: str) -> int:
    with server.admin() as admin:
        record = admin.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
    assert record["home_dashboard_id"], f"{slug} has no Getting Started dashboard"
    return int(record["home_dashboard_id"])


def home_page(client: httpx.Client) -> httpx.Response:
    """Superset's home as a browser reaches it: ``/superset/welcome/``, following the redirect."""
    response = client.get("/superset/welcome/")
    if response.is_redirect:
        response = client.get(response.headers["location"])
    return response


@pytest.mark.parametrize("slug", [SAKURA, NORTHWIND])
@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_signed_in_users_see_their_tenants_brand(
    server: Server, tenants: Tenants, slug: str, role: str
) -> None:
    branding = tenants.specs[slug].branding
    with browser(server, tenants, slug, role) as client:
        page = home_page(client)
    token = bootstrap(page)["common"]["theme"]["default"]["token"]
    assert token["brandAppName"] == branding.app_name
    assert token["colorPrimary"] == branding.primary_color
    assert token["brandLogoUrl"].startswith("/supertenant/logo.svg?v=")


def test_brand_follows_the_user_on_the_platforms_own_hostname(server: Server, tenants: Tenants) -> None:
    with browser(server, tenants, NORTHWIND, "editor", host=None) as client:
        token = bootstrap(home_page(client))["common"]["theme"]["default"]["token"]
    assert token["brandAppName"] == "Northwind Insights"


def test_login_page_follows_the_hostname(server: Server, tenants: Tenants) -> None:
    """Twice round, so the second pass reads Superset's memoized bootstrap: it must not leak across hosts."""
    expected = {
        HOSTS[SAKURA]: ("Sakura Analytics", "#d94f70", "ja"),
        HOSTS[NORTHWIND]: ("Northwind Insights", "#2f6f4f", "en"),
    }
    for _ in range(2):
        for host, (name, color, locale) in expected.items():
            with anonymous(server, host) as client:
                page = client.get("/login/")
            common = bootstrap(page)["common"]
            token = common["theme"]["default"]["token"]
            assert (token["brandAppName"], token["colorPrimary"], common["locale"]) == (name, color, locale)
            assert title(page) == name
        with anonymous(server, None) as client:
            platform = bootstrap(client.get("/login/"))["common"]
        assert platform["theme"]["default"]["token"]["brandAppName"] not in {
            n for n, _, _ in expected.values()
        }
        assert platform["locale"] == "en"


def test_generated_logo_per_hostname(server: Server, tenants: Tenants) -> None:
    with anonymous(server, HOSTS[SAKURA]) as client:
        sakura = client.get("/supertenant/logo.svg")
    with anonymous(server, HOSTS[NORTHWIND]) as client:
        northwind = client.get("/supertenant/logo.svg")
    with anonymous(server, None) as client:
        platform = client.get("/supertenant/logo.svg")
    assert sakura.status_code == northwind.status_code == 200
    assert sakura.headers["content-type"].startswith("image/svg+xml")
    assert "#d94f70" in sakura.text
    assert ">SA<" in sakura.text
    assert "#2f6f4f" in northwind.text
    assert ">NI<" in northwind.text
    assert platform.status_code == 404


def test_anonymous_login_page_can_load_its_language_pack(server: Server, tenants: Tenants) -> None:
    with anonymous(server, HOSTS[SAKURA]) as client:
        pack = client.get("/superset/language_pack/ja/")
        unknown = client.get("/superset/language_pack/fr/")
    assert pack.status_code == 200
    assert pack.json()["domain"] == "superset"
    assert unknown.status_code != 200  # only the configured languages are public


def test_feature_flags_differ_per_tenant(server: Server, tenants: Tenants) -> None:
    with browser(server, tenants, NORTHWIND, "admin") as client:
        northwind = bootstrap(home_page(client))
    with browser(server, tenants, SAKURA, "admin") as client:
        sakura = bootstrap(home_page(client))
    assert northwind["common"]["feature_flags"]["SUPERTENANT_SQL_LAB"] is True
    assert sakura["common"]["feature_flags"]["SUPERTENANT_SQL_LAB"] is False
    for payload in (northwind, sakura):
        flags = payload["common"]["feature_flags"]
        assert flags["SUPERTENANT_EXPLORE"] is True
        assert flags["SUPERTENANT_CHAT"] is True
        assert flags["SUPERTENANT_CSV_EXPORT"] is True
        assert flags["ALERT_REPORTS"] is False

    def menu_names(payload: dict[str, Any]) -> set[str]:
        names = set()
        for item in payload["common"]["menu_data"]["menu"]:
            names.add(item.get("name"))
            names.update(c.get("name") for c in item.get("childs") or [] if isinstance(c, dict))
        return names

    def holds(payload: dict[str, Any], perm: str, view: str) -> bool:
        return any([perm, view] in pairs for pairs in payload["user"]["roles"].values())

    assert "SQL Editor" in menu_names(northwind)
    assert "SQL Editor" not in menu_names(sakura)
    assert holds(northwind, "can_sqllab", "Superset")
    assert not holds(sakura, "can_sqllab", "Superset")


def test_sql_lab_is_refused_to_sakura_and_open_to_northwind(server: Server, tenants: Tenants) -> None:
    with browser(server, tenants, SAKURA, "admin") as client:
        assert client.get("/sqllab/").status_code == 403
        assert client.get("/api/v1/sqllab/").status_code == 403
        assert client.get("/explore/").status_code == 200  # sakura keeps Explore
    with browser(server, tenants, NORTHWIND, "admin") as client:
        assert client.get("/sqllab/").status_code == 200


def _pvm_ids(cursor: Any, pairs: list[tuple[str, str]]) -> list[int]:
    cursor.execute(
        "SELECT pv.id FROM ab_permission_view pv JOIN ab_permission p ON p.id = pv.permission_id "
        "JOIN ab_view_menu v ON v.id = pv.view_menu_id WHERE (p.name, v.name) IN %s",
        (tuple(pairs),),
    )
    return [row[0] for row in cursor.fetchall()]


def test_sql_lab_stays_refused_when_a_permission_slips_in(server: Server, tenants: Tenants) -> None:
    """Even with SQL Lab's permissions granted by mistake, a tenant with the feature off is refused."""
    role = tenants.specs[SAKURA].role_name("admin")
    slipped = [("can_sqllab", "Superset"), ("can_read", "SQLLab"), ("menu_access", "SQL Lab")]
    dsn = server.metadata_db_url.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ab_role WHERE name = %s", (role,))
        role_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT permission_view_id FROM ab_permission_view_role WHERE role_id = %s", (role_id,)
        )
        held = {row[0] for row in cursor.fetchall()}
        added = [pvm for pvm in _pvm_ids(cursor, slipped) if pvm not in held]
        assert added, "nothing to slip in"
        for pvm in added:
            cursor.execute(
                "INSERT INTO ab_permission_view_role (id, permission_view_id, role_id) "
                "VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM ab_permission_view_role), %s, %s)",
                (pvm, role_id),
            )
    try:
        with browser(server, tenants, SAKURA, "admin") as client:
            assert client.get("/sqllab/").status_code == 403
            assert client.get("/api/v1/sqllab/").status_code == 403
            payload = bootstrap(home_page(client))
        assert not any(["can_sqllab", "Superset"] in pairs for pairs in payload["user"]["roles"].values())
    finally:
        with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM ab_permission_view_role WHERE role_id = %s AND permission_view_id = ANY(%s)",
                (role_id, added),
            )


@pytest.mark.parametrize(("slug", "locale"), [(SAKURA, "ja"), (NORTHWIND, "en")])
@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_tenant_locale_is_the_default_language(
    server: Server, tenants: Tenants, slug: str, locale: str, role: str
) -> None:
    with browser(server, tenants, slug, role) as client:
        common = bootstrap(home_page(client))["common"]
    assert common["locale"] == locale
    assert common["menu_data"]["navbar_right"]["locale"] == locale


def test_a_users_own_language_choice_wins(server: Server, tenants: Tenants) -> None:
    with browser(server, tenants, SAKURA, "viewer") as client:
        assert client.get("/lang/en").status_code == 302
        assert bootstrap(home_page(client))["common"]["locale"] == "en"
        client.get("/lang/ja")
        assert bootstrap(home_page(client))["common"]["locale"] == "ja"


@pytest.mark.parametrize("slug", [SAKURA, NORTHWIND])
def test_home_is_the_getting_started_dashboard(server: Server, tenants: Tenants, slug: str) -> None:
    home = home_dashboard_id(server, slug)
    with browser(server, tenants, slug, "viewer") as client:
        root = client.get("/")
        welcome = client.get("/superset/welcome/")
        dashboard = client.get(welcome.headers["location"])
    assert root.is_redirect
    assert welcome.status_code == 302
    assert welcome.headers["location"].endswith(f"/superset/dashboard/{home}/")
    assert dashboard.status_code == 200
    assert bootstrap(dashboard)["common"]["theme"]["default"]["token"]["brandAppName"]


def test_platform_admin_keeps_superset_home_and_flags(server: Server, tenants: Tenants) -> None:
    with anonymous(server, None) as client:
        sign_in(client, server.admin_username, server.admin_password)
        welcome = client.get("/superset/welcome/")
    assert welcome.status_code == 200
    flags = bootstrap(welcome)["common"]["feature_flags"]
    assert "SUPERTENANT_SQL_LAB" not in flags
