"""Superset import bundles (PURE): the zips ``POST /api/v1/dataset/import/`` and
``POST /api/v1/dashboard/import/`` take.

One bundle creates every missing contract dataset of a tenant in one request, with its columns
and saved metrics, instead of one ``POST`` (which reflects the view in the warehouse), one
``GET`` and one ``PUT`` per dataset. Another creates a new tenant's dashboards with all their
charts in one request, instead of a ``POST`` per chart and per dashboard.

A bundle names the tenant's own database (and, for dashboards, its datasets) by derived UUID;
Superset reuses those rows as they are (``overwrite`` applies to the bundle's own kind only, and
the engine sends ``overwrite=false``: an object that already exists is refused, never replaced).
"""

from __future__ import annotations

import io
import json
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
    return _zip("SqlaTable", _base_files(database, datasets))


def chart_config(uuid: str, dataset_uuid: str, body: dict[str, Any]) -> dict[str, Any]:
    """A chart as the bundle states it; ``body`` is what ``POST /api/v1/chart/`` would get."""
    return {
        "slice_name": body["slice_name"],
        "viz_type": body["viz_type"],
        "params": json.loads(body["params"]),
        "query_context": body["query_context"],
        "cache_timeout": None,
        "uuid": uuid,
        "dataset_uuid": dataset_uuid,
        "is_managed_externally": False,  # tenants' editors may change it; apply then keeps theirs
        "external_url": None,
        "version": IMPORT_VERSION,
    }


def dashboard_config(
    *, title: str, slug: str, uuid: str, position: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    """A dashboard as the bundle states it (Superset maps its charts by the UUIDs in ``position``)."""
    return {
        "dashboard_title": title,
        "slug": slug,
        "uuid": uuid,
        "position": position,
        "metadata": metadata,
        "published": True,
        "css": None,
        "description": None,
        "is_managed_externally": False,
        "external_url": None,
        "version": IMPORT_VERSION,
    }


def dashboard_bundle(
    database: dict[str, Any],
    datasets: list[dict[str, Any]],
    charts: list[dict[str, Any]],
    dashboards: list[dict[str, Any]],
) -> bytes:
    """A v1 dashboard bundle: dashboards, their charts, and the datasets and database they use."""
    files = _base_files(database, datasets)
    for chart in charts:
        files[f"charts/{chart['uuid']}.yaml"] = chart
    for dashboard in dashboards:
        files[f"dashboards/{dashboard['uuid']}.yaml"] = dashboard
    return _zip("Dashboard", files)


def _base_files(database: dict[str, Any], datasets: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    files = {f"databases/{database['database_name']}.yaml": database}
    for dataset in datasets:
        files[f"datasets/{database['database_name']}/{dataset['table_name']}.yaml"] = dataset
    return files


# libyaml's emitter when PyYAML was built with it (the wheels are): a tenant's two dashboards and
# 18 charts took ~0.1 s to write with the pure-Python one.
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _zip(kind: str, files: dict[str, dict[str, Any]]) -> bytes:
    everything = {
        "metadata.yaml": {"version": IMPORT_VERSION, "type": kind, "timestamp": "2026-01-01T00:00:00+00:00"}
    } | files
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, content in everything.items():
            info = zipfile.ZipInfo(f"{BUNDLE_ROOT}/{name}", date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, yaml.dump(content, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=True))
    return buffer.getvalue()
