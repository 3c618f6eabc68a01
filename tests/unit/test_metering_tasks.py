"""The metering beat entries and their Celery tasks: schedule, registration and what each call does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from supertenant.metering import schedule, tasks, tenant_dashboard
from supertenant.settings import load_settings
from supertenant.superset_api import SupersetClient
from supertenant.superset_ext.config import celery_config

REFRESH = "supertenant.metering.refresh_usage_dashboards"


pytestmark = pytest.mark.usefixtures("clean_supertenant_env")


def test_the_usage_dashboards_refresh_runs_with_the_collectors() -> None:
    entries = schedule.beat_schedule()
    assert entries["supertenant-refresh-usage-dashboards"] == {"task": REFRESH, "schedule": 900.0}
    assert {e["schedule"] for e in entries.values()} == {900.0}  # every 15 minutes, like the collectors
    assert schedule.beat_schedule(60)["supertenant-refresh-usage-dashboards"]["schedule"] == 60


def test_every_beat_entry_names_a_registered_task(tmp_path: Path) -> None:
    config = celery_config(load_settings(data_dir=tmp_path, redis_url="redis://cache.internal:6379/0"))
    assert config is not None
    assert schedule.TASKS_MODULE in config.imports
    assert config.beat_schedule == schedule.beat_schedule()
    registered = tasks.celery_app.tasks
    for entry in config.beat_schedule.values():
        assert entry["task"] in registered, entry
    assert registered[REFRESH].run is tasks.refresh_usage_dashboards
    assert registered[REFRESH].ignore_result


def test_refresh_without_the_admin_password_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERTENANT_DATA_DIR", str(tmp_path))

    def refresh(*_: Any, **__: Any) -> None:
        raise AssertionError("must not run without credentials")

    monkeypatch.setattr(tenant_dashboard, "refresh", refresh)
    assert tasks.refresh_usage_dashboards() == 0


def test_refresh_runs_the_cli_refresh_as_the_platform_admin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERTENANT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUPERTENANT_METADATA_DB_URL", f"sqlite:///{tmp_path / 'meta.db'}")
    monkeypatch.setenv("SUPERTENANT_SUPERSET_URL", "http://superset.internal:8088")
    monkeypatch.setenv("SUPERTENANT_ADMIN_USERNAME", "platform")
    monkeypatch.setenv("SUPERTENANT_ADMIN_PASSWORD", "s3cret-pw")
    calls: list[dict[str, Any]] = []

    def refresh(engine: sa.engine.Engine, book: Any, data_dir: Path, factory: Any, **kwargs: Any) -> Any:
        client = factory()
        calls.append({"url": str(engine.url), "data_dir": data_dir, "client": client, "kwargs": kwargs})
        result = tenant_dashboard.Refreshed(tmp_path / "p.duckdb", {}, 1)
        result.tenants = [(tenant_dashboard.TenantUsage("acme", (5,)), 7)]
        return result

    monkeypatch.setattr(tenant_dashboard, "refresh", refresh)
    assert tasks.refresh_usage_dashboards() == 1
    [call] = calls
    assert call["url"] == f"sqlite:///{tmp_path / 'meta.db'}"
    assert Path(call["data_dir"]).resolve() == tmp_path.resolve()
    assert call["kwargs"] == {}  # the CLI's defaults: the platform dashboard and every tenant's
    client = call["client"]
    assert isinstance(client, SupersetClient)
    assert (client.base_url, client.username) == ("http://superset.internal:8088", "platform")
    client.close()
