"""The route walk's pure helpers (tests/integration/route_walk.py): that it would see a leak."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from tests.integration import route_walk as rw

BOOK = rw.IdBook(
    "foreign",
    ids={"chart": [1], "dashboard": [2], "dataset": [3], "database": [4], "user": [5], "role": [6]},
    strings={"dashboard_slug": ["b-overview"], "dashboard_uuid": ["0b2c9e57-5f5c-4e64-a8f6-bd1ab3f5e2a7"]},
)
MARKERS = rw.build_markers(
    ["Northwind", "Olivia", "Search | Beach Resorts", "Cost"],
    [],
    {"user": [5], "dashboard": [2], "dataset": [3], "chart": [1]},
    distinctive=["Northwind"],
)


def answer(payload: Any, status: int = 200, content_type: str = "application/json") -> rw.Answer:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return rw.Answer(status, content_type, body)


def probe(path: str = "/api/v1/chart/", **kwargs: Any) -> rw.Probe:
    return rw.Probe(route=rw.Route("GET", path), note="t", path=path, **kwargs)


def test_routes_from_the_spec_and_the_url_map_merge_by_shape() -> None:
    spec = {"paths": {"/api/v1/chart/{pk}": {"get": {"summary": "x"}, "put": {}, "patch": {}}}}
    rules = [
        {"rule": "/api/v1/chart/<int:pk>", "methods": ["GET", "HEAD", "OPTIONS"]},
        {"rule": "/superset/slice/<int:slice_id>/", "methods": ["GET"]},
    ]
    routes = rw.merge_routes(rw.openapi_routes(spec), rw.url_map_routes(rules))
    assert [r.key for r in routes] == [
        "GET /api/v1/chart/{pk}",
        "PUT /api/v1/chart/{pk}",
        "GET /superset/slice/{slice_id}/",
    ]
    assert routes[0].sources == {"openapi", "url_map"}
    assert routes[0].operation == {"summary": "x"}
    assert rw.spec_operation_count(spec) == {"GET": 1, "POST": 0, "PUT": 1, "DELETE": 0}


def test_dashboards_are_walked_by_id_slug_and_uuid_with_missing_twins() -> None:
    route = rw.Route("GET", "/api/v1/dashboard/{id_or_slug}")
    pairs = rw.probe_pairs(route, BOOK, rw.missing_book(BOOK), rw.WalkContext())
    assert [(f.path, m.path) for f, m in pairs] == [
        ("/api/v1/dashboard/2", f"/api/v1/dashboard/{rw.MISSING_ID}"),
        ("/api/v1/dashboard/b-overview", f"/api/v1/dashboard/{rw.MISSING_TEXT}"),
        ("/api/v1/dashboard/0b2c9e57-5f5c-4e64-a8f6-bd1ab3f5e2a7", f"/api/v1/dashboard/{rw.MISSING_UUID}"),
    ]
    assert pairs[0][0].sent_ids == {("dashboard", 2)}


def test_list_filter_variants_record_only_their_own_ids() -> None:
    route = rw.Route(
        "GET",
        "/api/v1/chart/",
        {
            "parameters": [
                {
                    "in": "query",
                    "name": "q",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/get_list_schema"}}
                    },
                }
            ]
        },
    )
    ctx = rw.WalkContext(list_filters={"chart": {"owners": ["rel_m_m"], "id": ["eq"], "viz_type": ["eq"]}})
    probes = rw.build_probes(route, BOOK, ctx)
    assert [p.note for p in probes] == ["list", "q.filters.id", "q.filters.owners"]
    assert probes[0].sent_ids == frozenset()  # a plain list must not treat B's ids as echoes
    assert probes[1].sent_ids == {("chart", 1)}
    assert probes[2].sent_ids == {("user", 5)}


def test_bodies_carry_the_victims_ids_in_every_id_field() -> None:
    components = {
        "Post": {
            "type": "object",
            "required": ["dashboard_title", "json_metadata"],
            "properties": {
                "dashboard_title": {"type": "string"},
                "json_metadata": {"type": "string"},
                "owners": {"type": "array", "items": {"type": "integer"}},
                "roles": {"type": "array", "items": {"type": "integer"}},
                "published": {"type": "boolean"},
                "id": {"type": "integer", "readOnly": True},
            },
        }
    }
    route = rw.Route(
        "POST",
        "/api/v1/dashboard/",
        {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Post"}}}}},
    )
    (only,) = rw.build_probes(route, BOOK, rw.WalkContext(components=components))
    assert only.json == {"dashboard_title": "walk-probe", "json_metadata": "{}", "owners": [5], "roles": [6]}
    assert only.sent_ids == {("user", 5), ("role", 6)}


def test_scan_finds_names_anywhere_and_short_names_only_whole() -> None:
    found = rw.scan(
        probe(), answer({"result": [{"name": "Northwind Outdoor", "x": "Costly", "y": "Cost"}]}), MARKERS
    )
    assert found == ["name 'Cost'", "text 'Northwind'"]
    nested = {"result": {"json_metadata": json.dumps({"title": "Search | Beach Resorts"})}}
    assert rw.scan(probe(), answer(nested), MARKERS) == ["text 'Search | Beach Resorts'"]


def test_scan_finds_ids_by_the_field_they_sit_in() -> None:
    payload = {
        "ids": [9],
        "result": [
            {
                "id": 1,
                "owners": [{"id": 5}],
                "dashboards": [{"id": 7}],
                "form_data": {"datasource": "3__table"},
            }
        ],
    }
    assert rw.scan(probe("/api/v1/chart/"), answer(payload), MARKERS) == [
        "chart id 1 at result[0].id",
        "dataset id 3 at result[0].form_data.datasource",
        "user id 5 at result[0].owners[0].id",
    ]
    related = {"result": [{"value": 5, "text": "x"}, {"value": 8, "text": "y"}]}
    assert rw.scan(probe("/api/v1/chart/related/owners"), answer(related), MARKERS) == [
        "user id 5 at result[0].value"
    ]


def test_echoes_of_the_request_are_not_leaks() -> None:
    sent = probe(
        "/api/v1/dashboard/northwind",
        sent_ids=frozenset({("dashboard", 2)}),
        sent_strings=frozenset({"northwind"}),
    )
    echo = {"message": "Dashboard northwind not found", "id": 2}
    assert rw.scan(sent, answer(echo, 404), MARKERS) == []
    assert rw.scan(probe("/api/v1/dashboard/x"), answer({"id": 2}), MARKERS) == ["dashboard id 2 at id"]


def test_html_bootstrap_and_zip_exports_are_read() -> None:
    page = b'<div data-bootstrap="{&#34;user&#34;: {&#34;firstName&#34;: &#34;Olivia&#34;}}"></div>'
    assert rw.scan(probe("/superset/welcome/"), rw.Answer(200, "text/html", page), MARKERS) == [
        "name 'Olivia'"
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("export/charts/x.yaml", "slice_name: Northwind cost\n")
    exported = rw.Answer(200, "application/zip", buffer.getvalue())
    assert rw.scan(probe("/api/v1/chart/export/"), exported, MARKERS) == ["text 'Northwind'"]


def test_status_oracle() -> None:
    assert rw.status_oracle(answer({}, 404), answer({}, 404)) is None
    assert "403" in (rw.status_oracle(answer({}, 403), answer({}, 404)) or "")


def test_markers_drop_what_the_attacker_has_too() -> None:
    markers = rw.build_markers(
        ["ads_campaign_daily", "Campaigns", "Getting Started", "b-slug-long"], ["ads_campaign_daily"], {}
    )
    assert markers.substrings == {"Getting Started", "b-slug-long"}
    assert markers.exact == {"Campaigns"}


def test_snapshot_differences_name_the_changed_columns() -> None:
    before = {"slices#1": {"id": 1, "description": None, "changed_on": "t0"}, "tables#3": {"id": 3}}
    after = {"slices#1": {"id": 1, "description": "x", "changed_on": "t1"}, "tables#4": {"id": 4}}
    assert rw.diff_snapshots(before, after) == [
        'slices#1: {"changed_on": "t0", "description": null} → {"changed_on": "t1", "description": "x"}',
        'tables#3: {"id": 3} → null',
        'tables#4: null → {"id": 4}',
    ]
