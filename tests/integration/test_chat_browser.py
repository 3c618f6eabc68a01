"""A sakura user asks for a chart in Japanese on the chat page, opens the link, and sees the chart.

Headless Debian Chromium (``/usr/bin/chromium``) driven by Playwright's Python API, launched like
``test_branding_browser.py`` (``*.localhost`` mapped to 127.0.0.1). The chat service runs next to the
session's Superset, where Superset's proxy expects it (see ``test_chat_service.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from supertenant.runtime import chat as chat_runtime

from .browser import TIMEOUT_MS, launched_chromium, shot, submit_login_form
from .conftest import Server, Tenants, free_port

pytestmark = pytest.mark.integration

os.environ.setdefault("SUPERTENANT_CHAT_SERVICE_URL", f"http://127.0.0.1:{free_port()}")
INTENT = "先月のキャンペーン別費用トップ10"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def chat_service(server: Server, tenants: Tenants) -> Iterator[str]:
    url = server.env.get("SUPERTENANT_CHAT_SERVICE_URL")
    if not url:
        pytest.fail("Superset was started without SUPERTENANT_CHAT_SERVICE_URL")
    port = urlsplit(url).port
    assert port
    if _healthy(url):
        yield url  # already started by test_chat_service.py's fixture in this session
        return
    process = chat_runtime.start(
        chat_runtime.chat_env(server.env, server.url), "127.0.0.1", port, server.root / "chat-browser.log"
    )
    try:
        chat_runtime.wait_until_healthy(url, process)
        yield url
    finally:
        chat_runtime.stop(process)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_sakura_user_asks_in_japanese_and_opens_the_chart(
    server: Server, tenants: Tenants, chat_service: str, chromium: Any
) -> None:
    user = next(u for u in tenants.specs["sakura-shoes"].users if u.role == "editor")
    base = f"http://sakura.localhost:{urlsplit(server.url).port}"
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    chart_data: list[int] = []
    page.on("response", lambda r: chart_data.append(r.status) if "/api/v1/chart/data" in r.url else None)
    try:
        page.goto(f"{base}/login/")
        submit_login_form(page, user.email, tenants.passwords[user.email])
        page.wait_for_url(re.compile(r".*/superset/dashboard/\d+/.*"))

        page.goto(f"{base}/supertenant/chat/")
        assert page.locator("html").get_attribute("lang") == "ja"  # the tenant's language, not the browser's
        page.get_by_text("チャットでグラフ作成").first.wait_for()
        page.locator("#text").fill(INTENT)
        page.locator("#text").press("Enter")
        link = page.locator("a.chart")
        link.wait_for()
        answer = page.locator(".msg.chart")
        assert "キャンペーン" in answer.inner_text()
        assert "ランキング" in answer.inner_text()  # the interpretation, in Japanese
        shot(page, "chat-1-answer")
        href = link.get_attribute("href") or ""
        assert re.fullmatch(r"/explore/\?slice_id=\d+", href), href

        page.goto(base + href)
        page.wait_for_function("() => document.querySelector('canvas') !== null")
        page.wait_for_timeout(1000)
        assert chart_data
        assert set(chart_data) == {200}
        assert page.locator("canvas").first.is_visible()
        shot(page, "chat-2-explore")
    finally:
        context.close()
