"""Headless Debian Chromium for the browser tests, driven by Playwright's Python API.

Debian's ``/usr/bin/chromium`` (``apt-get install -y chromium``); Playwright's own browser
downloads are never used. ``*.localhost`` is mapped to 127.0.0.1 with Chromium's host resolver
rules, so the tenants' hostnames reach the test server. Screenshots go to ``tests/artifacts/``
(git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("SUPERTENANT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TIMEOUT_MS = 90_000


def unavailable(reason: str) -> None:
    """Skip on a developer machine without Chromium; in CI a missing browser is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (install it: apt-get install -y chromium; pip install playwright)")
    pytest.skip(reason)


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """A running headless Chromium (a Playwright ``Browser``), closed afterwards."""
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page: Any, name: str) -> None:
    """A full-page screenshot kept as a test artefact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


LOGIN_ATTEMPT_MS = 30_000


def submit_login_form(page: Any, username: str, password: str, attempts: int = 3) -> None:
    """Fill and submit Superset's login form until the page leaves ``/login/``.

    The React form can mount again while the page loads (the tenant's theme arrives after the first
    render), and what was typed before that is lost: the click then submits an empty form, which
    the form refuses without a request. Each attempt checks the fields still hold what was typed.
    A wrong password fails all attempts, as it should.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    username_box = page.locator('[data-test="username-input"]')
    password_box = page.locator('[data-test="password-input"]')
    for _ in range(attempts):
        username_box.fill(username)
        password_box.fill(password)
        if username_box.input_value() != username or password_box.input_value() != password:
            continue
        page.locator('[data-test="login-button"]').click()
        try:
            page.wait_for_url(lambda url: "/login" not in url, timeout=LOGIN_ATTEMPT_MS)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the login form of {page.url} did not sign {username} in")
