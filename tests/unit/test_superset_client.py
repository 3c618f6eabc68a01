"""SupersetClient against a fake Superset behind ``httpx.MockTransport``: login, paging, errors, retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import prison
import pytest

from supertenant.errors import NotFoundError, SupersetAPIError, SupertenantError, TemporaryError
from supertenant.superset_api import client as client_module
from supertenant.superset_api.client import ORDER_COLUMNS, PAGE_SIZE, SupersetClient

BASE_URL = "http://superset.test"
USERNAME = "platform-admin"
PASSWORD = "Pa55-w0rd-that-must-never-leak-7Q"
LOGIN = "/api/v1/security/login"
CSRF = "/api/v1/security/csrf_token/"
ME = "/api/v1/me/"

JSON = dict[str, Any]
Scripted = tuple[int, Any] | Exception


@dataclass
class FakeSuperset:
    """Just enough of Superset's REST API: JWT login, CSRF, list endpoints and scripted failures.

    ``scripted[(method, path)]`` is a queue of canned answers (``(status, body)`` or an exception to
    raise as a transport error) served before the normal behaviour of that route.
    """

    password: str = PASSWORD
    rows: dict[str, list[JSON]] = field(default_factory=dict)
    scripted: dict[tuple[str, str], list[Scripted]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    logins: int = 0
    valid_token: str | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        if self.scripted.get(key):
            answer = self.scripted[key].pop(0)
            if isinstance(answer, Exception):
                raise answer
            status, body = answer
            if isinstance(body, str):
                return httpx.Response(status, text=body)
            return httpx.Response(status, json=body)
        if key == ("POST", LOGIN):
            return self._login(request)
        if request.headers.get("Authorization") != f"Bearer {self.valid_token}":
            return httpx.Response(401, json={"msg": "Token has expired"})
        if key == ("GET", CSRF):
            return httpx.Response(
                200, json={"result": f"csrf-{self.logins}"}, headers={"Set-Cookie": "session=s1; Path=/"}
            )
        if key == ("GET", ME):
            return httpx.Response(200, json={"result": {"username": USERNAME}})
        resource = request.url.path.removeprefix("/api/v1/").rstrip("/")
        if request.method == "GET" and resource in self.rows:
            return self._list(resource, prison.loads(request.url.params["q"]))
        return httpx.Response(404, json={"message": "Not found"})

    def _login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("username") != USERNAME or body.get("password") != self.password:
            return httpx.Response(401, json={"message": "Not authorized"})
        self.logins += 1
        self.valid_token = f"jwt-{self.logins}"
        return httpx.Response(200, json={"access_token": self.valid_token, "refresh_token": "r"})

    def _list(self, resource: str, query: JSON) -> httpx.Response:
        rows = self.rows[resource]
        for flt in query.get("filters", []):
            if flt["opr"] == "eq":
                rows = [r for r in rows if r.get(flt["col"]) == flt["value"]]
            elif flt["opr"] == "ct":
                rows = [r for r in rows if str(flt["value"]) in str(r.get(flt["col"]))]
        if "order_column" in query:
            rows = sorted(rows, key=lambda r: r[query["order_column"]])
        start = query["page"] * query["page_size"]
        return httpx.Response(
            200, json={"count": len(rows), "result": rows[start : start + query["page_size"]]}
        )

    # -- what the tests look at ------------------------------------------------------------------

    def expire_token(self) -> None:
        """Make the current JWT invalid, as if it had expired."""
        self.valid_token = "expired"

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]

    def list_queries(self, resource: str) -> list[JSON]:
        """The decoded rison ``q`` of every list request to ``resource``."""
        path = f"/api/v1/{resource}/"
        return [prison.loads(r.url.params["q"]) for r in self.requests if r.url.path == path]


@pytest.fixture
def fake() -> FakeSuperset:
    return FakeSuperset()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record back-off sleeps instead of waiting."""
    recorded: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", recorded.append)
    return recorded


@pytest.fixture
def make_client(fake: FakeSuperset, sleeps: list[float]) -> Iterator[Callable[..., SupersetClient]]:
    """Build clients talking to ``fake``; all are closed after the test."""
    made: list[SupersetClient] = []

    def make(base_url: str = BASE_URL, password: str = PASSWORD, retries: int = 4) -> SupersetClient:
        client = SupersetClient(
            base_url, USERNAME, password, transport=httpx.MockTransport(fake), retries=retries
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def dataset_rows(count: int) -> list[JSON]:
    return [{"id": i, "table_name": f"t{i:04d}"} for i in range(count)]


# --- login -----------------------------------------------------------------------------------------


def test_no_request_is_sent_before_the_first_call(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    client = make_client()
    assert fake.requests == []
    client.get(ME)
    assert fake.paths() == [f"POST {LOGIN}", f"GET {CSRF}", f"GET {ME}"]


@pytest.mark.parametrize("base_url", [BASE_URL, BASE_URL + "/"])
def test_login_sends_credentials_then_csrf_and_sets_headers(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], base_url: str
) -> None:
    """JWT first (no auth header yet), CSRF with the JWT, then every call carries both and a Referer."""
    make_client(base_url).get(ME)
    login, csrf, me = fake.requests
    assert json.loads(login.content) == {
        "username": USERNAME,
        "password": PASSWORD,
        "provider": "db",
        "refresh": True,
    }
    assert "Authorization" not in login.headers
    assert csrf.headers["Authorization"] == "Bearer jwt-1"
    assert me.headers["Authorization"] == "Bearer jwt-1"
    assert me.headers["X-CSRFToken"] == "csrf-1"
    assert me.headers["Referer"] == "http://superset.test/"
    assert "session=s1" in me.headers.get("Cookie", "")


def test_login_happens_once_for_many_calls(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    client = make_client()
    for _ in range(3):
        assert client.get(ME) == {"result": {"username": USERNAME}}
    assert fake.logins == 1
    assert fake.paths().count(f"POST {LOGIN}") == 1


def test_expired_token_logs_in_again_once_and_retries(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    client = make_client()
    client.get(ME)
    fake.expire_token()
    assert client.get(ME) == {"result": {"username": USERNAME}}
    assert fake.logins == 2
    assert fake.requests[-1].headers["Authorization"] == "Bearer jwt-2"
    assert fake.requests[-1].headers["X-CSRFToken"] == "csrf-2"
    assert fake.paths()[3:] == [f"GET {ME}", f"POST {LOGIN}", f"GET {CSRF}", f"GET {ME}"]


def test_persistent_401_is_an_api_error_after_one_relogin(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    fake.scripted[("GET", ME)] = [(401, {"msg": "no"})] * 5
    with pytest.raises(SupersetAPIError) as caught:
        make_client().get(ME)
    assert caught.value.status == 401
    assert fake.logins == 2
    assert fake.paths().count(f"GET {ME}") == 2


def test_wrong_password_is_an_api_error_without_retry(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    fake.password = "the-server-expects-something-else"
    with pytest.raises(SupersetAPIError) as caught:
        make_client().get(ME)
    assert (caught.value.status, caught.value.method, caught.value.path) == (401, "POST", LOGIN)
    assert "Not authorized" in str(caught.value)
    assert fake.paths() == [f"POST {LOGIN}"]


# --- listing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "requests"),
    [(0, 1), (1, 1), (PAGE_SIZE - 1, 1), (PAGE_SIZE, 2), (250, 3), (3 * PAGE_SIZE, 4)],
)
def test_iter_list_follows_pages(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], count: int, requests: int
) -> None:
    fake.rows["dataset"] = dataset_rows(count)[::-1]  # the server must sort, not us
    rows = list(make_client().iter_list("dataset"))
    assert rows == dataset_rows(count)
    queries = fake.list_queries("dataset")
    assert len(queries) == requests
    assert [q["page"] for q in queries] == list(range(requests))
    assert {q["page_size"] for q in queries} == {PAGE_SIZE}


@pytest.mark.parametrize(("resource", "column"), sorted(ORDER_COLUMNS.items()))
def test_known_resources_are_listed_in_a_stable_order(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], resource: str, column: str
) -> None:
    fake.rows[resource] = [{"id": 1, column: "a"}] if column != "id" else [{"id": 1}]
    list(make_client().iter_list(resource))
    (query,) = fake.list_queries(resource)
    assert (query["order_column"], query["order_direction"]) == (column, "asc")


@pytest.mark.parametrize("resource", ["chart", "dashboard", "security/groups"])
def test_unknown_resources_are_listed_without_an_order(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], resource: str
) -> None:
    fake.rows[resource] = [{"id": 1}]
    assert list(make_client().iter_list(resource)) == [{"id": 1}]
    (query,) = fake.list_queries(resource)
    assert "order_column" not in query
    assert "order_direction" not in query


def test_explicit_order_column_wins(fake: FakeSuperset, make_client: Callable[..., SupersetClient]) -> None:
    fake.rows["chart"] = [{"id": 2, "slice_name": "b"}, {"id": 1, "slice_name": "a"}]
    rows = list(make_client().iter_list("chart", order_column="slice_name"))
    assert [r["slice_name"] for r in rows] == ["a", "b"]
    assert fake.list_queries("chart")[0]["order_column"] == "slice_name"


def test_filters_and_columns_are_sent(fake: FakeSuperset, make_client: Callable[..., SupersetClient]) -> None:
    fake.rows["dataset"] = [
        {"id": 1, "table_name": "a", "database_id": 3},
        {"id": 2, "table_name": "b", "database_id": 4},
    ]
    filters = [{"col": "database_id", "opr": "eq", "value": 4}]
    rows = list(make_client().iter_list("dataset", filters=filters, columns=["id", "table_name"]))
    assert rows == [{"id": 2, "table_name": "b", "database_id": 4}]
    (query,) = fake.list_queries("dataset")
    assert query["filters"] == filters
    assert query["columns"] == ["id", "table_name"]


def test_no_filters_means_an_empty_filter_list(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    fake.rows["dataset"] = []
    list(make_client().iter_list("dataset"))
    (query,) = fake.list_queries("dataset")
    assert query["filters"] == []
    assert "columns" not in query


@pytest.mark.parametrize(
    ("rows", "value", "opr", "expected"),
    [
        ([{"id": 1, "database_name": "acme"}], "acme", "eq", 1),
        ([{"id": 1, "database_name": "acme"}], "nippon", "eq", None),
        ([], "acme", "eq", None),
        # A looser operator returns near matches; only the exact one counts.
        ([{"id": 1, "database_name": "acme-2"}, {"id": 2, "database_name": "acme"}], "acme", "ct", 2),
        ([{"id": 1, "database_name": "acme-2"}], "acme", "ct", None),
    ],
)
def test_find_one(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    rows: list[JSON],
    value: str,
    opr: str,
    expected: int | None,
) -> None:
    fake.rows["database"] = rows
    found = make_client().find_one("database", "database_name", value, opr=opr)
    assert (found["id"] if found else None) == expected
    (query,) = fake.list_queries("database")
    assert query["filters"] == [{"col": "database_name", "opr": opr, "value": value}]


# --- verbs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"id": 5, "result": {"x": 1}}, {"id": 5, "result": {"x": 1}}),
        (200, [1, 2], {"result": [1, 2]}),
        (204, None, {}),
    ],
)
@pytest.mark.parametrize("verb", ["get", "post", "put", "delete"])
def test_verbs_return_json_objects(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    verb: str,
    status: int,
    body: Any,
    expected: JSON,
) -> None:
    method = verb.upper()
    fake.scripted[(method, "/api/v1/thing/1")] = [(status, "" if body is None else body)]
    result = getattr(make_client(), verb)("/api/v1/thing/1")
    assert result == expected
    assert fake.requests[-1].method == method


def test_post_and_put_send_the_payload_as_json(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    fake.scripted[("POST", "/api/v1/database/")] = [(201, {"id": 9})]
    fake.scripted[("PUT", "/api/v1/database/9")] = [(200, {"id": 9})]
    client = make_client()
    assert client.post("/api/v1/database/", {"database_name": "acme"}) == {"id": 9}
    assert client.put("/api/v1/database/9", {"allow_dml": False}) == {"id": 9}
    assert json.loads(fake.requests[-2].content) == {"database_name": "acme"}
    assert json.loads(fake.requests[-1].content) == {"allow_dml": False}


# --- error mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "detail"),
    [
        (400, {"message": "Request is not JSON"}, "Request is not JSON"),
        (403, {"message": "Forbidden"}, "Forbidden"),
        (422, {"message": {"database_name": ["A database with the same name already exists."]}}, "already"),
        (422, {"msg": "Signature verification failed"}, "Signature verification failed"),
        (409, {"errors": [{"message": "conflict here"}]}, "conflict here"),
        (400, "plain text refusal", "plain text refusal"),
    ],
)
def test_client_errors_are_api_errors_with_details(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], status: int, body: Any, detail: str
) -> None:
    path = "/api/v1/database/7"
    fake.scripted[("PUT", path)] = [(status, body)]
    with pytest.raises(SupersetAPIError) as caught:
        make_client().put(path, {"x": 1})
    error = caught.value
    assert (error.status, error.method, error.path) == (status, "PUT", path)
    assert detail in error.detail
    assert f"PUT {path} → {status}" in str(error)
    assert detail in str(error)
    assert not isinstance(error, TemporaryError)
    assert fake.paths().count(f"PUT {path}") == 1  # never retried


def test_404_is_not_found(fake: FakeSuperset, make_client: Callable[..., SupersetClient]) -> None:
    with pytest.raises(NotFoundError, match=r"GET /api/v1/chart/404 → 404: Not found"):
        make_client().get("/api/v1/chart/404")
    assert fake.paths().count("GET /api/v1/chart/404") == 1


@pytest.mark.parametrize("status", [500, 501])
def test_server_errors_are_temporary_without_retry(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient], sleeps: list[float], status: int
) -> None:
    fake.scripted[("GET", ME)] = [(status, {"message": "boom"})]
    with pytest.raises(TemporaryError, match=rf"GET {ME} → {status}: boom"):
        make_client().get(ME)
    assert fake.paths().count(f"GET {ME}") == 1
    assert sleeps == []


@pytest.mark.parametrize("status", [429, 502, 503, 504])
@pytest.mark.parametrize("failures", [1, 4])
def test_retryable_statuses_are_retried_until_success(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    sleeps: list[float],
    status: int,
    failures: int,
) -> None:
    fake.scripted[("GET", ME)] = [(status, {"message": "busy"})] * failures
    assert make_client(retries=4).get(ME) == {"result": {"username": USERNAME}}
    assert fake.paths().count(f"GET {ME}") == failures + 1
    assert len(sleeps) == failures


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("retries", [0, 2, 4])
def test_exhausted_retries_are_temporary(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    status: int,
    retries: int,
) -> None:
    fake.scripted[("GET", ME)] = [(status, {"message": "slow down"})] * 10
    with pytest.raises(TemporaryError, match=rf"{status}: slow down"):
        make_client(retries=retries).get(ME)
    assert fake.paths().count(f"GET {ME}") == retries + 1


def transport_error(kind: type[httpx.TransportError]) -> httpx.TransportError:
    return kind("simulated", request=httpx.Request("GET", BASE_URL + ME))


@pytest.mark.parametrize("kind", [httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError])
def test_transport_errors_are_retried_then_temporary(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    sleeps: list[float],
    kind: type[httpx.TransportError],
) -> None:
    fake.scripted[("GET", ME)] = [transport_error(kind)] * 2
    assert make_client(retries=2).get(ME)["result"]["username"] == USERNAME

    fake.scripted[("GET", ME)] = [transport_error(kind)] * 10
    with pytest.raises(TemporaryError) as caught:
        make_client(retries=2).get(ME)
    assert str(caught.value) == f"GET {ME}: cannot reach Superset ({kind.__name__})"
    assert caught.value.__cause__ is None
    assert sleeps  # it backed off instead of hammering


def test_every_error_is_a_supertenant_error(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    for status in (400, 404, 500, 503):
        fake.scripted[("GET", ME)] = [(status, {"message": "x"})] * 10
        with pytest.raises(SupertenantError):
            make_client(retries=0).get(ME)


# --- secrets -----------------------------------------------------------------------------------


def _wrong_password(fake: FakeSuperset) -> None:
    fake.password = "another"


def _login_422(fake: FakeSuperset) -> None:
    fake.scripted[("POST", LOGIN)] = [(422, {"message": {"provider": ["Must be one of: db, ldap."]}})]


def _login_500(fake: FakeSuperset) -> None:
    fake.scripted[("POST", LOGIN)] = [(500, "Internal Server Error")]


def _login_503(fake: FakeSuperset) -> None:
    fake.scripted[("POST", LOGIN)] = [(503, {"message": "unavailable"})] * 10


def _login_unreachable(fake: FakeSuperset) -> None:
    fake.scripted[("POST", LOGIN)] = [transport_error(httpx.ConnectError)] * 10


@pytest.mark.parametrize(
    "break_login", [_wrong_password, _login_422, _login_500, _login_503, _login_unreachable]
)
def test_password_never_appears_in_errors_or_repr(
    fake: FakeSuperset,
    make_client: Callable[..., SupersetClient],
    break_login: Callable[[FakeSuperset], None],
) -> None:
    break_login(fake)
    client = make_client(retries=1)
    with pytest.raises(SupertenantError) as caught:
        client.get(ME)
    assert fake.paths()[0] == f"POST {LOGIN}"  # the failure really happened during login
    for text in (str(caught.value), repr(caught.value), repr(caught.value.args), repr(client)):
        assert PASSWORD not in text


def test_threads_that_find_the_token_expired_together_log_in_once(
    fake: FakeSuperset, make_client: Callable[..., SupersetClient]
) -> None:
    """The engine sends requests side by side: a shared expiry must not log in once per thread."""
    client = make_client()
    client.get(ME)
    fake.expire_token()
    both_refused = threading.Barrier(2, timeout=5)
    answer = fake.__call__

    def refuse_both_before_either_logs_in(request: httpx.Request) -> httpx.Response:
        response = answer(request)
        if request.url.path == ME and response.status_code == 401:
            both_refused.wait()
        return response

    client._http._transport = httpx.MockTransport(refuse_both_before_either_logs_in)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: client.get(ME), range(2)))
    assert results == [{"result": {"username": USERNAME}}] * 2
    assert fake.logins == 2  # the first login, and one more for both threads
