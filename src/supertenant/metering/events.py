"""A usage event: one thing a tenant's user did, as one row of ``usage_events``.

Pure: no I/O. The event key is minted when the event happens, so every later
copy of it (a spool file replayed after a crash, a retried batch) is the same
row and is never counted twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from supertenant.errors import PermanentError

KINDS = ("login", "dashboard_view", "chart_data", "sql_lab", "csv_export", "chat_request")
STATUSES = ("ok", "error", "refused")


class UsageEventError(PermanentError):
    """An event that cannot be stored as given (unknown kind or status)."""


@dataclass(frozen=True, slots=True)
class WarehouseQuery:
    """One statement sent to a warehouse during the event, kept only until its bytes are estimated."""

    url: str  # without password
    sql: str
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class UsageEvent:
    kind: str
    tenant: str | None
    user_id: int | None = None
    username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    status: str = "ok"
    duration_ms: int | None = None
    warehouse_queries: int = 0
    bytes_scanned: int | None = None
    bytes_returned: int | None = None
    source: str = "superset"
    request_id: str | None = None
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    event_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    queries: tuple[WarehouseQuery, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UsageEventError(f"usage event kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.status not in STATUSES:
            raise UsageEventError(f"usage event status {self.status!r} is not one of {', '.join(STATUSES)}")

    def row(self) -> dict[str, Any]:
        """The ``usage_events`` row (the warehouse statements are not stored)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "queries"}
        values["username"] = (self.username or None) and self.username[:256]
        return values

    def to_json(self) -> dict[str, Any]:
        """The spool line's content. Built field by field: ``asdict`` deep-copies every value, and
        this runs on the request path of every metered request."""
        data = {name: getattr(self, name) for name in _SCALAR_FIELDS}
        data["occurred_at"] = self.occurred_at.isoformat()
        data["queries"] = [{"url": q.url, "sql": q.sql, "schema": q.schema} for q in self.queries]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UsageEvent:
        values = dict(data)
        values["occurred_at"] = datetime.fromisoformat(values["occurred_at"])
        values["queries"] = tuple(WarehouseQuery(**q) for q in values.get("queries") or ())
        return cls(**values)


_SCALAR_FIELDS = tuple(f.name for f in fields(UsageEvent) if f.name not in ("occurred_at", "queries"))
