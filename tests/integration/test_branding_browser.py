"""Each tenant's users see their tenant's Superset in a real browser: name, logo, colour, language.

Headless Debian Chromium (``/usr/bin/chromium``, ``apt-get install -y chromium``)
driven by Playwright's Python API; Playwright's own browser downloads are never
used. ``*.localhost`` is mapped to 127.0.0.1 with Chromium's host resolver
rules, so the tenants' hostnames reach the test server. It lives next to the
other integration tests to share their one Superset server. Screenshots go to
``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from .browser import TIMEOUT_MS, launched_chromium, shot, submit_login_form
from .conftest import Server, Tenants

pytestmark = pytest.mark.integration


# What each demo tenant's users must see; the texts are Superset's own UI strings in the tenant's language.
EXPECTED: dict[str, dict[str, Any]] = {
    "sakura-shoes": {
        "host": "sakura.localhost",
        "name": "Sakura Analytics",
        "rgb": "rgb(217, 79, 112)",  # #d94f70
        "login_label": "ユーザー名",
        "menu": "ダッシュボード",
        "locale": "ja",
        "other": "northwind-outdoor",
    },
    "northwind-outdoor": {
        "host": "northwind.localhost",
        "name": "Northwind Insights",
        "rgb": "rgb(47, 111, 79)",  # #2f6f4f
        "login_label": "Username:",
        "menu": "Dashboards",
        "locale": "en",
        "other": "sakura-shoes",
    },
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


def dashboard_titles(server: Server, slug: str) -> list[str]:
    with server.admin() as admin:
        record = admin.get(f"/api/v1/supertenant/tenants/{slug}")["result"]
        return [
            admin.get(f"/api/v1/dashboard/{dashboard_id}")["result"]["dashboard_title"]
            for dashboard_id in record["dashboard_ids"].values()
        ]


def visible_text(page: Any, text: str) -> Any:
    """The first *visible* element with exactly this text."""
    return page.get_by_text(text, exact=True).filter(visible=True).first


def wait_for_charts(page: Any, answered: list[int]) -> None:
    """Until every chart on the dashboard has its data (or 60 s): the screenshot then shows charts."""
    holders = page.locator('[data-test="dashboard-component-chart-holder"]')
    holders.first.wait_for()
    deadline = time.monotonic() + 60
    while len(answered) < holders.count() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    page.wait_for_timeout(1000)  # let the charts draw


@pytest.mark.parametrize("slug", ["sakura-shoes", "northwind-outdoor"])
def test_tenant_user_sees_their_brand_and_language_in_chromium(
    server: Server, tenants: Tenants, chromium: Any, slug: str
) -> None:
    expected = EXPECTED[slug]
    user = next(u for u in tenants.specs[slug].users if u.role == "viewer")
    port = urlsplit(server.url).port
    base = f"http://{expected['host']}:{port}"
    own_titles = dashboard_titles(server, slug)
    other_titles = dashboard_titles(server, expected["other"])
    # The browser asks for English: the language must come from the tenant, not from the browser.
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    chart_data: list[int] = []
    page.on("response", lambda r: chart_data.append(r.status) if "/api/v1/chart/data" in r.url else None)
    try:
        # The login page: the hostname's brand, colour and language before anyone signs in.
        page.goto(f"{base}/login/")
        page.locator('[data-test="login-form"]').wait_for()
        page.get_by_text(expected["login_label"]).filter(visible=True).first.wait_for()
        assert page.title() == expected["name"]
        button = page.locator('[data-test="login-button"]')
        assert button.evaluate("e => getComputedStyle(e).backgroundColor") == expected["rgb"]
        shot(page, f"{slug}-1-login")

        submit_login_form(page, user.email, tenants.passwords[user.email])

        # Home: the tenant's Getting Started dashboard, its logo in the navbar, its language in the menu.
        page.wait_for_url(re.compile(r".*/superset/dashboard/\d+/.*"))
        logo = page.locator(f'img[alt="{expected["name"]}"]').first
        logo.wait_for()
        assert "/supertenant/logo.svg" in (logo.get_attribute("src") or "")
        page.wait_for_function(
            "alt => [...document.images].some(i => i.alt === alt && i.complete && i.naturalWidth > 0)",
            arg=expected["name"],
        )
        # The server chose the tenant's language (not the browser's) ...
        bootstrap = json.loads(page.locator("#app").get_attribute("data-bootstrap") or "{}")
        assert bootstrap["common"]["locale"] == expected["locale"]
        # ... and the menu shows it. Antd's overflowing menu keeps hidden measuring copies of its
        # items, so the first match may be invisible: wait for a visible one.
        visible_text(page, expected["menu"]).wait_for()
        assert page.title() in own_titles
        wait_for_charts(page, chart_data)
        assert chart_data
        assert set(chart_data) == {200}
        shot(page, f"{slug}-2-home")

        # The dashboard list: the tenant's own dashboards, under their (localised) titles, nobody else's.
        page.goto(f"{base}/dashboard/list/")
        for title in own_titles:
            visible_text(page, title).wait_for()
        body = page.locator("body").inner_text()
        assert not [t for t in other_titles if t not in own_titles and t in body]
        shot(page, f"{slug}-3-dashboards")
    except Exception:
        shot(page, f"{slug}-failed")  # what the page showed when the test gave up
        raise
    finally:
        context.close()
