"""BigQuery cost grouping on rows shaped like INFORMATION_SCHEMA.JOBS_BY_PROJECT."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from supertenant.errors import ConfigError
from supertenant.metering.bigquery_jobs import UNLABELLED, group_jobs, jobs_query

SA_A = "t-acme@proj-1.iam.gserviceaccount.com"
SA_B = "t-beta@proj-1.iam.gserviceaccount.com"


def job(
    job_id: str,
    *,
    tenant: str | None,
    billed: int,
    processed: int | None = None,
    when: str = "2026-11-03T10:00:00",
    user: str = SA_A,
    statement_type: str = "SELECT",
    parent: str | None = None,
    job_type: str = "QUERY",
    cache_hit: bool = False,
) -> dict[str, Any]:
    """One row with the documented JOBS columns (labels is ARRAY<STRUCT<key, value>>)."""
    labels = [{"key": "tenant", "value": tenant}, {"key": "source", "value": "dashboard"}] if tenant else []
    return {
        "job_id": job_id,
        "creation_time": datetime.fromisoformat(when).replace(tzinfo=UTC),
        "project_id": "proj-1",
        "user_email": user,
        "job_type": job_type,
        "statement_type": statement_type,
        "state": "DONE",
        "parent_job_id": parent,
        "labels": labels,
        "total_bytes_processed": processed if processed is not None else billed,
        "total_bytes_billed": billed,
        "cache_hit": cache_hit,
        "error_result": None,
    }


def test_script_parents_are_left_out_and_children_counted_once() -> None:
    rows = [
        job("script_1", tenant="acme", billed=300, statement_type="SCRIPT"),  # = sum of its children
        job("script_1_0", tenant="acme", billed=100, parent="script_1"),
        job(
            "script_1_1",
            tenant="acme",
            billed=200,
            parent="script_1",
            statement_type="CREATE_TABLE_AS_SELECT",
        ),
    ]
    [row] = group_jobs(rows, "proj-1/eu")
    assert (row.tenant, row.jobs, row.bytes_billed) == ("acme", 2, 300)


def test_grouped_by_day_tenant_and_service_account() -> None:
    rows = [
        job("1", tenant="acme", billed=10 * 2**20, processed=5),
        job("2", tenant="acme", billed=20 * 2**20, when="2026-11-03T23:59:59"),
        job("3", tenant="acme", billed=7, when="2026-11-04T00:00:00"),
        job("4", tenant="beta", billed=11, user=SA_B),
        job("5", tenant="acme", billed=0, cache_hit=True),  # cached: a job, free
        job("6", tenant=None, billed=13, user="someone@example.com"),
        job("7", tenant="acme", billed=999, job_type="LOAD"),
    ]
    got = [(r.day, r.tenant, r.principal, r.jobs, r.bytes_billed) for r in group_jobs(rows, "proj-1/eu")]
    assert got == [
        (date(2026, 11, 3), UNLABELLED, "someone@example.com", 1, 13),
        (date(2026, 11, 3), "acme", SA_A, 3, 30 * 2**20),
        (date(2026, 11, 3), "beta", SA_B, 1, 11),
        (date(2026, 11, 4), "acme", SA_A, 1, 7),
    ]


def test_creation_time_is_bucketed_in_utc() -> None:
    row = job("1", tenant="acme", billed=1)
    row["creation_time"] = datetime.fromisoformat("2026-11-04T08:30:00+09:00")  # 2026-11-03 23:30 UTC
    [grouped] = group_jobs([row], "p/eu")
    assert grouped.day == date(2026, 11, 3)


def test_cost_key_is_stable_so_recollection_replaces() -> None:
    first = group_jobs([job("1", tenant="acme", billed=1)], "proj-1/eu")[0]
    again = group_jobs([job("1", tenant="acme", billed=1), job("2", tenant="acme", billed=2)], "proj-1/eu")[0]
    assert first.cost_key == again.cost_key == f"bigquery:proj-1/eu:2026-11-03:acme:{SA_A}"


def test_query_names_the_regional_view_and_refuses_odd_names() -> None:
    sql = jobs_query("proj-123", "asia-northeast1")
    assert "`proj-123`.`region-asia-northeast1`.INFORMATION_SCHEMA.JOBS_BY_PROJECT" in sql
    assert "@start" in sql
    assert "@end" in sql
    with pytest.raises(ConfigError):
        jobs_query("proj`; DROP", "eu")
    with pytest.raises(ConfigError):
        jobs_query("proj-123", "eu`x")
