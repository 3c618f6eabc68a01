"""The Superset hooks that put job labels and the byte cap on every tenant BigQuery query."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy_bigquery.parse_url import parse_url
from superset.utils.core import QuerySource

from supertenant.settings import load_settings
from supertenant.superset_ext import bigquery as hooks
from supertenant.superset_ext.config import build_superset_config


@dataclass
class FakeDatabase:
    """The two attributes of Superset's Database model the hooks read."""

    database_name: str
    extra: str | None


def job_config_of(url: URL) -> Any:
    """What sqlalchemy-bigquery makes of the URL: its default QueryJobConfig."""
    return parse_url(url)[6]


# --- pure parts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "cap"),
    [
        ('{"supertenant": {"maximum_bytes_billed": 5000000}}', 5_000_000),
        ({"supertenant": {"maximum_bytes_billed": 7}}, 7),
        ('{"engine_params": {}}', None),
        ('{"supertenant": {"maximum_bytes_billed": 0}}', None),
        ('{"supertenant": {"maximum_bytes_billed": "10"}}', None),
        ('{"supertenant": {"maximum_bytes_billed": true}}', None),
        ("not json", None),
        (None, None),
        ("", None),
    ],
)
def test_tenant_job_reads_the_cap_from_extra(extra: Any, cap: int | None) -> None:
    assert hooks.tenant_job("acme", extra) == hooks.TenantJob("acme", cap)


@pytest.mark.parametrize(
    ("path", "args", "form", "body", "view_args", "expected"),
    [
        # what the dashboard page sends
        ("/api/v1/chart/data", {"form_data": '{"slice_id": 12}', "dashboard_id": "3"}, {}, {}, {}, (12, 3)),
        # the query context body alone
        ("/api/v1/chart/data", {}, {}, {"form_data": {"slice_id": 12, "dashboardId": 3}}, {}, (12, 3)),
        # GET /api/v1/chart/<pk>/data/
        ("/api/v1/chart/44/data/", {}, {}, None, {"pk": 44}, (44, None)),
        # legacy explore_json posts form_data as a form field
        ("/superset/explore_json/", {}, {"form_data": '{"slice_id": 5}'}, None, {}, (5, None)),
        # SQL Lab: neither
        ("/api/v1/sqllab/execute/", {}, {}, {"sql": "SELECT 1"}, {}, (None, None)),
        # junk is ignored, not guessed at
        (
            "/api/v1/chart/data",
            {"form_data": "{oops", "dashboard_id": "x"},
            {},
            {"form_data": []},
            {},
            (None, None),
        ),
        ("/api/v1/chart/data", {"form_data": '{"slice_id": -1}'}, {}, None, {}, (None, None)),
        # another resource's pk is not a chart
        ("/api/v1/dataset/9", {}, {}, None, {"pk": 9}, (None, None)),
    ],
)
def test_request_ids(
    path: str,
    args: dict[str, Any],
    form: dict[str, Any],
    body: Any,
    view_args: dict[str, Any],
    expected: tuple[int | None, int | None],
) -> None:
    assert hooks.request_ids(path, args, form, body, view_args) == expected


def test_labels_round_trip() -> None:
    labels = {"tenant": "acme", "user": "ana_example_com", "chart": "12"}
    assert hooks.parse_labels(hooks.format_labels(labels)) == labels
    assert hooks.format_labels(labels) == "chart:12,tenant:acme,user:ana_example_com"
    assert hooks.parse_labels("a:1, broken ,b : 2,:x") == {"a": "1", "b": "2"}


def test_job_settings_reach_sqlalchemy_bigquery() -> None:
    url = hooks.with_job_settings(
        make_url("bigquery://acme-analytics"), {"tenant": "acme", "chart": "3"}, 10**9
    )
    config = job_config_of(url)
    assert config.labels == {"chart": "3", "tenant": "acme"}
    assert config.maximum_bytes_billed == 10**9
    assert url.host == "acme-analytics"


def test_existing_url_settings_merge_and_the_lower_cap_wins() -> None:
    url = make_url(
        "bigquery://acme-analytics?labels=env:prod,tenant:spoofed&maximum_bytes_billed=500&location=EU"
    )
    merged = hooks.with_job_settings(url, {"tenant": "acme"}, 10**9)
    config = job_config_of(merged)
    assert config.labels == {"env": "prod", "tenant": "acme"}
    assert config.maximum_bytes_billed == 500
    assert merged.query["location"] == "EU"
    assert job_config_of(hooks.with_job_settings(url, {}, 100)).maximum_bytes_billed == 100


def test_nothing_to_add_leaves_the_url_alone() -> None:
    url = make_url("bigquery://acme-analytics")
    assert hooks.with_job_settings(url, {}, None) is url


@pytest.mark.parametrize(
    ("source", "name"),
    [(QuerySource.SQL_LAB, "sql_lab"), (QuerySource.DASHBOARD, "dashboard"), (None, None)],
)
def test_source_name(source: QuerySource | None, name: str | None) -> None:
    assert hooks.source_name(source) == name


# --- the hooks, as Superset calls them ------------------------------------------------------------


def mutate(url: str, *, database: FakeDatabase | None, **request: Any) -> tuple[URL, dict[str, Any]]:
    """Run the mutator the way Database._get_sqla_engine does, inside ENGINE_CONTEXT_MANAGER."""
    app = Flask(__name__)
    params: dict[str, Any] = {"connect_args": {}, "credentials_info": {"client_email": "t@x"}}
    with app.test_request_context(**request):
        if database is None:
            return hooks.db_connection_mutator(make_url(url), params, "ana@acme.example", None, None)
        with hooks.engine_context(database, None, "tenant_acme"):
            return hooks.db_connection_mutator(
                make_url(url), params, "Ana@Acme.example", None, QuerySource.DASHBOARD
            )


def test_a_dashboard_query_gets_every_label_and_the_cap() -> None:
    database = FakeDatabase("acme", json.dumps({"supertenant": {"maximum_bytes_billed": 123456789}}))
    url, params = mutate(
        "bigquery://acme-analytics",
        database=database,
        path="/api/v1/chart/data",
        method="POST",
        query_string={"form_data": '{"slice_id": 12}', "dashboard_id": "3"},
        json={"datasource": {"id": 1, "type": "table"}, "queries": []},
    )
    config = job_config_of(url)
    assert config.labels == {
        "tenant": "acme",
        "user": "ana_acme_example",
        "chart": "12",
        "dashboard": "3",
        "source": "dashboard",
    }
    assert config.maximum_bytes_billed == 123456789
    assert params["credentials_info"] == {"client_email": "t@x"}  # credentials untouched


def test_without_a_database_in_context_there_is_no_tenant_label() -> None:
    url, _ = mutate("bigquery://acme-analytics", database=None, path="/api/v1/sqllab/execute/")
    assert job_config_of(url).labels == {"user": "ana_acme_example"}


def test_the_context_is_restored_after_the_engine_is_used() -> None:
    outer, inner = FakeDatabase("outer", None), FakeDatabase("inner", None)
    with hooks.engine_context(outer, None, None):
        with hooks.engine_context(inner, None, None):
            assert hooks._current.get() == hooks.TenantJob("inner")
        assert hooks._current.get() == hooks.TenantJob("outer")
    assert hooks._current.get() is None


def test_other_engines_pass_through() -> None:
    url = make_url("duckdb:////data/warehouse.duckdb")
    params: dict[str, Any] = {"connect_args": {"read_only": True}}
    with hooks.engine_context(FakeDatabase("acme", None), None, None):
        assert hooks.db_connection_mutator(url, params, "ana", None, None) == (url, params)


def test_a_user_supplied_client_is_left_alone() -> None:
    url = make_url("bigquery://acme-analytics?user_supplied_client=true")
    with hooks.engine_context(FakeDatabase("acme", None), None, None):
        assert hooks.db_connection_mutator(url, {}, "ana", None, None)[0] is url


def test_outside_a_request_there_are_no_chart_labels() -> None:
    with hooks.engine_context(FakeDatabase("acme", None), None, None):
        url, _ = hooks.db_connection_mutator(make_url("bigquery://acme-analytics"), {}, None, None, None)
    assert job_config_of(url).labels == {"tenant": "acme"}


def test_superset_config_installs_both_hooks(tmp_path: Any) -> None:
    config = build_superset_config(load_settings(data_dir=tmp_path))
    assert config["ENGINE_CONTEXT_MANAGER"] is hooks.engine_context
    assert config["DB_CONNECTION_MUTATOR"] is hooks.db_connection_mutator
