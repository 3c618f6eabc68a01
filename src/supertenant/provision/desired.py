"""What Superset should hold for a tenant, derived from its spec (PURE).

Only the fields supertenant manages appear here; comparing these "essences"
with what Superset returns is what makes a second apply a no-op.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from supertenant.spec.models import DuckDBWarehouse, TenantSpec
from supertenant.templates.uuids import object_uuid
from supertenant.warehouse.bigquery import SUPERSET_EXTRA_KEY
from supertenant.warehouse.contract import CONTRACT_VIEWS, SAVED_METRICS, ViewContract

OWNER_URL_PREFIX = "supertenant://tenant/"
PLATFORM_ADMIN_ROLE = "Admin"


def owner_url(slug: str) -> str:
    """The ``external_url`` stamped on every object supertenant owns for a tenant."""
    return f"{OWNER_URL_PREFIX}{slug}"


def duckdb_uri(warehouse: DuckDBWarehouse, base_dir: Path) -> str:
    path = Path(warehouse.path)
    if not path.is_absolute():
        path = (base_dir / path).resolve()
    return f"duckdb:///{path}"


def database_essence(spec: TenantSpec, base_dir: Path) -> dict[str, Any]:
    """The tenant's own Superset database connection (credentials are handled apart)."""
    warehouse = spec.warehouse
    tenant_extra: dict[str, Any] = {}
    if isinstance(warehouse, DuckDBWarehouse):
        uri = duckdb_uri(warehouse, base_dir)
        # Read-only and no file or network access from SQL: the tenant sees only what the views expose.
        engine_params: dict[str, Any] = {
            "connect_args": {"read_only": True, "config": {"enable_external_access": False}}
        }
    else:
        uri = f"bigquery://{warehouse.project}"
        engine_params = {}
        # BigQuery: the per-query byte cap, put on every job by superset_ext.bigquery (docs/bigquery.md).
        if warehouse.maximum_bytes_billed is not None:
            tenant_extra[SUPERSET_EXTRA_KEY] = {"maximum_bytes_billed": warehouse.maximum_bytes_billed}
    extra = {
        "engine_params": engine_params,
        "metadata_cache_timeout": {},
        "schemas_allowed_for_file_upload": [],
        **tenant_extra,
    }
    return {
        "database_name": spec.database_name,
        "sqlalchemy_uri": uri,
        "expose_in_sqllab": spec.features.sql_lab,
        "allow_run_async": False,
        "allow_file_upload": False,
        "allow_ctas": False,
        "allow_cvas": False,
        "allow_dml": False,
        "extra": json.dumps(extra, sort_keys=True),
        "is_managed_externally": True,
        "external_url": owner_url(spec.slug),
    }


def warehouse_schema(spec: TenantSpec) -> str:
    """The schema (DuckDB) or dataset (BigQuery) that holds the tenant's contract views."""
    warehouse = spec.warehouse
    return warehouse.schema_name if isinstance(warehouse, DuckDBWarehouse) else warehouse.dataset


def metric_essence(spec: TenantSpec) -> list[dict[str, Any]]:
    """The contract's saved metrics, labelled in the tenant's language."""
    return [
        {
            "metric_name": m.name,
            "expression": m.expression,
            "verbose_name": m.label(spec.locale),
            "d3format": m.d3_format,
        }
        for m in SAVED_METRICS
    ]


def dataset_essence(spec: TenantSpec, view: ViewContract) -> dict[str, Any]:
    return {
        "table_name": view.name,
        "schema": warehouse_schema(spec),
        "main_dttm_col": view.temporal.name,
        "is_managed_externally": True,
        "external_url": owner_url(spec.slug),
        "uuid": str(object_uuid(spec.slug, "dataset", view.name)),
    }


def dataset_views() -> tuple[ViewContract, ...]:
    return CONTRACT_VIEWS


def accounts_clause(spec: TenantSpec) -> str:
    """The RLS clause limiting every dataset to the tenant's accounts (literal, so cache keys differ)."""
    quoted = ", ".join("'" + account.replace("'", "''") + "'" for account in spec.warehouse.account_ids)
    return f"account_id IN ({quoted})"


def rls_names(slug: str) -> tuple[str, str]:
    """(regular accounts rule, base deny-by-default rule)."""
    return f"{slug}__accounts", f"{slug}__deny_by_default"


def dataset_import_config(spec: TenantSpec, view: ViewContract, database_uuid: str) -> dict[str, Any]:
    """A contract dataset as Superset's import bundle states it, columns and saved metrics included.

    Created this way, Superset does not reflect the view to learn its columns (the costliest part of
    ``POST /api/v1/dataset/``): the contract names them, with the engine's own type names.
    """
    want = dataset_essence(spec, view)
    engine: Literal["duckdb", "bigquery"] = (
        "duckdb" if isinstance(spec.warehouse, DuckDBWarehouse) else "bigquery"
    )
    return {
        "table_name": view.name,
        "schema": want["schema"],
        "main_dttm_col": want["main_dttm_col"],
        "uuid": want["uuid"],
        "database_uuid": database_uuid,
        "is_managed_externally": True,
        "external_url": want["external_url"],
        "columns": [
            {
                "column_name": column.name,
                "type": column.type_for(engine),
                "is_dttm": column.is_temporal,
                "groupby": True,
                "filterable": True,
            }
            for column in view.columns
        ],
        "metrics": [dict(metric) for metric in metric_essence(spec)],
        "version": "1.0.0",
    }
