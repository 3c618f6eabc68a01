"""Usage metering, warehouse cost and billing (docs/billing.md).

Pure: `events`, `rating`, `pricebook`, `invoice`, `bigquery_jobs.group_jobs`,
`duckdb_estimate.estimate_bytes`. I/O: `recorder` (spool → registry), `store`,
`collect`, `bigquery_jobs.collect`.

Other services record their own events with :func:`record_event`::

    from supertenant.metering import record_event
    record_event("chat_request", tenant="sakura-shoes", user_id=7, username="ana@…",
                 object_type="chat", object_id=conversation_id, duration_ms=420, status="ok")

It appends to the process's spool file and returns at once; the event reaches
``usage_events`` within ``SUPERTENANT_USAGE_FLUSH_SECONDS``, exactly once.
"""

from __future__ import annotations

from typing import Any

from supertenant.metering.events import UsageEvent


def record_event(kind: str, *, tenant: str | None, **fields: Any) -> UsageEvent:
    """Record one usage event for ``tenant`` (kinds: ``events.KINDS``); returns it (with its key).

    Raises ``UsageEventError`` for an unknown kind or status, so a typo fails in tests, not on
    an invoice.
    """
    from supertenant.metering.recorder import default_recorder

    event = UsageEvent(kind=kind, tenant=tenant, **fields)
    default_recorder().record(event)
    return event


__all__ = ["UsageEvent", "record_event"]
