"""A tenant's BigQuery warehouse: credentials, job labels, the contract check, shared-project DDL.

Two layouts are supported (see docs/bigquery.md):

- dataset per tenant (default): the tenant's dataset holds the four contract views and only the
  tenant's service account can read it; provisioning only *checks* it.
- shared project: every tenant's rows sit in one set of tables keyed by ``account_id``; each tenant
  gets views in its own dataset filtered to its accounts, and a row access policy on every shared
  table grants its service account exactly those accounts. `shared_mode_statements` writes that DDL.

Pure parts (SQL text, label rules, credential shape checks) are plain functions so they are tested
without BigQuery; the I/O functions take a ``google.cloud.bigquery.Client`` so tests can hand in one
pointed at an emulator. ``google-cloud-bigquery`` is imported lazily: DuckDB-only installs (without
the ``bigquery`` extra) import this module for the label helpers and must not fail.

SQL is assembled only from identifiers checked by `_checked` and account ids / grantees checked by
their patterns, then quoted; hence the ``noqa: S608`` below. Messages name files, keys and
principals but never echo a credential's content.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supertenant.errors import ConfigError, ContractError, TemporaryError
from supertenant.warehouse.contract import ACCOUNT_ID_RE, CONTRACT_VIEWS, ViewContract, check_columns

if TYPE_CHECKING:
    from google.cloud import bigquery

    from supertenant.spec.models import BigQueryWarehouse

SCOPES = ("https://www.googleapis.com/auth/bigquery",)
# Key in a Superset database's ``extra`` holding {"maximum_bytes_billed": N}: written by
# provisioning, read by supertenant.superset_ext.bigquery for every query job.
SUPERSET_EXTRA_KEY = "supertenant"

# --- job labels -----------------------------------------------------------------------------------

# BigQuery label rules: keys and values of lower-case letters, digits, '_' and '-', at most 63
# characters; keys start with a letter. (Google also allows international lower-case letters; we
# keep to ASCII so every label reads the same in billing exports and SQL.)
LABEL_MAX_LENGTH = 63
_LABEL_INVALID = re.compile(r"[^a-z0-9_-]")
_LABEL_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")


def sanitize_label(value: object) -> str:
    """``value`` as a valid BigQuery label value: lower-cased, other characters → '_', cut to 63.

    ``Ana.Sato@Example.com`` becomes ``ana_sato_example_com``. Empty stays empty (a valid value).
    """
    return _LABEL_INVALID.sub("_", str(value).strip().lower())[:LABEL_MAX_LENGTH]


def job_labels(
    *,
    tenant: str | None,
    user: str | None = None,
    chart: int | str | None = None,
    dashboard: int | str | None = None,
    source: str | None = None,
) -> dict[str, str]:
    """The labels one query job carries, sanitised; unknown (None or blank) ones are left out.

    ``tenant`` attributes cost; ``user``, ``chart`` and ``dashboard`` say who and what ran it;
    ``source`` is chart, dashboard, sql_lab or provisioning.
    """
    raw = {"tenant": tenant, "user": user, "chart": chart, "dashboard": dashboard, "source": source}
    labels = {key: sanitize_label(value) for key, value in raw.items() if value is not None}
    return {key: value for key, value in labels.items() if value}


def validate_labels(labels: Mapping[str, str]) -> dict[str, str]:
    """``labels`` if every key and value follows BigQuery's rules; ConfigError naming the bad ones."""
    bad = [
        f"{key!r}: {value!r}"
        for key, value in labels.items()
        if not _LABEL_KEY.fullmatch(key) or sanitize_label(value) != value
    ]
    if bad:
        raise ConfigError(
            "invalid BigQuery job labels (lower-case a-z, 0-9, '_', '-'; at most 63; keys start "
            f"with a letter): {', '.join(bad)}"
        )
    return dict(labels)


# --- credentials ----------------------------------------------------------------------------------

_REQUIRED_KEY_FIELDS = ("type", "project_id", "private_key_id", "private_key", "client_email", "token_uri")
# Fields that identify a key without being secret: comparing them tells whether Superset holds the
# same key as the spec's file (Superset masks `private_key` when it returns the connection).
KEY_IDENTITY_FIELDS = ("type", "project_id", "client_email", "private_key_id")


def resolve_credentials_path(credentials_file: str, base_dir: Path) -> Path:
    """Where ``credentials_file`` points: relative paths are relative to the spec's directory."""
    path = Path(credentials_file).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def parse_service_account_key(text: str, source: str) -> dict[str, Any]:
    """The service-account key in ``text``; ConfigError naming ``source`` and the missing fields.

    Never echoes the text: a JSON error reports only its line and column.
    """
    try:
        info = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"{source} is not valid JSON (line {error.lineno}, column {error.colno}); "
            "expected a service-account key file downloaded from Google Cloud"
        ) from None
    if not isinstance(info, dict):
        raise ConfigError(f"{source} must hold a JSON object (a service-account key), not a list or value")
    missing = [name for name in _REQUIRED_KEY_FIELDS if not isinstance(info.get(name), str) or not info[name]]
    if missing:
        raise ConfigError(f"{source} is not a service-account key: missing {', '.join(missing)}")
    if info["type"] != "service_account":
        raise ConfigError(f"{source} has type {info['type']!r}; expected 'service_account'")
    if "PRIVATE KEY-----" not in info["private_key"]:
        raise ConfigError(f"{source}: private_key is not a PEM private key")
    return info


def load_credentials_info(warehouse: BigQueryWarehouse, base_dir: Path) -> dict[str, Any] | None:
    """The tenant's service-account key, or None for Application Default Credentials.

    ``credentials_secret`` is refused for now: reading Secret Manager needs the runtime's identity
    and is not wired in; mount the secret as a file and use ``credentials_file`` instead.
    """
    if warehouse.credentials_secret is not None:
        raise ConfigError(
            "warehouse.credentials_secret is not supported yet; mount the secret as a file and set "
            "warehouse.credentials_file, or remove both keys to use Application Default Credentials"
        )
    if warehouse.credentials_file is None:
        return None
    path = resolve_credentials_path(warehouse.credentials_file, base_dir)
    source = f"warehouse.credentials_file {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source} cannot be read: {type(error).__name__}") from None
    return parse_service_account_key(text, source)


def encrypted_extra(credentials_info: Mapping[str, Any]) -> str:
    """Superset's ``masked_encrypted_extra`` for a BigQuery connection: the key as credentials_info."""
    return json.dumps({"credentials_info": dict(credentials_info)}, sort_keys=True)


def key_identity(masked_encrypted_extra: str | None) -> dict[str, Any] | None:
    """The non-secret fields of the key held in an encrypted extra, or None if it holds none."""
    try:
        extra = json.loads(masked_encrypted_extra or "{}")
    except json.JSONDecodeError:
        return None
    info = extra.get("credentials_info") if isinstance(extra, dict) else None
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except json.JSONDecodeError:
            return None
    if not isinstance(info, dict):
        return None
    return {name: info.get(name) for name in KEY_IDENTITY_FIELDS}


def credentials_change(wanted: Mapping[str, Any] | None, current_masked_extra: str | None) -> str | None:
    """The ``masked_encrypted_extra`` to send so Superset holds ``wanted``, or None if it already does.

    Compares key identities only (Superset never returns the private key): a rotated key has a new
    ``private_key_id``. With ``wanted`` None (ADC) a stored key is removed.
    """
    current = key_identity(current_masked_extra)
    if wanted is None:
        return None if current is None else "{}"
    if current == {name: wanted.get(name) for name in KEY_IDENTITY_FIELDS}:
        return None
    return encrypted_extra(wanted)


def make_client(
    warehouse: BigQueryWarehouse, base_dir: Path, *, labels: Mapping[str, str] | None = None
) -> bigquery.Client:
    """A client acting as the tenant: its key file, or ADC; every job carries labels and the byte cap.

    The endpoint is Google's unless ``BIGQUERY_EMULATOR_HOST`` is set (google-cloud-bigquery reads it),
    which is how the offline tests point it at an emulator.
    """
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError
    from google.cloud import bigquery
    from google.oauth2 import service_account

    info = load_credentials_info(warehouse, base_dir)
    if info is not None:
        try:
            credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=SCOPES
            )
        except ValueError:
            path = resolve_credentials_path(str(warehouse.credentials_file), base_dir)
            raise ConfigError(
                f"warehouse.credentials_file {path}: the private key cannot be loaded"
            ) from None
    else:
        try:
            credentials, _ = google.auth.default(scopes=SCOPES)
        except DefaultCredentialsError:
            raise ConfigError(
                "no warehouse.credentials_file and no Application Default Credentials: run on GCP with a "
                "service account, or `gcloud auth application-default login`, or set credentials_file"
            ) from None
    job_config = bigquery.QueryJobConfig(
        labels=validate_labels(labels or {}), maximum_bytes_billed=warehouse.maximum_bytes_billed
    )
    return bigquery.Client(
        project=warehouse.project, credentials=credentials, default_query_job_config=job_config
    )


# --- SQL text (pure) ------------------------------------------------------------------------------

_PROJECT = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,1023}")
_GRANTEE = re.compile(
    r"(user|group|serviceAccount):[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|domain:[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
)


def _checked(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not pattern.fullmatch(value):
        raise ConfigError(f"{what} {value!r} is not a valid BigQuery name")
    return value


def table_ref(project: str, dataset: str, name: str) -> str:
    """```project.dataset.name``` after checking each part, so it is safe to splice into SQL."""
    _checked(_PROJECT, project, "project")
    _checked(_NAME, dataset, "dataset")
    _checked(_NAME, name, "table")
    return f"`{project}.{dataset}.{name}`"


def _account_literals(account_ids: Sequence[str]) -> str:
    """Validated account ids as a SQL list; an empty list would make a view or policy match nothing."""
    if not account_ids:
        raise ConfigError("account_ids must not be empty")
    bad = [account for account in account_ids if not ACCOUNT_ID_RE.fullmatch(account)]
    if bad:
        raise ConfigError(f"account ids must look like 123-456-7890, got {', '.join(map(repr, bad))}")
    return ", ".join(f"'{account}'" for account in account_ids)


def columns_sql(project: str, dataset: str) -> str:
    """INFORMATION_SCHEMA query for the contract views' columns in one dataset, in column order."""
    _checked(_PROJECT, project, "project")
    _checked(_NAME, dataset, "dataset")
    names = ", ".join(f"'{view.name}'" for view in CONTRACT_VIEWS)
    return (
        "SELECT table_name, column_name, data_type "  # noqa: S608
        f"FROM `{project}.{dataset}`.INFORMATION_SCHEMA.COLUMNS "
        f"WHERE table_name IN ({names}) ORDER BY table_name, ordinal_position"
    )


def shared_table_ddl(project: str, dataset: str, view: ViewContract) -> str:
    """A shared table for one contract view: partitioned by day and clustered by account.

    Partitioning bounds the bytes a date-filtered dashboard query bills; clustering by ``account_id``
    keeps a tenant's rows together, which the per-tenant filters then prune.
    """
    columns = ", ".join(f"`{column.name}` {column.bigquery_type}" for column in view.columns)
    return (
        f"CREATE TABLE IF NOT EXISTS {table_ref(project, dataset, view.name)} ({columns}) "
        "PARTITION BY `date` CLUSTER BY account_id"
    )


def tenant_dataset_ddl(project: str, dataset: str) -> str:
    """The tenant's own dataset, which holds its contract views."""
    _checked(_PROJECT, project, "project")
    _checked(_NAME, dataset, "dataset")
    return f"CREATE SCHEMA IF NOT EXISTS `{project}.{dataset}`"


def tenant_view_ddl(
    project: str, shared_dataset: str, tenant_dataset: str, view: ViewContract, account_ids: Sequence[str]
) -> str:
    """The tenant's contract view over the shared table: contract columns only, its accounts only."""
    names = ", ".join(f"`{name}`" for name in view.column_names)
    source = table_ref(project, shared_dataset, view.name)
    select = f"SELECT {names} FROM {source} WHERE account_id IN ({_account_literals(account_ids)})"  # noqa: S608
    return f"CREATE OR REPLACE VIEW {table_ref(project, tenant_dataset, view.name)} AS {select}"


def policy_name(slug: str) -> str:
    """Row access policy id for a tenant: ``tenant_<slug>`` with '-' → '_' (policy ids allow no '-')."""
    return _checked(_NAME, "tenant_" + slug.replace("-", "_"), "row access policy")


def service_account_grantee(email: str) -> str:
    """The IAM member for a service account: ``serviceAccount:t-acme@p.iam.gserviceaccount.com``."""
    return _checked(_GRANTEE, f"serviceAccount:{email}", "grantee")


def row_access_policy_ddl(
    project: str,
    dataset: str,
    view: ViewContract,
    policy: str,
    grantees: Sequence[str],
    account_ids: Sequence[str],
) -> str:
    """``CREATE OR REPLACE ROW ACCESS POLICY`` granting ``grantees`` the rows of ``account_ids``.

    Once any policy exists on a table, principals without one see no rows at all, so every reader
    (tenants and the platform's own admin group) needs a policy.
    """
    _checked(_NAME, policy, "row access policy")
    if not grantees:
        raise ConfigError(f"row access policy {policy} needs at least one grantee")
    members = ", ".join(f'"{_checked(_GRANTEE, grantee, "grantee")}"' for grantee in grantees)
    return (
        f"CREATE OR REPLACE ROW ACCESS POLICY `{policy}` ON {table_ref(project, dataset, view.name)} "
        f"GRANT TO ({members}) FILTER USING (account_id IN ({_account_literals(account_ids)}))"
    )


def shared_mode_statements(
    *,
    project: str,
    shared_dataset: str,
    tenant_dataset: str,
    slug: str,
    grantees: Sequence[str],
    account_ids: Sequence[str],
) -> list[str]:
    """Everything one tenant needs in shared-project mode, in order; safe to run again.

    Its dataset, one filtered view per contract view, and one row access policy per shared table.
    Either layer alone keeps other tenants' rows out; Superset's RLS rule is a third.
    """
    if tenant_dataset == shared_dataset:
        raise ConfigError(f"the tenant dataset must not be the shared dataset {shared_dataset!r}")
    statements = [tenant_dataset_ddl(project, tenant_dataset)]
    for view in CONTRACT_VIEWS:
        statements.append(tenant_view_ddl(project, shared_dataset, tenant_dataset, view, account_ids))
        statements.append(
            row_access_policy_ddl(project, shared_dataset, view, policy_name(slug), grantees, account_ids)
        )
    return statements


# --- I/O ------------------------------------------------------------------------------------------


def run_statements(client: bigquery.Client, statements: Iterable[str]) -> None:
    """Run DDL in order, stopping at the first failure (later statements depend on earlier ones)."""
    from google.api_core import exceptions as google_errors

    for statement in statements:
        try:
            client.query(statement).result()
        except (google_errors.GoogleAPICallError, google_errors.RetryError, OSError) as error:
            raise _mapped(error, f"BigQuery refused: {statement[:200]}") from error


def observe_contract(client: bigquery.Client, project: str, dataset: str) -> dict[str, dict[str, str]]:
    """{view: {column: BigQuery type}} for the contract views present in ``project.dataset``."""
    rows = client.query(columns_sql(project, dataset)).result()
    observed: dict[str, dict[str, str]] = {}
    for table_name, column_name, data_type in rows:
        observed.setdefault(str(table_name), {})[str(column_name)] = str(data_type)
    return observed


def check_contract(client: bigquery.Client, project: str, dataset: str) -> None:
    """Raise ContractError naming every missing view, missing column, wrong type and broken view.

    INFORMATION_SCHEMA keeps a view's columns as they were when it was saved, so each present view is
    also dry-run (free on BigQuery): a view that no longer binds is reported, and the schema the dry
    run returns replaces the stored one (a ``SELECT *`` view over a changed table shows up as such).
    """
    from google.api_core import exceptions as google_errors

    source = f"bigquery://{project}/{dataset}"
    try:
        client.get_dataset(f"{project}.{dataset}")
        observed = observe_contract(client, project, dataset)
        schemas, broken = _query_schemas(
            client, project, dataset, [v for v in CONTRACT_VIEWS if v.name in observed]
        )
    except google_errors.NotFound:
        raise ContractError(
            [f"dataset {project}.{dataset} does not exist or its service account cannot see it"],
            source=source,
        ) from None
    except (google_errors.GoogleAPICallError, google_errors.RetryError, OSError) as error:
        raise _mapped(error, f"cannot read {project}.{dataset}") from error
    reasons = check_columns(observed | schemas, "bigquery") + broken
    if reasons:
        raise ContractError(reasons, source=source)


def check_warehouse_contract(
    warehouse: BigQueryWarehouse, base_dir: Path, *, tenant: str, client: bigquery.Client | None = None
) -> None:
    """Provisioning's contract check for a BigQuery tenant, run as the tenant's own identity."""
    if client is None:
        client = make_client(warehouse, base_dir, labels=job_labels(tenant=tenant, source="provisioning"))
    check_contract(client, warehouse.project, warehouse.dataset)


def _query_schemas(
    client: bigquery.Client, project: str, dataset: str, views: Sequence[ViewContract]
) -> tuple[dict[str, dict[str, str]], list[str]]:
    """({view: {column: type}} as a dry run of ``SELECT *`` sees it, [reasons for views that fail])."""
    from google.api_core import exceptions as google_errors
    from google.cloud import bigquery

    schemas: dict[str, dict[str, str]] = {}
    reasons: list[str] = []
    for view in views:
        sql = f"SELECT * FROM {table_ref(project, dataset, view.name)} LIMIT 0"  # noqa: S608
        config = bigquery.QueryJobConfig(dry_run=True, use_query_cache=False)
        try:
            job = client.query(sql, job_config=config)
        except (google_errors.BadRequest, google_errors.NotFound, google_errors.Forbidden) as error:
            # 400: no longer binds; 404: a table it reads is gone; 403: it reads what the SA may not.
            reasons.append(f"view {view.name}: cannot be queried: {_first_line(error)}")
            continue
        if job.schema:
            schemas[view.name] = {field.name: standard_type(field) for field in job.schema}
    return schemas, reasons


_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL", "RECORD": "STRUCT"}


def standard_type(field: Any) -> str:
    """A schema field's type in GoogleSQL spelling (the API uses legacy names), with its parameters.

    ``NUMERIC(18, 2)`` keeps precision and scale so the contract check can judge the scale.
    """
    name = _LEGACY_TYPES.get(str(field.field_type).upper(), str(field.field_type).upper())
    precision, scale = getattr(field, "precision", None), getattr(field, "scale", None)
    if name in {"NUMERIC", "BIGNUMERIC"} and precision is not None:
        return f"{name}({precision}, {scale or 0})"
    return name


def _first_line(error: Exception) -> str:
    message = getattr(error, "message", None) or str(error)
    return str(message).strip().splitlines()[0] if str(message).strip() else type(error).__name__


def _mapped(error: Exception, what: str) -> Exception:
    """Google API errors as ours: 5xx and 429 may pass on retry, the rest need a fix."""
    from google.api_core import exceptions as google_errors

    transient = google_errors.ServerError | google_errors.TooManyRequests | google_errors.RetryError | OSError
    if isinstance(error, transient):  # OSError covers requests' connection errors
        return TemporaryError(f"{what}: {_first_line(error)}")
    if isinstance(error, google_errors.Forbidden | google_errors.Unauthorized):
        return ConfigError(f"{what}: permission denied: {_first_line(error)}")
    return ConfigError(f"{what}: {_first_line(error)}")
