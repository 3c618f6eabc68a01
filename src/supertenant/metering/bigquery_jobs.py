"""BigQuery cost per tenant from ``INFORMATION_SCHEMA.JOBS_BY_PROJECT``.

The grouping is pure (`group_jobs` takes rows in the documented JOBS schema);
`collect` runs the query with a google-cloud-bigquery client. Script parents
(``statement_type = 'SCRIPT'``) are left out because their bytes are the sum
of their child jobs, which are rows of their own (with ``parent_job_id``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from supertenant.errors import ConfigError
from supertenant.metering.rating import CostRow

UNLABELLED = "_unlabelled"
_REGION = re.compile(r"^[a-z0-9-]{2,40}$")
_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def jobs_query(project: str, region: str) -> str:
    """The JOBS_BY_PROJECT query for one project and region, for days in [@start, @end)."""
    if not _PROJECT.fullmatch(project):
        raise ConfigError(f"invalid BigQuery project id {project!r}")
    if not _REGION.fullmatch(region):
        raise ConfigError(f"invalid BigQuery region {region!r} (e.g. 'eu', 'us', 'asia-northeast1')")
    # project and region are validated above; the dates are query parameters
    return (
        "SELECT job_id, creation_time, project_id, user_email, job_type, statement_type, state,"  # noqa: S608
        " parent_job_id, labels, total_bytes_processed, total_bytes_billed, cache_hit, error_result"
        f" FROM `{project}`.`region-{region}`.INFORMATION_SCHEMA.JOBS_BY_PROJECT"
        " WHERE creation_time >= @start AND creation_time < @end AND job_type = 'QUERY'"
    )


def _labels(value: Any) -> dict[str, str]:
    """JOBS.labels is ARRAY<STRUCT<key, value>>; the client gives a list of dicts."""
    found: dict[str, str] = {}
    for item in value or ():
        if isinstance(item, Mapping) and "key" in item:
            found[str(item["key"])] = str(item.get("value") or "")
    return found


def is_billable(row: Mapping[str, Any]) -> bool:
    """Counted jobs: queries that are not script parents. Failed jobs bill 0 bytes and count as 0."""
    return row.get("job_type", "QUERY") == "QUERY" and row.get("statement_type") != "SCRIPT"


def group_jobs(rows: Iterable[Mapping[str, Any]], scope: str) -> list[CostRow]:
    """One cost row per (UTC day, tenant label, service account), in a stable order.

    Jobs without a ``tenant`` label are kept under ``_unlabelled`` so that the
    platform sees spend nobody was charged for.
    """
    totals: dict[tuple[date, str, str], list[int]] = {}
    for row in rows:
        if not is_billable(row):
            continue
        created = row["creation_time"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created.replace("Z", "+00:00"))
        day = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC).date()
        tenant = _labels(row.get("labels")).get("tenant") or UNLABELLED
        principal = str(row.get("user_email") or "")
        acc = totals.setdefault((day, tenant, principal), [0, 0, 0])
        acc[0] += 1
        acc[1] += int(row.get("total_bytes_processed") or 0)
        acc[2] += int(row.get("total_bytes_billed") or 0)
    return [
        CostRow("bigquery", scope, day, tenant, principal, jobs, processed, billed)
        for (day, tenant, principal), (jobs, processed, billed) in sorted(totals.items())
    ]


def collect(client: Any, project: str, region: str, start: datetime, end: datetime) -> list[CostRow]:
    """Run the JOBS query with ``client`` (google.cloud.bigquery.Client) and group the rows."""
    from google.cloud import bigquery

    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter("start", "TIMESTAMP", start),
            bigquery.ScalarQueryParameter("end", "TIMESTAMP", end),
        ],
        labels={"source": "metering"},
    )
    rows = client.query(jobs_query(project, region), job_config=config).result()
    return group_jobs((dict(r.items()) for r in rows), f"{project}/{region}")
