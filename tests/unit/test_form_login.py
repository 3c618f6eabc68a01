"""Signing in through Superset's login form (``superset_api/form_login.py``)."""

from __future__ import annotations

import httpx
import pytest

from supertenant.errors import SupersetAPIError
from supertenant.superset_api.form_login import sign_in_with_form

FORM = '<form><input id="csrf_token" name="csrf_token" type="hidden" value="tok-123"></form>'


RIGHT = "right"


def superset(*, form: str = FORM) -> httpx.Client:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, text=form)
        fields = dict(item.split("=", 1) for item in request.content.decode().split("&"))
        if fields.get("csrf_token") != "tok-123":
            return httpx.Response(400, text="The CSRF token is missing.")
        if fields.get("password") != RIGHT:
            return httpx.Response(200, text=form)  # Superset shows the form again
        return httpx.Response(302, headers={"location": "/superset/welcome/", "set-cookie": "session=s1"})

    return httpx.Client(base_url="http://superset", transport=httpx.MockTransport(handle))


def test_a_good_login_leaves_the_session_cookie_on_the_client() -> None:
    client = superset()
    sign_in_with_form(client, "ana@acme.example", RIGHT)
    assert client.cookies.get("session") == "s1"


def test_a_refused_login_is_an_error_naming_the_user() -> None:
    with pytest.raises(SupersetAPIError, match=r"login refused for 'ana@acme\.example'"):
        sign_in_with_form(superset(), "ana@acme.example", "wrong")


def test_a_page_without_a_csrf_token_is_an_error() -> None:
    with pytest.raises(SupersetAPIError, match="no CSRF token"):
        sign_in_with_form(superset(form="<form></form>"), "ana@acme.example", RIGHT)
