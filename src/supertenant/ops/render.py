"""Tenant specs → the per-tenant Terraform input (``tenants.auto.tfvars.json``). Pure.

Terraform owns the cloud side of a tenant (its BigQuery dataset, reader service account and
IAM, its key secret, and for ``isolation: dedicated`` its own Superset service and metadata
database); the provisioning engine owns the Superset side. Both start from the same spec file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from supertenant.errors import SpecError
from supertenant.spec.models import BigQueryWarehouse, DuckDBWarehouse, TenantSpec

_SA_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def service_account_id(slug: str, prefix: str = "bq-") -> str:
    """A valid, stable service-account id (6–30 chars) for a slug of up to 40 characters."""
    candidate = f"{prefix}{slug}"
    if len(candidate) > 30:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:6]
        candidate = f"{prefix}{slug[: 30 - len(prefix) - 7].rstrip('-')}-{digest}"
    if len(candidate) < 6:
        candidate = f"{candidate}-sa"
    assert _SA_ID.fullmatch(candidate), candidate
    return candidate


def resource_name(slug: str, prefix: str, limit: int = 49) -> str:
    """A Cloud Run / Cloud SQL name for a tenant: lowercase, hyphens, within ``limit`` chars."""
    candidate = f"{prefix}{slug}"
    if len(candidate) > limit:
        digest = hashlib.sha256(slug.encode()).hexdigest()[:6]
        candidate = f"{prefix}{slug[: limit - len(prefix) - 7].rstrip('-')}-{digest}"
    return candidate


def tenant_vars(spec: TenantSpec) -> dict[str, Any]:
    """One tenant's entry in the ``tenants`` map Terraform's tenant module is instantiated from."""
    warehouse = spec.warehouse
    if isinstance(warehouse, BigQueryWarehouse):
        dataset, project = warehouse.dataset, warehouse.project
        uses_key = warehouse.credentials_file is not None or warehouse.credentials_secret is not None
    else:
        assert isinstance(warehouse, DuckDBWarehouse)
        # A local (DuckDB) tenant gets the dataset it will be loaded into in the cloud.
        dataset, project, uses_key = f"tenant_{warehouse.schema_name}", None, True
    dedicated = spec.isolation == "dedicated"
    return {
        "name": spec.name,
        "isolation": spec.isolation,
        "hostnames": list(spec.branding.hostnames),
        "bigquery_project": project,  # null: the environment's data project
        "bigquery_dataset": dataset,
        "reader_account_id": service_account_id(spec.slug),
        "sa_key_secret": uses_key,
        "dedicated": (
            {
                "service_name": resource_name(spec.slug, "superset-"),
                "database_name": resource_name(spec.slug, "superset_", 63).replace("-", "_"),
                "migrate_job_name": resource_name(spec.slug, "migrate-"),
            }
            if dedicated
            else None
        ),
    }


def render(specs: Iterable[TenantSpec]) -> dict[str, Any]:
    """The whole tfvars document; refuses a hostname claimed by two tenants."""
    tenants: dict[str, Any] = {}
    owner: dict[str, str] = {}
    problems: list[str] = []
    for spec in sorted(specs, key=lambda s: s.slug):
        for host in spec.branding.hostnames:
            if host in owner:
                problems.append(f"{spec.slug}: hostname {host!r} is already {owner[host]}'s")
            owner.setdefault(host, spec.slug)
        tenants[spec.slug] = tenant_vars(spec)
    if problems:
        raise SpecError(problems, source="tenant specs")
    return {"tenants": tenants}


def superset_url(spec: TenantSpec, shared_url: str) -> str:
    """Where the provisioning engine must apply this tenant: its own instance when dedicated."""
    if spec.isolation == "dedicated":
        if not spec.branding.hostnames:
            raise SpecError(
                [f"{spec.slug}: branding.hostnames is required for isolation: dedicated"], source=spec.slug
            )
        return f"https://{spec.branding.hostnames[0]}"
    return shared_url
