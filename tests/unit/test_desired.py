"""What Superset should hold for a tenant, derived from its spec: database, datasets, metrics, RLS."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from supertenant.errors import SpecError
from supertenant.provision.desired import (
    accounts_clause,
    database_essence,
    dataset_essence,
    dataset_views,
    duckdb_uri,
    metric_essence,
    owner_url,
    rls_names,
    warehouse_schema,
)
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import DuckDBWarehouse, TenantSpec
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS

DUCKDB_YAML = """\
slug: sakura-shoes
name: さくらシューズ
locale: {locale}
warehouse:
  engine: duckdb
  path: {path}
  schema: sakura_shoes
  account_ids: ["123-456-7890", "234-567-8901"]
features:
  sql_lab: {sql_lab}
"""

BIGQUERY_YAML = """\
slug: acme
name: Acme Inc.
warehouse:
  engine: bigquery
  project: acme-analytics
  dataset: tenant_acme
  account_ids: ["111-222-3333"]
"""


def duckdb_spec(
    path: str = "data/warehouse.duckdb", *, sql_lab: bool = False, locale: str = "ja"
) -> TenantSpec:
    text = DUCKDB_YAML.format(path=json.dumps(path), sql_lab=str(sql_lab).lower(), locale=locale)
    return parse_spec(text, source="sakura.yaml")


def extra_of(essence: dict[str, Any]) -> dict[str, Any]:
    extra = json.loads(essence["extra"])
    assert isinstance(extra, dict)
    return extra


# --- database ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "relative_to_base"),
    [
        ("warehouse.duckdb", "warehouse.duckdb"),
        ("data/warehouse.duckdb", "data/warehouse.duckdb"),
        ("./data/../warehouse.duckdb", "warehouse.duckdb"),
    ],
)
def test_relative_duckdb_path_becomes_an_absolute_uri(
    tmp_path: Path, path: str, relative_to_base: str
) -> None:
    uri = database_essence(duckdb_spec(path), tmp_path)["sqlalchemy_uri"]
    assert uri.startswith("duckdb:///")
    file = Path(uri.removeprefix("duckdb:///"))
    assert file.is_absolute()
    assert file == (tmp_path / relative_to_base).resolve()


def test_absolute_duckdb_path_ignores_the_base_dir(tmp_path: Path) -> None:
    absolute = tmp_path / "elsewhere" / "w.duckdb"
    uri = database_essence(duckdb_spec(str(absolute)), tmp_path / "base")["sqlalchemy_uri"]
    assert uri == f"duckdb:///{absolute}"


def test_duckdb_uri_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse = duckdb_spec("w.duckdb").warehouse
    assert isinstance(warehouse, DuckDBWarehouse)
    monkeypatch.chdir(tmp_path)
    first = duckdb_uri(warehouse, tmp_path / "base")
    (tmp_path / "other").mkdir()
    monkeypatch.chdir(tmp_path / "other")
    assert duckdb_uri(warehouse, tmp_path / "base") == first


def test_duckdb_connection_is_read_only_without_external_access(tmp_path: Path) -> None:
    connect_args = extra_of(database_essence(duckdb_spec(), tmp_path))["engine_params"]["connect_args"]
    assert connect_args["read_only"] is True
    assert connect_args["config"]["enable_external_access"] is False


@pytest.mark.parametrize("sql_lab", [False, True])
def test_expose_in_sqllab_follows_the_feature(tmp_path: Path, sql_lab: bool) -> None:
    assert database_essence(duckdb_spec(sql_lab=sql_lab), tmp_path)["expose_in_sqllab"] is sql_lab


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("database_name", "sakura-shoes"),
        ("allow_run_async", False),
        ("allow_file_upload", False),
        ("allow_ctas", False),
        ("allow_cvas", False),
        ("allow_dml", False),
        ("is_managed_externally", True),
        ("external_url", "supertenant://tenant/sakura-shoes"),
    ],
)
def test_database_essence_fields(tmp_path: Path, key: str, expected: object) -> None:
    assert database_essence(duckdb_spec(), tmp_path)[key] == expected


def test_database_extra_forbids_uploads_and_is_stable(tmp_path: Path) -> None:
    essence = database_essence(duckdb_spec(), tmp_path)
    assert extra_of(essence)["schemas_allowed_for_file_upload"] == []
    assert essence == database_essence(duckdb_spec(), tmp_path)  # a second apply compares equal
    assert essence["extra"] == json.dumps(extra_of(essence), sort_keys=True)


def test_bigquery_database(tmp_path: Path) -> None:
    spec = parse_spec(BIGQUERY_YAML)
    essence = database_essence(spec, tmp_path)
    assert essence["sqlalchemy_uri"] == "bigquery://acme-analytics"
    assert extra_of(essence)["engine_params"] == {}
    assert essence["expose_in_sqllab"] is False
    assert essence["database_name"] == "acme"
    assert warehouse_schema(spec) == "tenant_acme"


def test_no_credential_ends_up_in_the_essence(tmp_path: Path) -> None:
    text = BIGQUERY_YAML.replace("  account_ids:", "  credentials_file: /secrets/sa-key.json\n  account_ids:")
    essence = database_essence(parse_spec(text), tmp_path)
    assert "sa-key" not in json.dumps(essence)


# --- datasets and metrics --------------------------------------------------------------------


def test_datasets_live_in_the_tenants_schema() -> None:
    spec = duckdb_spec()
    assert [v.name for v in dataset_views()] == [v.name for v in CONTRACT_VIEWS]
    for view in dataset_views():
        essence = dataset_essence(spec, view)
        assert essence["table_name"] == view.name
        assert essence["schema"] == "sakura_shoes"
        assert essence["main_dttm_col"] == view.temporal.name
        assert essence["external_url"] == owner_url("sakura-shoes")
        assert essence["is_managed_externally"] is True


def test_dataset_uuids_are_stable_and_distinct() -> None:
    spec = duckdb_spec()
    uuids = [dataset_essence(spec, v)["uuid"] for v in dataset_views()]
    assert len(set(uuids)) == len(uuids)
    assert uuids == [dataset_essence(duckdb_spec(), v)["uuid"] for v in dataset_views()]
    other = parse_spec(BIGQUERY_YAML)
    assert not set(uuids) & {dataset_essence(other, v)["uuid"] for v in dataset_views()}


@pytest.mark.parametrize(
    ("locale", "metric", "label"),
    [
        ("ja", "cost", "費用"),
        ("en", "cost", "Cost"),
        ("ja", "clicks", "クリック数"),
        ("en", "impressions", "Impressions"),
    ],
)
def test_metric_labels_follow_the_locale(locale: str, metric: str, label: str) -> None:
    metrics = {m["metric_name"]: m for m in metric_essence(duckdb_spec(locale=locale))}
    assert metrics[metric]["verbose_name"] == label


def test_metrics_cover_the_contract() -> None:
    metrics = metric_essence(duckdb_spec())
    assert [m["metric_name"] for m in metrics] == [m.name for m in SAVED_METRICS]
    assert all(m["expression"] and m["d3format"] for m in metrics)


# --- row-level security --------------------------------------------------------------------------


def test_accounts_clause_lists_every_account() -> None:
    assert accounts_clause(duckdb_spec()) == "account_id IN ('123-456-7890', '234-567-8901')"


def test_the_spec_refuses_a_quote_in_an_account_id() -> None:
    text = DUCKDB_YAML.format(path='"w.duckdb"', sql_lab="false", locale="ja").replace(
        '"234-567-8901"', "\"234-567-8901') OR ('1'='1\""
    )
    with pytest.raises(SpecError, match="account_ids"):
        parse_spec(text)


@pytest.mark.parametrize(
    ("accounts", "clause"),
    [
        (["o'brien"], "account_id IN ('o''brien')"),
        (["1') OR ('1'='1"], "account_id IN ('1'') OR (''1''=''1')"),
        (["''"], "account_id IN ('''''')"),
        (["123-456-7890", "x'y"], "account_id IN ('123-456-7890', 'x''y')"),
    ],
)
def test_accounts_clause_escapes_quotes_anyway(accounts: list[str], clause: str) -> None:
    """Defence in depth: bypass validation with ``model_construct`` and the literal is still closed."""
    warehouse = DuckDBWarehouse.model_construct(
        engine="duckdb", path="w.duckdb", schema_name="s", account_ids=accounts
    )
    spec = TenantSpec.model_construct(slug="evil", name="Evil", warehouse=warehouse)
    result = accounts_clause(spec)
    assert result == clause
    # Run it: only the given accounts match, so no value closed its literal early.
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE TABLE t (account_id TEXT)")
        db.executemany("INSERT INTO t VALUES (?)", [(a,) for a in [*accounts, "999-999-9999", "1"]])
        matched = {row[0] for row in db.execute("SELECT account_id FROM t WHERE " + result)}  # noqa: S608
    assert matched == set(accounts)


@pytest.mark.parametrize(
    ("slug", "names"),
    [
        ("acme", ("acme__accounts", "acme__deny_by_default")),
        ("sakura-shoes", ("sakura-shoes__accounts", "sakura-shoes__deny_by_default")),
    ],
)
def test_rls_names(slug: str, names: tuple[str, str]) -> None:
    assert rls_names(slug) == names
    assert len(set(rls_names(slug))) == 2


def test_rls_names_of_two_tenants_never_collide() -> None:
    assert not set(rls_names("acme")) & set(rls_names("acme-2"))
