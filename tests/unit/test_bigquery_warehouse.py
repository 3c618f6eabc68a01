"""BigQuery warehouse helpers without BigQuery: labels, credentials, SQL text, the contract check."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import bigquery

from supertenant.errors import ConfigError, ContractError, TemporaryError
from supertenant.spec.loader import parse_spec
from supertenant.spec.models import BigQueryWarehouse
from supertenant.warehouse import bigquery as bq
from supertenant.warehouse.contract import CONTRACT_VIEWS, VIEW_NAMES, view

SECRET_MARKER = "TOP-SECRET-KEY-MATERIAL"
SPEC = """\
slug: acme
name: Acme
warehouse:
  engine: bigquery
  project: acme-analytics
  dataset: tenant_acme
  account_ids: ["111-222-3333"]
"""


def warehouse(**extra: Any) -> BigQueryWarehouse:
    lines = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in extra.items())
    spec = parse_spec(SPEC.replace("  account_ids:", lines + "  account_ids:"))
    assert isinstance(spec.warehouse, BigQueryWarehouse)
    return spec.warehouse


@cache
def pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def key_info(**overrides: Any) -> dict[str, Any]:
    info = {
        "type": "service_account",
        "project_id": "acme-analytics",
        "private_key_id": "abc123",
        "private_key": pem(),
        "client_email": "t-acme@acme-analytics.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    return info | overrides


# --- labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("Ana.Sato@Example.com", "ana_sato_example_com"),
        ("sakura-shoes", "sakura-shoes"),
        ("さくら shoes", "____shoes"),
        (42, "42"),
        ("  padded  ", "padded"),
        ("x" * 100, "x" * 63),
        ("", ""),
    ],
)
def test_labels_follow_bigquery_rules(raw: object, label: str) -> None:
    assert bq.sanitize_label(raw) == label
    assert bq.validate_labels({"k": label}) == {"k": label}


def test_job_labels_leave_out_what_is_unknown() -> None:
    assert bq.job_labels(tenant="Acme", user=None, chart=12, dashboard="", source="sql_lab") == {
        "tenant": "acme",
        "chart": "12",
        "source": "sql_lab",
    }


def test_invalid_labels_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        bq.validate_labels({"Tenant": "ok", "1st": "ok", "good": "Bad Value"})
    message = str(caught.value)
    assert "'Tenant'" in message
    assert "'1st'" in message
    assert "'good'" in message


# --- credentials ----------------------------------------------------------------------------------


def test_default_credentials_mean_no_key(tmp_path: Path) -> None:
    assert bq.load_credentials_info(warehouse(), tmp_path) is None


def test_key_file_is_read_relative_to_the_spec_dir(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "sa.json").write_text(json.dumps(key_info()))
    info = bq.load_credentials_info(warehouse(credentials_file="secrets/sa.json"), tmp_path)
    assert info == key_info()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (f'{{"private_key": "{SECRET_MARKER}", ', "is not valid JSON (line 1"),
        (json.dumps([SECRET_MARKER]), "must hold a JSON object"),
        (
            json.dumps({"private_key": SECRET_MARKER}),
            "missing type, project_id, private_key_id, client_email",
        ),
        (
            json.dumps(key_info(type="authorized_user", private_key=SECRET_MARKER)),
            "expected 'service_account'",
        ),
        (json.dumps(key_info(private_key=SECRET_MARKER)), "private_key is not a PEM private key"),
    ],
)
def test_bad_key_files_are_named_without_echoing_them(tmp_path: Path, content: str, expected: str) -> None:
    (tmp_path / "sa.json").write_text(content)
    with pytest.raises(ConfigError) as caught:
        bq.load_credentials_info(warehouse(credentials_file="sa.json"), tmp_path)
    message = str(caught.value)
    assert expected in message
    assert "warehouse.credentials_file" in message
    assert "sa.json" in message
    assert SECRET_MARKER not in message
    # no chained exception (a JSONDecodeError holds the whole document) shows up in a traceback
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_missing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"credentials_file .*nope\.json does not exist"):
        bq.load_credentials_info(warehouse(credentials_file="nope.json"), tmp_path)


def test_secret_manager_is_refused_with_the_alternatives(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="credentials_secret is not supported yet"):
        bq.load_credentials_info(warehouse(credentials_secret="projects/p/secrets/s"), tmp_path)


def test_credentials_change_compares_key_identities_only() -> None:
    info = key_info()
    stored = bq.encrypted_extra(info)
    masked = json.dumps({"credentials_info": info | {"private_key": "XXXXXXXXXX"}})
    assert bq.credentials_change(info, masked) is None  # same key: nothing to send
    rotated = info | {"private_key_id": "def456"}
    assert bq.credentials_change(rotated, masked) == bq.encrypted_extra(rotated)
    assert bq.credentials_change(info, None) == stored  # Superset holds no key yet
    assert bq.credentials_change(None, masked) == "{}"  # switched to ADC: remove the key
    assert bq.credentials_change(None, "{}") is None
    # Superset may keep credentials_info as a JSON string inside the extra
    as_text = json.dumps({"credentials_info": json.dumps(info | {"private_key": "XXXXXXXXXX"})})
    assert bq.credentials_change(info, as_text) is None


def test_make_client_acts_as_the_key_and_carries_labels_and_cap(tmp_path: Path) -> None:
    (tmp_path / "sa.json").write_text(json.dumps(key_info()))
    wh = warehouse(credentials_file="sa.json", maximum_bytes_billed=10_000_000)
    client = bq.make_client(wh, tmp_path, labels={"tenant": "acme", "source": "provisioning"})
    assert client.project == "acme-analytics"
    assert client._credentials.service_account_email == key_info()["client_email"]
    config = client.default_query_job_config
    assert config is not None
    assert config.labels == {"tenant": "acme", "source": "provisioning"}
    assert config.maximum_bytes_billed == 10_000_000


def test_an_unloadable_private_key_is_a_config_error(tmp_path: Path) -> None:
    bad_pem = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
    (tmp_path / "sa.json").write_text(json.dumps(key_info(private_key=bad_pem)))
    with pytest.raises(ConfigError, match="private key cannot be loaded"):
        bq.make_client(warehouse(credentials_file="sa.json"), tmp_path)


# --- SQL text -------------------------------------------------------------------------------------


def test_columns_query_reads_information_schema_of_the_dataset() -> None:
    sql = bq.columns_sql("acme-analytics", "tenant_acme")
    assert "FROM `acme-analytics.tenant_acme`.INFORMATION_SCHEMA.COLUMNS" in sql
    assert all(f"'{name}'" in sql for name in VIEW_NAMES)


@pytest.mark.parametrize(
    ("project", "dataset"),
    [("acme-analytics", "x`; DROP TABLE y; --"), ("Bad_Project", "ok"), ("acme-analytics", "")],
)
def test_unsafe_names_never_reach_sql(project: str, dataset: str) -> None:
    with pytest.raises(ConfigError, match="is not a valid BigQuery name"):
        bq.columns_sql(project, dataset)


def test_shared_table_is_partitioned_and_clustered() -> None:
    ddl = bq.shared_table_ddl("acme-analytics", "ads_shared", view("ads_geo_daily"))
    assert ddl.startswith(
        "CREATE TABLE IF NOT EXISTS `acme-analytics.ads_shared.ads_geo_daily` (`date` DATE, "
    )
    assert "`cost` NUMERIC" in ddl
    assert ddl.endswith("PARTITION BY `date` CLUSTER BY account_id")


def test_tenant_view_selects_contract_columns_of_its_accounts() -> None:
    ddl = bq.tenant_view_ddl(
        "acme-analytics",
        "ads_shared",
        "tenant_acme",
        view("ads_campaign_daily"),
        ["111-222-3333", "222-333-4444"],
    )
    columns = ", ".join(f"`{c}`" for c in view("ads_campaign_daily").column_names)
    assert ddl == " ".join(
        [
            "CREATE OR REPLACE VIEW `acme-analytics.tenant_acme.ads_campaign_daily` AS SELECT",
            columns,
            "FROM `acme-analytics.ads_shared.ads_campaign_daily`",
            "WHERE account_id IN ('111-222-3333', '222-333-4444')",
        ]
    )


def test_row_access_policy_grants_the_service_account_its_accounts() -> None:
    grantee = bq.service_account_grantee("t-acme@acme-analytics.iam.gserviceaccount.com")
    ddl = bq.row_access_policy_ddl(
        "acme-analytics",
        "ads_shared",
        view("ads_keyword_daily"),
        bq.policy_name("acme-co"),
        [grantee],
        ["111-222-3333"],
    )
    assert ddl == (
        "CREATE OR REPLACE ROW ACCESS POLICY `tenant_acme_co` "
        "ON `acme-analytics.ads_shared.ads_keyword_daily` "
        'GRANT TO ("serviceAccount:t-acme@acme-analytics.iam.gserviceaccount.com") '
        "FILTER USING (account_id IN ('111-222-3333'))"
    )


@pytest.mark.parametrize(
    ("grantees", "accounts", "message"),
    [
        ([], ["111-222-3333"], "needs at least one grantee"),
        (['serviceAccount:a@b.com") OR TRUE --'], ["111-222-3333"], "not a valid BigQuery name"),
        (["group:team@example.com"], [], "account_ids must not be empty"),
        (["group:team@example.com"], ["1' OR '1'='1"], "must look like 123-456-7890"),
    ],
)
def test_policies_refuse_unsafe_or_empty_input(
    grantees: list[str], accounts: list[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        bq.row_access_policy_ddl(
            "acme-analytics", "ads_shared", CONTRACT_VIEWS[0], "tenant_acme", grantees, accounts
        )


def test_shared_mode_makes_the_dataset_then_a_view_and_a_policy_per_contract_view() -> None:
    statements = bq.shared_mode_statements(
        project="acme-analytics",
        shared_dataset="ads_shared",
        tenant_dataset="tenant_acme",
        slug="acme",
        grantees=["serviceAccount:t-acme@acme-analytics.iam.gserviceaccount.com", "group:acme@example.com"],
        account_ids=["111-222-3333"],
    )
    assert statements[0] == "CREATE SCHEMA IF NOT EXISTS `acme-analytics.tenant_acme`"
    assert len(statements) == 1 + 2 * len(CONTRACT_VIEWS)
    for name in VIEW_NAMES:
        assert sum(f"`acme-analytics.tenant_acme.{name}` AS" in s for s in statements) == 1
        assert sum(f"ON `acme-analytics.ads_shared.{name}` GRANT" in s for s in statements) == 1
    with pytest.raises(ConfigError, match="must not be the shared dataset"):
        bq.shared_mode_statements(
            project="acme-analytics",
            shared_dataset="ads_shared",
            tenant_dataset="ads_shared",
            slug="acme",
            grantees=["group:acme@example.com"],
            account_ids=["111-222-3333"],
        )


# --- the contract check against a fake client -----------------------------------------------------


@dataclass
class FakeJob:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    schema: list[bigquery.SchemaField] = field(default_factory=list)

    def result(self) -> Iterator[tuple[str, str, str]]:
        return iter(self.rows)


@dataclass
class FakeClient:
    """Answers INFORMATION_SCHEMA with ``columns`` and dry runs with ``schemas`` (or ``broken``)."""

    columns: dict[str, dict[str, str]]
    schemas: dict[str, dict[str, str]] = field(default_factory=dict)
    broken: dict[str, Exception] = field(default_factory=dict)
    dataset_exists: bool = True
    error: Exception | None = None
    queries: list[str] = field(default_factory=list)

    def get_dataset(self, ref: str) -> object:
        if self.error is not None:
            raise self.error
        if not self.dataset_exists:
            raise google_errors.NotFound(f"Dataset {ref} was not found")
        return object()

    def query(self, sql: str, job_config: bigquery.QueryJobConfig | None = None) -> FakeJob:
        self.queries.append(sql)
        if job_config is not None and job_config.dry_run:
            name = sql.split(".")[-1].split("`")[0]
            if name in self.broken:
                raise self.broken[name]
            types = self.schemas.get(name, self.columns[name])
            return FakeJob(schema=[bigquery.SchemaField(c, t) for c, t in types.items()])
        return FakeJob(rows=[(v, c, t) for v, cols in self.columns.items() for c, t in cols.items()])


def good_columns() -> dict[str, dict[str, str]]:
    return {v.name: {c.name: c.bigquery_type for c in v.columns} for v in CONTRACT_VIEWS}


def test_a_satisfying_dataset_passes() -> None:
    client = FakeClient(good_columns())
    bq.check_contract(client, "acme-analytics", "tenant_acme")  # type: ignore[arg-type]
    assert client.queries[0] == bq.columns_sql("acme-analytics", "tenant_acme")
    assert len(client.queries) == 1 + len(CONTRACT_VIEWS)  # plus one dry run per view


def test_legacy_type_names_from_dry_runs_pass() -> None:
    legacy = {"INT64": "INTEGER", "FLOAT64": "FLOAT"}
    schemas = {n: {c: legacy.get(t, t) for c, t in cols.items()} for n, cols in good_columns().items()}
    bq.check_contract(FakeClient(good_columns(), schemas=schemas), "acme-analytics", "tenant_acme")  # type: ignore[arg-type]


def test_a_missing_view_is_named() -> None:
    columns = good_columns()
    del columns["ads_geo_daily"]
    with pytest.raises(ContractError) as caught:
        bq.check_contract(FakeClient(columns), "acme-analytics", "tenant_acme")  # type: ignore[arg-type]
    assert caught.value.reasons == ["missing view ads_geo_daily"]


def test_every_problem_is_named_at_once() -> None:
    columns = good_columns()
    del columns["ads_campaign_daily"]["currency"]
    columns["ads_campaign_daily"]["cost"] = "FLOAT64"
    # INFORMATION_SCHEMA still lists ad_group_name; the dry run shows it is gone
    schemas = {
        "ads_adgroup_daily": {k: v for k, v in columns["ads_adgroup_daily"].items() if k != "ad_group_name"}
    }
    broken: dict[str, Exception] = {
        "ads_keyword_daily": google_errors.BadRequest("Unrecognized name: match_type at [1:8]\nmore detail"),
        "ads_geo_daily": google_errors.NotFound("Not found: Table acme-analytics:raw.geo was not found"),
    }
    client = FakeClient(columns, schemas=schemas, broken=broken)
    with pytest.raises(ContractError) as caught:
        bq.check_contract(client, "acme-analytics", "tenant_acme")  # type: ignore[arg-type]
    assert caught.value.reasons == [
        "view ads_campaign_daily: column cost should be NUMERIC, found FLOAT64",
        "view ads_campaign_daily: missing column currency (STRING)",
        "view ads_adgroup_daily: missing column ad_group_name (STRING)",
        "view ads_keyword_daily: cannot be queried: Unrecognized name: match_type at [1:8]",
        "view ads_geo_daily: cannot be queried: Not found: Table acme-analytics:raw.geo was not found",
    ]
    assert caught.value.source == "bigquery://acme-analytics/tenant_acme"


def test_a_missing_dataset_is_a_contract_error() -> None:
    with pytest.raises(ContractError) as caught:
        bq.check_contract(FakeClient({}, dataset_exists=False), "acme-analytics", "tenant_acme")  # type: ignore[arg-type]
    assert caught.value.reasons == [
        "dataset acme-analytics.tenant_acme does not exist or its service account cannot see it"
    ]


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (google_errors.Forbidden("Access Denied: User lacks bigquery.jobs.create"), ConfigError),
        (google_errors.ServiceUnavailable("backend error"), TemporaryError),
        (ConnectionError("connection refused"), TemporaryError),
    ],
)
def test_api_errors_become_ours(error: Exception, kind: type[Exception]) -> None:
    with pytest.raises(kind, match=r"cannot read acme-analytics\.tenant_acme"):
        bq.check_contract(FakeClient({}, error=error), "acme-analytics", "tenant_acme")  # type: ignore[arg-type]


def test_standard_type_spells_parameterised_numerics() -> None:
    assert bq.standard_type(bigquery.SchemaField("c", "NUMERIC", precision=18, scale=2)) == "NUMERIC(18, 2)"
    assert bq.standard_type(bigquery.SchemaField("c", "INTEGER")) == "INT64"
    assert bq.standard_type(bigquery.SchemaField("c", "FLOAT")) == "FLOAT64"
