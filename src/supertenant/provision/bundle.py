"""Superset import bundles (PURE): the zip ``POST /api/v1/dataset/import/`` takes.

One bundle creates every missing contract dataset of a tenant in one request, with its columns
and saved metrics, instead of one ``POST`` (which reflects the view in the warehouse), one
``GET`` and one ``PUT`` per dataset. The bundle names the tenant's own database by its derived
UUID; Superset reuses that row as it is (``overwrite`` applies to the datasets only, and the
engine sends ``overwrite=false``: a dataset that already exists is refused, never replaced).
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import yaml

IMPORT_VERSION = "1.0.0"
BUNDLE_ROOT = "supertenant_bundle"
_FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # the same bytes for the same content


def database_config(essence: dict[str, Any], uuid: str) -> dict[str, Any]:
    """The bundle's reference to the tenant's database: what Superset needs to match it by UUID."""
    return {
        "database_name": essence["database_name"],
        "sqlalchemy_uri": essence["sqlalchemy_uri"],
        "uuid": uuid,
        "is_managed_externally": True,
        "external_url": essence["external_url"],
        "version": IMPORT_VERSION,
    }


def dataset_bundle(database: dict[str, Any], datasets: list[dict[str, Any]]) -> bytes:
    """A v1 bundle (``metadata.yaml``, ``databases/``, ``datasets/``) as zip bytes."""
    files = {
        "metadata.yaml": {
            "version": IMPORT_VERSION,
            "type": "SqlaTable",
            "timestamp": "2026-01-01T00:00:00+00:00",
        },
        f"databases/{database['database_name']}.yaml": database,
    }
    for dataset in datasets:
        files[f"datasets/{database['database_name']}/{dataset['table_name']}.yaml"] = dataset
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in files.items():
            info = zipfile.ZipInfo(f"{BUNDLE_ROOT}/{name}", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, yaml.safe_dump(content, allow_unicode=True, sort_keys=True))
    return buffer.getvalue()
