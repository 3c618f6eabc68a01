"""Each tenant's usage dashboard: the charts' saved query context and the shared refresh (CLI, beat)."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import duckdb
import pytest
import sqlalchemy as sa

from supertenant.metering import platform_dashboard, tenant_dashboard
from supertenant.metering.pricebook import load_pricebook
from supertenant.registry import store
from supertenant.registry.records import Membership, TenantRecord
from supertenant.registry.tables import metadata, usage_events


def test_every_chart_gets_the_query_context_explore_would_save() -> None:
    for key, title, _dataset, params, _width in tenant_dashboard.chart_specs():
        body = tenant_dashboard.chart_body(params, 42, title, 9)
        form = json.loads(body["params"])
        context = json.loads(body["query_context"])
        assert body["datasource_id"] == 42
        assert body["dashboards"] == [9]
        assert form["datasource"] == "42__table"
        assert context["datasource"] == {"id": 42, "type": "table"}
        assert context["form_data"] == form
        [query] = context["queries"]
        assert query["metrics"] == params["metrics"], key
        assert query["row_limit"] == params["row_limit"], key
        if params["viz_type"].startswith("echarts_timeseries"):
            axis = query["columns"][0]
            assert axis["columnType"] == "BASE_AXIS"
            assert axis["sqlExpression"] == "day"
            assert axis["timeGrain"] == "P1D"
            assert query["columns"][1:] == params["groupby"]
            assert query["post_processing"][0]["operation"] == "pivot"
            assert query["post_processing"][-1] == {"operation": "flatten"}
        else:
            assert query["columns"] == params["groupby"]
            assert query["orderby"] == [[params["metrics"][0], False]]  # largest first
    views = dict((k, p) for k, _, _, p, _ in tenant_dashboard.chart_specs())["views"]
    context = json.loads(tenant_dashboard.chart_body(views, 1, "v", 1)["query_context"])
    assert context["queries"][0]["filters"] == [{"col": "kind", "op": "==", "val": "dashboard_view"}]


def test_chart_params_are_not_changed_by_building_the_query_context() -> None:
    specs = tenant_dashboard.chart_specs()
    for _key, title, _dataset, params, _width in specs:
        tenant_dashboard.chart_body(params, 1, title, 1)
    assert specs == tenant_dashboard.chart_specs()


@pytest.fixture
def engine(tmp_path: Path) -> sa.engine.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'meta.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        for slug, status in (("acme", "active"), ("globex", "active"), ("initech", "deleting")):
            store.upsert_tenant(
                connection, TenantRecord(slug=slug, name=slug, status=status, warehouse={"engine": "duckdb"})
            )
        store.replace_members(connection, "acme", [Membership(user_id=5, username="a@acme", role="admin")])
        for i, tenant in enumerate(("acme", "globex", "initech", None)):
            connection.execute(
                sa.insert(usage_events).values(
                    event_key=f"k{i}",
                    occurred_at=sa.func.current_timestamp(),
                    tenant=tenant,
                    user_id=i,
                    kind="login",
                    status="ok",
                )
            )
    return engine


class Recorder:
    """Stands in for the two `provision` functions; the client is whatever the factory gave."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, Any, Path]] = []
        monkeypatch.setattr(platform_dashboard, "provision", self.platform)
        monkeypatch.setattr(tenant_dashboard, "provision", self.tenant)

    def platform(self, client: Any, path: Path) -> int:
        self.calls.append(("_platform", client, path))
        return 1

    def tenant(self, client: Any, tenant: tenant_dashboard.TenantUsage, path: Path) -> int:
        self.calls.append((tenant.slug, client, path))
        return 100 + len(self.calls)


def tenants_in(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {row[0] for row in con.execute("SELECT DISTINCT tenant FROM usage_daily").fetchall()}
    finally:
        con.close()


def test_refresh_writes_every_file_then_builds_every_dashboard_in_one_session(
    engine: sa.engine.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(monkeypatch)
    session = object()
    opened: list[object] = []

    def factory() -> Any:
        opened.append(session)
        return nullcontext(session)

    result = tenant_dashboard.refresh(engine, load_pricebook(), tmp_path, factory)
    assert opened == [session]
    platform = platform_dashboard.default_path(tmp_path)
    assert result.platform_path == platform
    assert result.platform_dashboard_id == 1
    assert [(t.slug, t.admin_user_ids, i) for t, i in result.tenants] == [
        ("acme", (5,), 102),
        ("globex", (), 103),
    ]  # not the tenant being deleted
    assert [(slug, client) for slug, client, _ in recorder.calls] == [
        ("_platform", session),
        ("acme", session),
        ("globex", session),
    ]
    for slug in ("acme", "globex"):
        path = tenant_dashboard.default_path(tmp_path, slug)
        assert (slug, session, path) in recorder.calls
        assert tenants_in(path) == {slug}
    assert not tenant_dashboard.default_path(tmp_path, "initech").exists()
    assert tenants_in(platform) == {"acme", "globex", "initech", platform_dashboard.PLATFORM}


def test_refresh_options_match_the_cli(
    engine: sa.engine.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(monkeypatch)
    custom = tmp_path / "elsewhere" / "platform.duckdb"
    result = tenant_dashboard.refresh(
        engine, load_pricebook(), tmp_path, lambda: nullcontext(None), platform_path=custom, tenants=False
    )
    assert result.tenants == []
    assert [slug for slug, *_ in recorder.calls] == ["_platform"]
    assert custom.exists()
    recorder.calls.clear()
    only = tenant_dashboard.refresh(
        engine, load_pricebook(), tmp_path, lambda: nullcontext(None), tenants=False, only=["globex"]
    )
    assert [t.slug for t, _ in only.tenants] == ["globex"]
    assert [slug for slug, *_ in recorder.calls] == ["_platform", "globex"]
