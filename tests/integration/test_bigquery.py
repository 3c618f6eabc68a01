"""BigQuery tenants end to end, offline: bqemulator (own venv) behind a recording proxy.

Covers the contract check (passes; names every problem), shared-project mode (tenant views and row
access policies, enforced per service account), and a real Superset 6.1 querying the emulator through
a tenant's Database, with the job labels and ``maximumBytesBilled`` captured at the HTTP layer.

``BIGQUERY_EMULATOR_HOST`` is set when this module is imported. pytest imports every test module before
it runs any fixture, so the session's Superset (the ``server`` fixture copies ``os.environ`` when it
starts) and every google-cloud-bigquery client in this process send their requests to the proxy. No
test hook exists in production code: tenants' key files name the proxy as their ``token_uri``.
"""

# ruff: noqa: S608 - test SQL is built from this module's constants only

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from supertenant.errors import ContractError
from supertenant.provision.engine import Provisioner
from supertenant.provision.teardown import Teardown
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import BigQueryWarehouse, TenantSpec
from supertenant.superset_api import SupersetClient
from supertenant.warehouse import bigquery as bq
from supertenant.warehouse.contract import CONTRACT_VIEWS, VIEW_NAMES
from supertenant.warehouse.sample import generate

from . import bqemulator_server as emu
from .conftest import Server

pytestmark = pytest.mark.integration

_PROXY_SOCKET = emu.reserve_socket()
ENDPOINT = f"http://127.0.0.1:{_PROXY_SOCKET.getsockname()[1]}"
os.environ["BIGQUERY_EMULATOR_HOST"] = ENDPOINT

VIEWS = {view.name: view for view in CONTRACT_VIEWS}
PROJECT = "st-emulator-1"
SHARED = "ads_shared"
TENANTS = {"alpha-ads": ("111-111-1111", "111-111-2222"), "beta-ads": ("222-222-3333",)}
CAP = 987_654_321
SPEC = """
slug: {slug}
name: BigQuery {slug}
warehouse:
  engine: bigquery
  project: {project}
  dataset: {dataset}
  credentials_file: keys/{slug}.json
  maximum_bytes_billed: {cap}
  account_ids: {accounts}
users:
  - {{email: viewer@{slug}.example, role: viewer, password_env: VIEWER_PASSWORD}}
"""


def sa_email(slug: str) -> str:
    return f"t-{slug}@{PROJECT}.iam.gserviceaccount.com"


def tenant_dataset(slug: str) -> str:
    return "tenant_" + slug.replace("-", "_")


def tenant_spec(slug: str) -> TenantSpec:
    text = SPEC.format(
        slug=slug, project=PROJECT, dataset=tenant_dataset(slug), cap=CAP, accounts=json.dumps(TENANTS[slug])
    )
    return parse_spec(text, source=f"{slug}.yaml")


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[emu.Emulator]:
    logs = tmp_path_factory.mktemp("bqemulator")
    try:
        venv = emu.ensure_venv(logs / "install.log")
    except emu.EmulatorUnavailable as error:
        pytest.skip(f"bqemulator cannot be installed from PyPI: {error}")
    with emu.running(venv, _PROXY_SOCKET, PROJECT, logs / "emulator.log") as running:
        assert running.endpoint == ENDPOINT
        yield running


@pytest.fixture(scope="module")
def spec_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A spec directory with one service-account key file per tenant (token_uri → the proxy)."""
    root = tmp_path_factory.mktemp("bigquery-specs")
    (root / "keys").mkdir()
    pem = emu.private_key_pem()
    for slug in TENANTS:
        key = emu.service_account_key(sa_email(slug), PROJECT, f"{ENDPOINT}/token", pem)
        (root / "keys" / f"{slug}.json").write_text(json.dumps(key))
    return root


@pytest.fixture(scope="module")
def warehouse(emulator: emu.Emulator) -> None:
    """Shared tables with every tenant's sample rows, then each tenant's views and row policies."""
    admin = emulator.client()
    admin.create_dataset(f"{PROJECT}.{SHARED}", exists_ok=True)
    accounts = [account for ids in TENANTS.values() for account in ids]
    data = generate(accounts, seed=7, end_date=date.today(), days=30)
    for view in CONTRACT_VIEWS:
        admin.query(bq.shared_table_ddl(PROJECT, SHARED, view)).result()
        table = admin.get_table(f"{PROJECT}.{SHARED}.{view.name}")
        rows = [dict(zip(view.column_names, row, strict=True)) for row in data.rows[view.name]]
        assert admin.insert_rows(table, rows) == []
    for slug, ids in TENANTS.items():
        bq.run_statements(admin, tenant_statements(slug, ids))


def tenant_statements(slug: str, accounts: tuple[str, ...]) -> list[str]:
    return bq.shared_mode_statements(
        project=PROJECT,
        shared_dataset=SHARED,
        tenant_dataset=tenant_dataset(slug),
        slug=slug,
        grantees=[bq.service_account_grantee(sa_email(slug))],
        account_ids=accounts,
    )


def accounts_seen(client: object, table: str) -> set[str]:
    rows = client.query(f"SELECT DISTINCT account_id FROM `{PROJECT}.{table}`").result()  # type: ignore[attr-defined]
    return {row[0] for row in rows}


# --- contract check -------------------------------------------------------------------------------


def test_contract_check_passes_as_the_tenant_with_labels_and_cap(
    emulator: emu.Emulator, warehouse: None, spec_dir: Path
) -> None:
    spec = tenant_spec("alpha-ads")
    assert isinstance(spec.warehouse, BigQueryWarehouse)
    before = len(emulator.recorder.snapshot())
    bq.check_warehouse_contract(spec.warehouse, spec_dir, tenant=spec.slug)
    sent = emulator.recorder.snapshot()[before:]
    assert sent, "the contract check sent no query"
    for record in sent:
        assert record.caller == f"serviceAccount:{sa_email('alpha-ads')}"
        assert record.labels == {"tenant": "alpha-ads", "source": "provisioning"}
        assert record.maximum_bytes_billed == CAP


def test_contract_check_names_every_problem(emulator: emu.Emulator, warehouse: None) -> None:
    admin = emulator.client()
    broken = "broken_contract"
    shared = f"`{PROJECT}.{SHARED}"
    cols = [c.name for c in CONTRACT_VIEWS[0].columns if c.name not in {"cost", "currency"}]
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS `{PROJECT}.{broken}`",
        # cost as FLOAT64 and no currency column
        f"CREATE OR REPLACE VIEW `{PROJECT}.{broken}.ads_campaign_daily` AS SELECT "
        + ", ".join(f"`{c}`" for c in cols)
        + f", CAST(cost AS FLOAT64) AS cost FROM {shared}.ads_campaign_daily`",
        # Views whose base table later loses a column: INFORMATION_SCHEMA still lists the old columns.
        # Naming the column breaks the view; `SELECT *` silently drops it.
        f"CREATE TABLE `{PROJECT}.{broken}.keyword_base` AS SELECT * FROM {shared}.ads_keyword_daily`",
        f"CREATE OR REPLACE VIEW `{PROJECT}.{broken}.ads_keyword_daily` AS SELECT "
        + ", ".join(f"`{c}`" for c in VIEWS["ads_keyword_daily"].column_names)
        + f" FROM `{PROJECT}.{broken}.keyword_base`",
        f"ALTER TABLE `{PROJECT}.{broken}.keyword_base` DROP COLUMN match_type",
        f"CREATE TABLE `{PROJECT}.{broken}.adgroup_base` AS SELECT * FROM {shared}.ads_adgroup_daily`",
        f"CREATE OR REPLACE VIEW `{PROJECT}.{broken}.ads_adgroup_daily` AS "
        f"SELECT * FROM `{PROJECT}.{broken}.adgroup_base`",
        f"ALTER TABLE `{PROJECT}.{broken}.adgroup_base` DROP COLUMN ad_group_name",
        # ads_geo_daily: missing
    ]
    bq.run_statements(admin, statements)

    with pytest.raises(ContractError) as caught:
        bq.check_contract(admin, PROJECT, broken)
    reasons = caught.value.reasons
    assert reasons[:4] == [
        "view ads_campaign_daily: column cost should be NUMERIC, found FLOAT64",
        "view ads_campaign_daily: missing column currency (STRING)",
        "view ads_adgroup_daily: missing column ad_group_name (STRING)",
        "missing view ads_geo_daily",
    ]
    assert len(reasons) == 5
    assert reasons[4].startswith("view ads_keyword_daily: cannot be queried:")
    assert "match_type" in reasons[4]

    with pytest.raises(ContractError) as caught:
        bq.check_contract(admin, PROJECT, "no_such_dataset")
    assert caught.value.reasons == [
        f"dataset {PROJECT}.no_such_dataset does not exist or its service account cannot see it"
    ]


# --- shared-project mode --------------------------------------------------------------------------


def test_shared_mode_views_and_row_access_policies(emulator: emu.Emulator, warehouse: None) -> None:
    admin = emulator.client()
    for slug, ids in TENANTS.items():
        # Running the views again changes nothing. (bqemulator 1.4.0 ignores OR REPLACE on row access
        # policies and answers "Already Exists", so their re-run is for real BigQuery to confirm.)
        again = [s for s in tenant_statements(slug, ids) if "ROW ACCESS POLICY" not in s]
        bq.run_statements(admin, again)
    rows = admin.query(
        "SELECT table_name, policy_name, grantees "
        f"FROM `{PROJECT}.{SHARED}`.INFORMATION_SCHEMA.ROW_ACCESS_POLICIES"
    ).result()
    policies = {(row[0], row[1]): str(row[2]) for row in rows}
    assert set(policies) == {(view, bq.policy_name(slug)) for view in VIEW_NAMES for slug in TENANTS}
    for (_, policy), grantees in policies.items():
        slug = next(s for s in TENANTS if bq.policy_name(s) == policy)
        assert grantees == f"serviceAccount:{sa_email(slug)}"

    for slug, ids in TENANTS.items():
        tenant = emulator.client(caller=f"serviceAccount:{sa_email(slug)}")
        for view in VIEW_NAMES:
            assert accounts_seen(tenant, f"{SHARED}.{view}") == set(ids), (slug, view)
            assert accounts_seen(tenant, f"{tenant_dataset(slug)}.{view}") == set(ids), (slug, view)
    # Alpha reading Beta's views: the view filters to Beta's accounts, the policy to Alpha's → nothing.
    alpha = emulator.client(caller=f"serviceAccount:{sa_email('alpha-ads')}")
    assert accounts_seen(alpha, f"{tenant_dataset('beta-ads')}.ads_campaign_daily") == set()
    stranger = emulator.client(caller=f"serviceAccount:stranger@{PROJECT}.iam.gserviceaccount.com")
    assert accounts_seen(stranger, f"{SHARED}.ads_campaign_daily") == set()


# --- Superset -------------------------------------------------------------------------------------


def test_superset_queries_carry_tenant_labels_and_byte_cap(
    server: Server, emulator: emu.Emulator, warehouse: None, spec_dir: Path
) -> None:
    spec = tenant_spec("alpha-ads")
    password = secrets.token_urlsafe(12)
    viewer_email = spec.users[0].email
    with server.admin() as admin:
        try:
            provisioner = Provisioner(admin, password_lookup={"VIEWER_PASSWORD": password}.get)
            provisioner.apply(spec, spec_dir)
            assert provisioner.plan(spec, spec_dir).changes == [], "a second apply would change things"
            record = admin.get(f"/api/v1/supertenant/tenants/{spec.slug}")["result"]
            connection = admin.get(f"/api/v1/database/{record['superset_database_id']}/connection")["result"]
            assert json.loads(connection["extra"])["supertenant"] == {"maximum_bytes_billed": CAP}
            masked = json.loads(connection["masked_encrypted_extra"])["credentials_info"]
            assert masked["client_email"] == sa_email(spec.slug)
            assert "PRIVATE KEY" not in masked["private_key"]

            dashboard_id = record["dashboard_ids"]["google_ads_overview"]
            with SupersetClient(server.url, viewer_email, password) as viewer:
                charts = viewer.get(f"/api/v1/dashboard/{dashboard_id}/charts")["result"]
                assert charts
                for chart in charts:
                    run_chart_as_on_a_dashboard(server, emulator, viewer, chart, dashboard_id, viewer_email)
        finally:
            with contextlib.suppress(Exception):
                Teardown(admin, spec.slug).run()


def run_chart_as_on_a_dashboard(
    server: Server,
    emulator: emu.Emulator,
    viewer: SupersetClient,
    chart: dict[str, object],
    dashboard_id: int,
    viewer_email: str,
) -> None:
    """POST /api/v1/chart/data the way the dashboard page does, then look at what reached BigQuery."""
    chart_id = int(str(chart["id"]))
    detail = viewer.get(f"/api/v1/chart/{chart_id}")["result"]
    query_context = json.loads(detail["query_context"]) | {"force": True}  # bypass Superset's cache
    before = len(emulator.recorder.snapshot())
    response = viewer.request(
        "POST",
        "/api/v1/chart/data",
        json=query_context,
        params={"form_data": json.dumps({"slice_id": chart_id}), "dashboard_id": dashboard_id},
        headers={"Referer": f"{server.url}/superset/dashboard/{dashboard_id}/"},
    )
    result = response.json()["result"]
    assert all(r.get("error") is None for r in result), (chart["slice_name"], result)
    for rows in (r["data"] for r in result):
        assert {row["account_id"] for row in rows if "account_id" in row} <= set(TENANTS["alpha-ads"])
    sent = [r for r in emulator.recorder.snapshot()[before:] if not r.dry_run]
    assert sent, f"chart {chart['slice_name']!r} sent no query to BigQuery"
    for record in sent:
        assert record.caller == f"serviceAccount:{sa_email('alpha-ads')}"
        assert record.labels == {
            "tenant": "alpha-ads",
            "user": bq.sanitize_label(viewer_email),
            "chart": str(chart_id),
            "dashboard": str(dashboard_id),
            "source": "dashboard",
        }
        assert record.maximum_bytes_billed == CAP
