"""Superset's REST API as the *requesting user*: their session cookie (or bearer token), their rights.

The chat service never holds an admin credential. Each chat request gets a `UserSession` carrying
only what the user's browser sent; Superset's own permission checks and supertenant's tenant guards
then decide what the user may read and create, exactly as if the browser had called Superset.
Connections are pooled across requests, cookies never are (one cookie jar per request).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import prison

from supertenant.errors import NotFoundError, SupersetAPIError, TemporaryError

SESSION_COOKIE = "session"
CONTEXT_PATH = "/supertenant/chat/context"


class SharedTransport(httpx.BaseTransport):
    """A connection pool shared by per-request clients; closing one client must not close the pool."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        self.inner = inner or httpx.HTTPTransport(retries=1)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:  # the app closes `inner` on shutdown
        return None


class Unauthenticated(SupersetAPIError):
    """Superset does not know the caller: no or an expired session."""


class UserSession:
    """One chat request's view of Superset, as the user who sent it."""

    def __init__(
        self,
        base_url: str,
        transport: httpx.BaseTransport,
        *,
        session_cookie: str | None,
        authorization: str | None = None,
        csrf_token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"Referer": base_url.rstrip("/") + "/", "Accept": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        self._client = httpx.Client(base_url=base_url, transport=transport, headers=headers, timeout=timeout)
        if session_cookie:
            self._client.cookies.set(SESSION_COOKIE, session_cookie)
        self._csrf = csrf_token

    def __enter__(self) -> UserSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, retry: bool | None = None, **kwargs: Any) -> httpx.Response:
        """One call; reads (GET, chart data) are retried once on a connection error or a 502/503/504."""
        retry = method == "GET" if retry is None else retry
        for attempt in (1, 2):
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                if retry and attempt == 1:
                    continue
                problem = exc.__class__.__name__
                raise TemporaryError(f"{method} {path}: cannot reach Superset ({problem})") from None
            if not (retry and attempt == 1 and response.status_code in (502, 503, 504)):
                break
        status = response.status_code
        if status < 400:
            return response
        detail = _detail(response)
        if status == 401:
            raise Unauthenticated(method, path, status, detail)
        if status == 404:
            raise NotFoundError(f"{method} {path} → 404: {detail}")
        if status >= 500 or status == 429:
            raise TemporaryError(f"{method} {path} → {status}: {detail}")
        raise SupersetAPIError(method, path, status, detail)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        body = self._call("GET", path, params=params).json()
        return body if isinstance(body, dict) else {"result": body}

    # -- who is asking -------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """`/api/v1/me/`: the signed-in user, or Unauthenticated."""
        result = self.get("/api/v1/me/").get("result")
        if not isinstance(result, dict) or "id" not in result:
            raise Unauthenticated("GET", "/api/v1/me/", 401, "not signed in")
        return result

    def context(self) -> dict[str, Any]:
        """The caller's tenant from the registry, as supertenant's extension inside Superset sees it."""
        return self.get(CONTEXT_PATH)

    # -- what the user may chart ---------------------------------------------------------------

    def datasets(self) -> list[dict[str, Any]]:
        """The datasets the user can see (Superset filters the list by the user's access)."""
        query = {"columns": ["id", "table_name"], "page_size": 100, "page": 0}
        return list(self.get("/api/v1/dataset/", params={"q": prison.dumps(query)}).get("result") or [])

    def dataset(self, dataset_id: int) -> dict[str, Any]:
        return dict(self.get(f"/api/v1/dataset/{dataset_id}").get("result") or {})

    def column_values(
        self, dataset_id: int, columns: list[str], metric: str, limit: int
    ) -> dict[str, list[Any]]:
        """Distinct values of several columns in one `POST /api/v1/chart/data` (one query per column).

        The chart-data API is what every chart of the user runs through, so RLS and the tenant guard
        apply, and it needs no permission beyond reading charts (Superset's column-values endpoint
        needs one tenant roles do not hold). Grouping by the column with a saved metric makes the
        values distinct; ordering by it puts the most used first.
        """
        if not columns:
            return {}
        queries = [
            {
                "columns": [column],
                "metrics": [metric],
                "orderby": [[metric, False]],
                "row_limit": limit,
                "filters": [],
                "extras": {"where": "", "having": ""},
                "is_timeseries": False,
            }
            for column in columns
        ]
        body = {
            "datasource": {"id": dataset_id, "type": "table"},
            "force": False,
            "queries": queries,
            "result_format": "json",
            "result_type": "full",
        }
        headers = {"X-CSRFToken": self.csrf()}
        response = self._call("POST", "/api/v1/chart/data", retry=True, json=body, headers=headers)
        results = response.json().get("result") or []
        return {
            column: [row.get(column) for row in (result.get("data") or [])]
            for column, result in zip(columns, results, strict=False)
        }

    # -- writes ----------------------------------------------------------------------------------

    def csrf(self) -> str:
        """The user's CSRF token: the one their page sent along, else a fresh one for their session."""
        if not self._csrf:
            self._csrf = str(self.get("/api/v1/security/csrf_token/")["result"])
        return self._csrf

    def create_chart(self, body: Mapping[str, Any]) -> int:
        """`POST /api/v1/chart/` as the user; Superset makes them the owner."""
        response = self._call("POST", "/api/v1/chart/", json=dict(body), headers={"X-CSRFToken": self.csrf()})
        return int(response.json()["id"])


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("message") or body.get("msg") or body.get("errors") or body)[:300]
    return str(body)[:300]
