"""The backup format: portable references, secret checks, asset bundles, files on disk."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import yaml

from supertenant.errors import NotFoundError, PermanentError
from supertenant.ops import dbdump, layout
from supertenant.registry.records import Membership, TenantRecord

DB_UUID = "11111111-1111-1111-1111-111111111111"
DS_UUID = "22222222-2222-2222-2222-222222222222"
DASH_UUID = "33333333-3333-3333-3333-333333333333"


def test_dataset_and_database_views_become_references_and_back() -> None:
    dataset = layout.portable_permission(
        "datasource_access", "[sakura-shoes].[ads_campaign_daily](id:7)", {3: DB_UUID}, {7: DS_UUID}
    )
    assert dataset.view == "[sakura-shoes].[ads_campaign_daily]"
    assert dataset.ref == layout.ObjectRef(kind="dataset", uuid=DS_UUID)
    database = layout.portable_permission("database_access", "[sakura-shoes].(id:3)", {3: DB_UUID}, {})
    assert database.ref == layout.ObjectRef(kind="database", uuid=DB_UUID)
    assert (
        layout.local_view(dataset, {DB_UUID: 30}, {DS_UUID: 70})
        == "[sakura-shoes].[ads_campaign_daily](id:70)"
    )
    assert layout.local_view(database, {DB_UUID: 30}, {}) == "[sakura-shoes].(id:30)"


def test_plain_views_are_kept_and_unknown_objects_are_named() -> None:
    plain = layout.portable_permission("can_read", "Dashboard", {}, {})
    assert plain == layout.PortablePermission(permission="can_read", view="Dashboard")
    assert layout.local_view(plain, {}, {}) == "Dashboard"
    dangling = layout.portable_permission("datasource_access", "[x].[y](id:9)", {}, {})
    assert dangling.ref is None  # an id that points at nothing stays literal, never guessed
    ref = layout.PortablePermission(
        permission="datasource_access", view="[x].[y]", ref=layout.ObjectRef(kind="dataset", uuid=DS_UUID)
    )
    with pytest.raises(NotFoundError, match=DS_UUID):
        layout.local_view(ref, {}, {})


def record(**changes: object) -> TenantRecord:
    base = {
        "slug": "sakura-shoes",
        "name": "さくら",
        "status": "active",
        "warehouse": {"engine": "duckdb", "schema": "sakura_shoes", "password": "leak"},
        "superset_database_id": 3,
        "role_ids": {"admin": 10, "viewer": 12},
        "dashboard_ids": {"google_ads_overview": 5},
        "home_dashboard_id": 5,
    }
    return TenantRecord.model_validate(base | changes)


def test_registry_rows_are_remapped_through_references() -> None:
    members = [Membership(user_id=40, username="viewer@sakura.example", role="viewer")]
    backup = layout.portable_tenant(
        record(), members, {3: DB_UUID}, {10: "sakura-shoes_admin", 12: "sakura-shoes_viewer"}, {5: DASH_UUID}
    )
    assert "password" not in backup.record["warehouse"]
    assert "superset_database_id" not in backup.record
    assert backup.home_dashboard_uuid == DASH_UUID
    restored, new_members = layout.local_tenant(
        backup,
        {DB_UUID: 103},
        {"sakura-shoes_admin": 110, "sakura-shoes_viewer": 112},
        {DASH_UUID: 105},
        {"viewer@sakura.example": 140},
    )
    assert restored.superset_database_id == 103
    assert restored.role_ids == {"admin": 110, "viewer": 112}
    assert restored.dashboard_ids == {"google_ads_overview": 105}
    assert restored.home_dashboard_id == 105
    assert new_members == [Membership(user_id=140, username="viewer@sakura.example", role="viewer")]


def test_a_registry_row_whose_objects_were_not_restored_is_refused_with_every_gap() -> None:
    backup = layout.portable_tenant(record(), [], {3: DB_UUID}, {10: "a", 12: "v"}, {5: DASH_UUID})
    with pytest.raises(NotFoundError) as error:
        layout.local_tenant(backup, {}, {"a": 1}, {}, {})
    assert all(
        part in str(error.value) for part in (f"database {DB_UUID}", "role v", f"dashboard {DASH_UUID}")
    )


def test_uris_are_masked_and_secrets_are_found_without_echoing_them() -> None:
    assert layout.mask_uri("postgresql://u:s3cret@db/x") == f"postgresql://u:{layout.MASK}@db/x"
    assert layout.mask_uri("duckdb:////data/w.duckdb") == "duckdb:////data/w.duckdb"
    files = {
        "a.yaml": "sqlalchemy_uri: postgresql://u:s3cret@db/x\n",
        "b.json": '{"private_key": "-----BEGIN PRIVATE KEY-----\\nabc"}',
        "c.json": '{"password_hash": "pbkdf2:sha256:600000$salt$hash"}',
        "d.yaml": f"sqlalchemy_uri: postgresql://u:{layout.MASK}@db/x\npassword: null\n",
        "e.json": '{"credentials_info": {"private_key": "XXXXXXXXXX", "private_key_id": "abc"}}',
    }
    found = layout.find_secrets(files)
    assert [f.split(":")[0] for f in found] == ["a.yaml", "b.json", "b.json", "c.json"]
    assert not any("s3cret" in f or "abc" in f for f in found)


def export_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("dashboard_export_1/metadata.yaml", "version: 1.0.0\ntype: Dashboard\n")
        for path, text in files.items():
            bundle.writestr(f"dashboard_export_1/{path}", text)
    return buffer.getvalue()


def test_exports_are_split_by_uuid_stamped_and_rebundled_for_the_assets_import() -> None:
    files = {
        "databases/sakura.yaml": yaml.safe_dump({"database_name": "sakura-shoes", "uuid": DB_UUID}),
        "datasets/sakura/ads.yaml": yaml.safe_dump({"table_name": "ads", "uuid": DS_UUID}),
        "charts/other.yaml": yaml.safe_dump(
            {"slice_name": "x", "uuid": "44444444-4444-4444-4444-444444444444"}
        ),
    }
    unzipped = layout.unzip_export(export_zip(files))
    assert unzipped == files  # the root folder and Superset's own metadata.yaml are dropped
    mine = layout.select_assets(unzipped, {DB_UUID, DS_UUID})
    assert set(mine) == {"databases/sakura.yaml", "datasets/sakura/ads.yaml"}
    stamped = layout.stamp_managed(mine, {DS_UUID: "supertenant://tenant/sakura-shoes"})
    assert yaml.safe_load(stamped["datasets/sakura/ads.yaml"])["is_managed_externally"] is True
    assert "is_managed_externally" not in yaml.safe_load(stamped["databases/sakura.yaml"])
    assert layout.database_files(stamped) == {"sakura-shoes": "databases/sakura.yaml"}
    with zipfile.ZipFile(io.BytesIO(layout.asset_bundle(stamped))) as bundle:
        assert yaml.safe_load(bundle.read("backup/metadata.yaml"))["type"] == "assets"
        assert set(bundle.namelist()) == {"backup/metadata.yaml"} | {f"backup/{p}" for p in stamped}


def snapshot() -> layout.Snapshot:
    return layout.Snapshot(
        source="http://127.0.0.1:8088",
        assets={"databases/s.yaml": yaml.safe_dump({"database_name": "s", "uuid": DB_UUID})},
        roles=[
            layout.RoleBackup(
                name="s_viewer", permissions=[layout.PortablePermission(permission="p", view="v")]
            )
        ],
        users=[
            layout.UserBackup(username="u", first_name="F", last_name="L", email="u@x", roles=["s_viewer"])
        ],
        rls=[
            layout.RlsBackup(name="r", filter_type="Base", clause="1 = 0", tables=[DS_UUID], roles=["Admin"])
        ],
        tenants=[layout.portable_tenant(record(), [], {3: DB_UUID}, {}, {})],
        owners={DASH_UUID: ["u"]},
    )


def test_a_snapshot_round_trips_through_files_and_replaces_stale_ones(tmp_path: Path) -> None:
    (tmp_path / "assets" / "charts").mkdir(parents=True)
    (tmp_path / "assets" / "charts" / "deleted-since.yaml").write_text("uuid: gone\n")
    (tmp_path / "README.md").write_text("kept: not ours\n")
    original = snapshot()
    layout.write_snapshot(original, tmp_path)
    assert not (tmp_path / "assets" / "charts" / "deleted-since.yaml").exists()
    assert (tmp_path / "README.md").exists()
    assert json.loads((tmp_path / "backup.json").read_text())["tenants"] == ["sakura-shoes"]
    assert layout.read_snapshot(tmp_path) == original


def test_a_snapshot_holding_a_secret_is_never_written(tmp_path: Path) -> None:
    leaky = snapshot().model_copy(update={"assets": {"databases/s.yaml": "password: hunter2\n"}})
    with pytest.raises(PermanentError, match=r"databases/s\.yaml") as error:
        layout.write_snapshot(leaky, tmp_path)
    assert "hunter2" not in str(error.value)
    assert not any(tmp_path.iterdir())


def test_reading_a_directory_that_is_not_a_backup_says_so(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"backup\.json"):
        layout.read_snapshot(tmp_path)


def test_pg_dump_gets_the_password_in_its_environment_only() -> None:
    args, env = dbdump.pg_arguments(
        "postgresql+psycopg2://superset:pa%40ss@10.0.0.5:5432/superset?sslmode=require"
    )
    assert args == ["--host", "10.0.0.5", "--port", "5432", "--username", "superset", "--dbname", "superset"]
    assert env == {"PGPASSWORD": "pa@ss", "PGSSLMODE": "require"}
    socket_args, _ = dbdump.pg_arguments("postgresql+psycopg2://u@/superset?host=/cloudsql/p:r:i")
    assert socket_args[:2] == ["--host", "/cloudsql/p:r:i"]


def test_sqlite_metadata_is_copied_consistently(tmp_path: Path) -> None:
    import sqlite3

    source = tmp_path / "superset.db"
    with sqlite3.connect(source) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (42)")
    dumped = dbdump.dump(f"sqlite:///{source}", tmp_path / "dumps")
    assert dumped.stat().st_mode & 0o777 == 0o600
    target = tmp_path / "restored.db"
    dbdump.load(f"sqlite:///{target}", dumped)
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT x FROM t").fetchall() == [(42,)]


def test_filter_scopes_follow_the_charts_to_their_new_ids() -> None:
    dashboard = yaml.safe_dump(
        {
            "uuid": DASH_UUID,
            "position": {
                "CHART-a": {"type": "CHART", "meta": {"chartId": 7, "uuid": "chart-a"}},
                "CHART-b": {"type": "CHART", "meta": {"chartId": 8, "uuid": "chart-b"}},
                "ROW-1": {"type": "ROW", "meta": {}},
            },
        }
    )
    assert layout.dashboard_chart_ids(dashboard) == {7: "chart-a", 8: "chart-b"}
    metadata = {
        "native_filter_configuration": [{"id": "f", "chartsInScope": [7, 8, 99]}],
        "global_chart_configuration": {"scope": {"excluded": []}, "chartsInScope": [8]},
        "chart_configuration": {"7": {"id": 7, "crossFilters": {"chartsInScope": [8]}}},
        "color_scheme": "supersetColors",
    }
    exported = {"default_filters": {"7": {"region": ["JP"]}, "99": {}}}
    fixed = layout.repair_dashboard_metadata(metadata, exported, {7: 70, 8: 80})
    assert fixed["default_filters"] == {"70": {"region": ["JP"]}}  # the import dropped it
    as_text = layout.repair_dashboard_metadata({}, {"default_filters": '{"8": 1}'}, {8: 80})
    assert as_text["default_filters"] == '{"80": 1}'
    assert "default_filters" not in layout.repair_dashboard_metadata({}, {}, {})
    assert fixed["native_filter_configuration"][0]["chartsInScope"] == [70, 80]  # 99: no such chart
    assert fixed["global_chart_configuration"]["chartsInScope"] == [80]
    assert fixed["chart_configuration"]["7"]["crossFilters"]["chartsInScope"] == [80]
    assert fixed["color_scheme"] == "supersetColors"
    assert metadata["native_filter_configuration"][0]["chartsInScope"] == [7, 8, 99]  # input untouched


def test_charts_are_imported_in_their_source_id_order() -> None:
    dashboard = yaml.safe_dump(
        {
            "uuid": DASH_UUID,
            "position": {
                "CHART-x": {"type": "CHART", "meta": {"chartId": 12, "uuid": "chart-x"}},
                "CHART-y": {"type": "CHART", "meta": {"chartId": 3, "uuid": "chart-y"}},
            },
        }
    )
    files = {
        "charts/a.yaml": yaml.safe_dump({"uuid": "chart-x"}),
        "charts/b.yaml": yaml.safe_dump({"uuid": "chart-y"}),
        "charts/c.yaml": yaml.safe_dump({"uuid": "on-no-dashboard"}),
        "dashboards/d.yaml": dashboard,
        "datasets/s/t.yaml": yaml.safe_dump({"uuid": DS_UUID}),
    }
    assert layout.import_order(files) == [
        "dashboards/d.yaml",
        "datasets/s/t.yaml",
        "charts/b.yaml",
        "charts/a.yaml",
        "charts/c.yaml",
    ]
