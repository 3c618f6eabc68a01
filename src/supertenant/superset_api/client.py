"""HTTP access to Superset's REST API with JWT + CSRF, lazy login and one error mapping.

The transport is injectable (``httpx.MockTransport`` in unit tests); nothing
happens on the network until the first request.
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

import httpx
import prison
import structlog

from supertenant.errors import NotFoundError, SupersetAPIError, TemporaryError

log = structlog.get_logger(__name__)

JSON = dict[str, Any]
PAGE_SIZE = 100
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# A unique column each list endpoint accepts for ordering, so pages neither skip nor repeat rows.
ORDER_COLUMNS = {
    "database": "database_name",
    "rowlevelsecurity": "name",
    "security/roles": "id",
    "security/users": "id",
    "security/permissions-resources": "id",
    "security/permissions": "id",
    "security/resources": "id",
    "dataset": "table_name",  # unique within one database, which is how supertenant lists them
}


@functools.cache
def verifying_tls_context() -> ssl.SSLContext:
    """httpx's default (verifying, ``SSL_CERT_FILE``-aware) TLS context, built once per process.

    Building one loads the CA bundle, ~60 ms; backup, restore and bulk applies open many clients.
    """
    return httpx.create_ssl_context()


class SupersetClient:
    """One authenticated session with Superset, as one user."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retries: int = 4,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self._password = password
        self._retries = retries
        self._http = httpx.Client(
            base_url=self.base_url, transport=transport, timeout=timeout, verify=verifying_tls_context()
        )
        self._logged_in = False
        # The engine sends requests from several threads: one login at a time, and a 401 answered
        # by logging in again only if no other thread already did since that request went out.
        self._auth_lock = threading.Lock()
        self._auth_generation = 0

    def __enter__(self) -> SupersetClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- authentication -------------------------------------------------------------------------

    def login(self) -> None:
        """Get a JWT and a CSRF token; Superset wants both (plus the session cookie) on writes."""
        response = self._send(
            "POST",
            "/api/v1/security/login",
            json={"username": self.username, "password": self._password, "provider": "db", "refresh": True},
            authenticated=False,
        )
        self._http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self._send("GET", "/api/v1/security/csrf_token/", authenticated=False).json()["result"]
        self._http.headers["X-CSRFToken"] = csrf
        self._http.headers["Referer"] = self.base_url + "/"
        self._logged_in = True
        self._auth_generation += 1

    def _login_unless_renewed(self, seen: int | None) -> None:
        """Log in, unless another thread did since generation ``seen`` (None: only if never)."""
        with self._auth_lock:
            if seen is None and self._logged_in:
                return
            if seen is not None and self._auth_generation != seen:
                return
            self.login()

    # -- generic verbs --------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self._logged_in:
            self._login_unless_renewed(None)
        response = self._send(method, path, **kwargs)
        return response

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> JSON:
        return _json(self.request("GET", path, params=params))

    def post(self, path: str, payload: Any = None) -> JSON:
        return _json(self.request("POST", path, json=payload))

    def put(self, path: str, payload: Any = None) -> JSON:
        return _json(self.request("PUT", path, json=payload))

    def delete(self, path: str) -> JSON:
        return _json(self.request("DELETE", path))

    def iter_list(
        self,
        resource: str,
        *,
        filters: list[JSON] | None = None,
        columns: list[str] | None = None,
        order_column: str | None = None,
    ) -> Iterator[JSON]:
        """Every row of ``GET /api/v1/<resource>/``, following pages in a stable order.

        Without an explicit order Postgres may return rows in a different order on each
        page, and paging would then skip or repeat rows.
        """
        page = 0
        order = order_column or ORDER_COLUMNS.get(resource)
        while True:
            query: JSON = {"page": page, "page_size": PAGE_SIZE, "filters": filters or []}
            if order:
                query |= {"order_column": order, "order_direction": "asc"}
            if columns:
                query["columns"] = columns
            body = self.get(f"/api/v1/{resource}/", params={"q": prison.dumps(query)})
            rows = body.get("result", [])
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            page += 1

    def find_one(self, resource: str, column: str, value: Any, opr: str = "eq") -> JSON | None:
        """The single row whose ``column`` equals ``value``, or None."""
        rows = list(self.iter_list(resource, filters=[{"col": column, "opr": opr, "value": value}]))
        exact = [r for r in rows if r.get(column) == value] if opr != "eq" else rows
        return exact[0] if exact else None

    # -- transport ------------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, authenticated: bool = True, **kwargs: Any) -> httpx.Response:
        attempt = 0
        while True:
            generation = self._auth_generation  # the credentials this attempt goes out with
            try:
                response = self._http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self._retries:
                    raise TemporaryError(
                        f"{method} {path}: cannot reach Superset ({exc.__class__.__name__})"
                    ) from None
            else:
                if response.status_code == 401 and authenticated and attempt == 0:
                    self._login_unless_renewed(generation)  # the JWT expired: log in again once
                elif response.status_code not in RETRY_STATUSES or attempt >= self._retries:
                    return _checked(method, path, response)
            attempt += 1
            time.sleep(min(0.25 * 2**attempt, 4.0))


def _checked(method: str, path: str, response: httpx.Response) -> httpx.Response:
    """Map HTTP failures onto the exception tree, in exactly one place."""
    status = response.status_code
    if status < 400:
        return response
    detail = _detail(response)
    if status in RETRY_STATUSES or status >= 500:
        raise TemporaryError(f"{method} {path} → {status}: {detail}")
    if status == 404:
        raise NotFoundError(f"{method} {path} → 404: {detail}")
    raise SupersetAPIError(method, path, status, detail)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("msg") or body.get("errors") or body)[:500]
    return str(body)[:500]


def _json(response: httpx.Response) -> JSON:
    if not response.content:
        return {}
    body = response.json()
    return body if isinstance(body, dict) else {"result": body}
