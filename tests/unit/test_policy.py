"""Tenant route policy: pure decisions on paths, query strings and bodies (no Flask, no Superset)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from supertenant.superset_ext import policy
from supertenant.superset_ext.policy import Ref


def refs(path: str, args: dict[str, Any] | None = None, body: dict[str, Any] | None = None) -> set[Ref]:
    return set(policy.references(path, args or {}, body or {}))


# -- refused routes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "refused"),
    [
        ("/superset/explore/", "POST", True),
        ("/superset/explore/table/3/", "POST", True),
        ("/superset/explore/", "GET", False),  # only redirects to the SPA
        ("/superset/explore_json/", "POST", False),  # legacy chart data: checked by references instead
        ("/api/v1/theme/1", "PUT", True),
        ("/api/v1/chart/import/", "POST", True),
        ("/api/v1/chart/related/created_by", "GET", True),
        ("/api/v1/chart/related/owners", "GET", False),
        ("/api/v1/chart/", "GET", False),
    ],
)
def test_refused_path(path: str, method: str, refused: bool) -> None:
    assert policy.refused_path(path, method) is refused


# -- references in paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dashboard/7",
        "/api/v1/dashboard/7/charts",
        "/api/v1/dashboard/7/copy/",
        "/api/v1/dashboard/7/filter_state/abc",
        "/superset/dashboard/7/",
    ],
)
def test_dashboard_paths_name_the_dashboard(path: str) -> None:
    assert Ref("dashboard", "7") in refs(path)


def test_dashboards_by_slug_and_uuid() -> None:
    value = str(uuid.uuid4())
    assert refs(f"/api/v1/dashboard/{value}/tabs") == {Ref("dashboard", value)}
    assert refs("/api/v1/dashboard/my-slug") == {Ref("dashboard", "my-slug")}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/dashboard/",
        "/api/v1/dashboard/_info",
        "/api/v1/dashboard/related/owners",
        "/api/v1/dashboard/export/",
        "/api/v1/dashboard/favorite_status/",
    ],
)
def test_dashboard_collection_paths_name_nothing(path: str) -> None:
    assert refs(path) == set()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/superset/slice/12/", Ref("chart", "12")),
        ("/superset/explore_json/table/5/", Ref("dataset", "5")),
        ("/datasource/get/table/5/", Ref("dataset", "5")),
        ("/datasource/external_metadata/table/5/", Ref("dataset", "5")),
        ("/api/v1/datasource/table/5/column/x/values/", Ref("dataset", "5")),
        ("/api/v1/explore/form_data/k3y", Ref("explore_state", "k3y")),
        ("/api/v1/explore/permalink/k3y", Ref("explore_permalink", "k3y")),
        ("/superset/explore/p/k3y/", Ref("explore_permalink", "k3y")),
        ("/api/v1/dashboard/permalink/k3y", Ref("dashboard_permalink", "k3y")),
        ("/superset/dashboard/p/k3y/", Ref("dashboard_permalink", "k3y")),
        ("/api/v1/sqllab/permalink/k3y", Ref("sqllab_permalink", "k3y")),
        ("/sqllab/p/k3y/", Ref("sqllab_permalink", "k3y")),
    ],
)
def test_object_paths(path: str, expected: Ref) -> None:
    assert refs(path) == {expected}


def test_other_datasource_types_are_left_to_superset() -> None:
    assert refs("/superset/explore_json/query/5/") == set()
    assert refs("/datasource/get/query/5/") == set()


# -- references in query strings and bodies ---------------------------------------------------------


def test_query_string_ids() -> None:
    found = refs(
        "/api/v1/explore/",
        {"slice_id": "3", "datasource_id": "4", "datasource_type": "table", "dashboard_id": "9"},
    )
    assert found == {
        Ref("chart", "3", "slice_id"),
        Ref("dataset", "4", "datasource_id"),
        Ref("dashboard", "9", "dashboard_id"),
    }


def test_query_string_keys_and_datasource_keys() -> None:
    found = refs(
        "/api/v1/explore/",
        {"form_data_key": "abc", "permalink_key": "def", "datasourceKey": "8__table"},
    )
    assert found == {
        Ref("explore_state", "abc", "form_data_key"),
        Ref("explore_permalink", "def", "permalink_key"),
        Ref("dataset", "8", "datasourceKey"),
    }


@pytest.mark.parametrize("value", ["", "0", "null", "undefined", "-1", "abc"])
def test_values_that_are_not_ids_name_nothing(value: str) -> None:
    assert refs("/api/v1/explore/", {"slice_id": value, "datasource_id": value}) == set()


def test_non_table_datasources_are_left_to_superset() -> None:
    assert refs("/api/v1/explore/", {"datasource_id": "4", "datasource_type": "query"}) == set()
    assert refs("/api/v1/chart/data", body={"datasource": {"id": 4, "type": "query"}}) == set()


def test_chart_data_body() -> None:
    body = {
        "datasource": {"id": 4, "type": "table"},
        "form_data": {"slice_id": 3, "dashboardId": 9, "datasource": "4__table"},
        "queries": [{"columns": ["x"]}],
    }
    assert refs("/api/v1/chart/data", body=body) == {
        Ref("dataset", "4"),
        Ref("chart", "3", "slice_id"),
        Ref("dashboard", "9", "dashboardId"),
        Ref("dataset", "4", "datasource"),
    }


def test_form_data_as_json_text_and_explore_permalink_state() -> None:
    legacy = {"form_data": json.dumps({"datasource": "4__table", "slice_id": 3})}
    assert refs("/superset/explore_json/", body=legacy) == {
        Ref("dataset", "4", "datasource"),
        Ref("chart", "3", "slice_id"),
    }
    permalink = {"formData": {"datasource": "4__table", "slice_id": 3}, "urlParams": []}
    assert refs("/api/v1/explore/permalink", body=permalink) == {
        Ref("dataset", "4", "datasource"),
        Ref("chart", "3", "slice_id"),
    }
    assert refs("/superset/explore_json/", {"form_data": legacy["form_data"]}) == {
        Ref("dataset", "4", "datasource"),
        Ref("chart", "3", "slice_id"),
    }


def test_form_data_body_and_databases() -> None:
    body = {"datasource_id": 4, "datasource_type": "table", "chart_id": 3, "form_data": "{}"}
    assert refs("/api/v1/explore/form_data", body=body) == {
        Ref("dataset", "4", "datasource_id"),
        Ref("chart", "3", "chart_id"),
    }
    assert refs("/api/v1/sqllab/execute/", body={"database_id": 2, "sql": "SELECT 1"}) == {
        Ref("database", "2")
    }


def test_sql_lab_forms_and_the_legacy_query_form() -> None:
    editor = {"queryEditor": json.dumps({"title": "t", "dbId": 2, "schema": "s", "sql": "SELECT 1"})}
    assert refs("/tabstateview/", body=editor) == {Ref("database", "2")}
    table = {"table": json.dumps({"dbId": 2, "schema": "s", "name": "t", "queryEditorId": 9})}
    assert refs("/tableschemaview/", body=table) == {Ref("database", "2")}
    assert refs("/tabstateview/9", body={"database_id": "2", "label": '"x"'}) == {Ref("database", "2")}
    legacy = {
        "query_context": json.dumps({"datasource": {"id": 4, "type": "table"}, "form_data": {"slice_id": 3}})
    }
    assert refs("/api/v1/query/", body=legacy) == {Ref("dataset", "4"), Ref("chart", "3", "slice_id")}


def test_rison_query() -> None:
    rison = {"database_name": "acme", "schema_name": "s", "table_name": "t", "dashboard_id": 4}
    assert set(policy.references("/datasource/external_metadata_by_name/", {"q": "(…)"}, {}, rison)) == {
        Ref("database_name", "acme", "q"),
        Ref("dashboard", "4", "dashboard_id"),
    }
    listing = {"filters": [{"col": "id", "opr": "eq", "value": 3}], "page": 0}
    assert policy.references("/api/v1/chart/", {"q": "(…)"}, {}, listing) == []


def test_nothing_named_means_no_references() -> None:
    assert refs("/api/v1/chart/", {"q": "(page:0)"}, {"slice_name": "x", "chart_id": None}) == set()
    assert refs("/api/v1/chart/data", body={"form_data": "not json"}) == set()


# -- keys -------------------------------------------------------------------------------------------


def test_key_references() -> None:
    assert set(
        policy.key_references(
            "explore_state", {"datasource_id": 4, "datasource_type": "table", "chart_id": 3}
        )
    ) == {Ref("dataset", "4", "datasource_id"), Ref("chart", "3", "chart_id")}
    assert set(
        policy.key_references(
            "explore_permalink", {"chartId": 3, "datasourceId": 4, "datasourceType": "table"}
        )
    ) == {Ref("dataset", "4", "datasource_id"), Ref("chart", "3", "chart_id")}
    assert policy.key_references("explore_permalink", {"datasetId": 4, "chartId": None}) == [
        Ref("dataset", "4", "datasource_id")
    ]
    assert policy.key_references("dashboard_permalink", {"dashboardId": "my-slug"}) == [
        Ref("dashboard", "my-slug")
    ]
    assert policy.key_references("sqllab_permalink", {"dbId": 2}) == [Ref("database", "2")]
    assert policy.key_references("sqllab_permalink", {}) == []


# -- decisions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenants", "refused"),
    [
        (["a"], False),
        (["b"], True),
        ([None], True),  # an object of no tenant, or none at all: "not found"
        ([], True),
        (["a", "b"], True),
    ],
)
def test_objects_must_be_the_callers(tenants: list[str | None], refused: bool) -> None:
    assert policy.refused_reference("a", Ref("chart", "1"), tenants) is refused


@pytest.mark.parametrize(
    ("tenants", "refused"),
    [
        (None, False),  # the key resolves to nothing: Superset answers as for any missing key
        ([], False),
        (["a"], False),
        ([None], False),  # points at something of no tenant (deleted, say): Superset decides
        (["b"], True),
        (["a", "b"], True),
    ],
)
def test_keys_are_refused_only_when_they_point_into_another_tenant(
    tenants: list[str | None] | None, refused: bool
) -> None:
    assert policy.refused_reference("a", Ref("explore_permalink", "k"), tenants) is refused


def test_keys_are_swapped_and_objects_refused() -> None:
    assert policy.swapped(Ref("explore_state", "k", "form_data_key"))
    assert policy.swapped(Ref("explore_state", "k"))
    assert policy.swapped(Ref("dashboard_permalink", "k"))
    assert not policy.swapped(Ref("chart", "1", "slice_id"))
    assert not policy.swapped(Ref("dashboard", "my-slug"))


def test_dashboard_lookup() -> None:
    value = uuid.uuid4()
    assert policy.dashboard_lookup("12") == ("id", 12)
    assert policy.dashboard_lookup(str(value)) == ("uuid", value)
    assert policy.dashboard_lookup("northwind-overview") == ("slug", "northwind-overview")


@pytest.mark.parametrize(
    ("registry", "owners", "data", "expected"),
    [
        ("a", ["b"], ["b"], "a"),  # made from the tenant's template
        (None, ["a", None], ["b"], "a"),  # platform users among the owners do not count
        (None, ["a", "b"], ["a"], None),  # owners span two tenants
        (None, [None], ["a", "a"], "a"),  # owned by the platform: its data decides
        (None, [], ["a", "b"], None),
        (None, [], [], None),
    ],
)
def test_owning_tenant(
    registry: str | None, owners: list[str | None], data: list[str | None], expected: str | None
) -> None:
    assert policy.owning_tenant(registry, owners, data) == expected


def test_owning_tenant_reads_data_only_when_owners_do_not_decide() -> None:
    def boom() -> Any:
        raise AssertionError("data read")
        yield  # pragma: no cover

    assert policy.owning_tenant(None, ["a"], boom()) == "a"


# -- the older rules --------------------------------------------------------------------------------


def test_visible_and_host_mismatch() -> None:
    assert policy.visible(None, "b")
    assert policy.visible("a", "a")
    assert not policy.visible("a", "b")
    assert policy.host_mismatch("a", "b")
    assert not policy.host_mismatch("a", None)
    assert not policy.host_mismatch(None, "b")


def test_foreign_ids_and_avatars() -> None:
    assert policy.foreign_ids([1, "2", "x", 3], {1: "a", 2: "b"}, "a") == [2, 3]
    assert policy.avatar_user_id("/api/v1/user/12/avatar.png") == 12
    assert policy.avatar_user_id("/api/v1/user/me/avatar.png") is None


def test_native_annotation_layers() -> None:
    body = {
        "queries": [{"annotation_layers": [{"sourceType": "NATIVE", "value": 1}, {"sourceType": "line"}]}],
        "form_data": {"annotation_layers": [{"sourceType": "native", "value": 2}]},
    }
    assert policy.native_annotation_layers(body) == [1, 2]
