"""Sign in through Superset's login form, as a browser does, for a session cookie.

The REST client (``client.py``) uses a JWT. Superset's pages, and the chat proxy behind them,
work with the browser's session cookie instead; tests and benchmarks that act as a browser user
get one here.
"""

from __future__ import annotations

import re

import httpx

from supertenant.errors import SupersetAPIError

_CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in_with_form(client: httpx.Client, username: str, password: str) -> None:
    """Post the login form; ``client`` then holds the user's session cookie.

    Raises :class:`SupersetAPIError` when the page has no CSRF token or the login is refused
    (Superset answers a refused login with the form again instead of a redirect away from it).
    """
    page = client.get("/login/")
    token = _CSRF_FIELD.search(page.text)
    if token is None:
        raise SupersetAPIError("GET", "/login/", page.status_code, "no CSRF token on the login page")
    response = client.post(
        "/login/", data={"csrf_token": token.group(1), "username": username, "password": password}
    )
    if response.status_code != 302 or "/login" in response.headers.get("location", "/login"):
        raise SupersetAPIError("POST", "/login/", response.status_code, f"login refused for {username!r}")
