"""The dataset import bundle: what the engine sends instead of one POST/GET/PUT per dataset."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

from supertenant.provision.bundle import BUNDLE_ROOT, database_config, dataset_bundle
from supertenant.provision.desired import (
    database_essence,
    dataset_essence,
    dataset_import_config,
    dataset_views,
    metric_essence,
)
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import TenantSpec
from supertenant.templates.uuids import object_uuid

from .test_desired import BIGQUERY_YAML, duckdb_spec


def bigquery_spec() -> TenantSpec:
    return parse_spec(BIGQUERY_YAML, source="acme.yaml")


def bundle_files(spec: TenantSpec, base_dir: Path) -> dict[str, dict[str, object]]:
    database_uuid = str(object_uuid(spec.slug, "database"))
    payload = dataset_bundle(
        database_config(database_essence(spec, base_dir), database_uuid),
        [dataset_import_config(spec, view, database_uuid) for view in dataset_views()],
    )
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name: yaml.safe_load(archive.read(name)) for name in archive.namelist()}


def test_bundle_holds_metadata_the_database_and_every_dataset(tmp_path: Path) -> None:
    spec = duckdb_spec()
    files = bundle_files(spec, tmp_path)
    prefix = f"{BUNDLE_ROOT}/"
    assert all(name.startswith(prefix) for name in files)
    names = sorted(name.removeprefix(prefix) for name in files)
    assert names == sorted(
        ["metadata.yaml", f"databases/{spec.database_name}.yaml"]
        + [f"datasets/{spec.database_name}/{view.name}.yaml" for view in dataset_views()]
    )
    metadata = files[prefix + "metadata.yaml"]
    assert metadata["version"] == "1.0.0"
    assert metadata["type"] == "SqlaTable"


def test_required_import_fields_are_present(tmp_path: Path) -> None:
    """Superset's ImportV1*Schema required fields (its schemas need a running app to import)."""
    for spec in (duckdb_spec(), bigquery_spec()):
        for name, content in bundle_files(spec, tmp_path).items():
            if "/datasets/" in name:
                assert {"table_name", "uuid", "version", "database_uuid"} <= set(content), name
                assert all("column_name" in c for c in content["columns"])  # type: ignore[attr-defined]
                assert all({"metric_name", "expression"} <= set(m) for m in content["metrics"])  # type: ignore[attr-defined]
            elif "/databases/" in name:
                assert {"database_name", "sqlalchemy_uri", "uuid", "version"} <= set(content), name


def test_datasets_carry_the_derived_uuids_and_the_managed_fields(tmp_path: Path) -> None:
    spec = duckdb_spec()
    database_uuid = str(object_uuid(spec.slug, "database"))
    for view in dataset_views():
        config = dataset_import_config(spec, view, database_uuid)
        essence = dataset_essence(spec, view)
        assert config["uuid"] == essence["uuid"] == str(object_uuid(spec.slug, "dataset", view.name))
        assert config["database_uuid"] == database_uuid
        for key in ("table_name", "schema", "main_dttm_col", "is_managed_externally", "external_url"):
            assert config[key] == essence[key], key
        # exactly the metrics a later apply compares against: a fresh import is already converged
        assert config["metrics"] == metric_essence(spec)


def test_columns_are_the_contracts_with_the_engines_type_names(tmp_path: Path) -> None:
    database_uuid = "00000000-0000-0000-0000-000000000000"
    for spec, engine in ((duckdb_spec(), "duckdb"), (bigquery_spec(), "bigquery")):
        for view in dataset_views():
            columns = dataset_import_config(spec, view, database_uuid)["columns"]
            assert [c["column_name"] for c in columns] == [c.name for c in view.columns]
            assert [c["type"] for c in columns] == [c.type_for(engine) for c in view.columns]  # type: ignore[arg-type]
            assert [c["column_name"] for c in columns if c["is_dttm"]] == [view.temporal.name]


def test_same_spec_same_bytes(tmp_path: Path) -> None:
    spec = duckdb_spec()
    database_uuid = str(object_uuid(spec.slug, "database"))
    configs = [dataset_import_config(spec, view, database_uuid) for view in dataset_views()]
    database = database_config(database_essence(spec, tmp_path), database_uuid)
    assert dataset_bundle(database, configs) == dataset_bundle(database, configs)


def test_dashboard_bundle_holds_charts_and_dashboards_by_uuid(
    tmp_path: Path,
) -> None:
    """The files ``POST /api/v1/dashboard/import/`` reads (the real import runs in the integration tests)."""
    from supertenant.provision.bundle import chart_config, dashboard_bundle, dashboard_config

    spec = duckdb_spec()
    database_uuid = str(object_uuid(spec.slug, "database"))
    view = dataset_views()[0]
    dataset = dataset_import_config(spec, view, database_uuid)
    body = {
        "slice_name": "コスト",
        "viz_type": "big_number_total",
        "params": '{"metric": "cost", "datasource": "7__table"}',
        "query_context": '{"datasource": {"id": 7, "type": "table"}}',
        "datasource_id": 7,
        "datasource_type": "table",
    }
    chart = chart_config("0b5c9a2e-7d7e-4a53-9a55-4f1f4f1a3b2c", dataset["uuid"], body)
    position = {"CHART-kpi": {"type": "CHART", "meta": {"chartId": 1, "uuid": chart["uuid"]}}}
    dashboard = dashboard_config(
        title="概要",
        slug="acme-overview",
        uuid="5e7f2b8a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
        position=position,
        metadata={},
    )
    payload = dashboard_bundle(
        database_config(database_essence(spec, tmp_path), database_uuid), [dataset], [chart], [dashboard]
    )
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        files = {
            name.removeprefix(f"{BUNDLE_ROOT}/"): yaml.safe_load(archive.read(name))
            for name in archive.namelist()
        }
    assert files["metadata.yaml"]["type"] == "Dashboard"
    assert files[f"charts/{chart['uuid']}.yaml"] == chart
    assert files[f"dashboards/{dashboard['uuid']}.yaml"]["position"] == position
    assert f"datasets/{spec.database_name}/{view.name}.yaml" in files
    # the fields Superset's ImportV1ChartSchema and ImportV1DashboardSchema require
    assert {"slice_name", "viz_type", "uuid", "version", "dataset_uuid"} <= set(chart)
    assert {"dashboard_title", "uuid", "version"} <= set(dashboard)
    assert chart["params"] == {"metric": "cost", "datasource": "7__table"}  # a mapping, as the schema wants
    assert chart["is_managed_externally"] is False  # tenant editors may still change it
