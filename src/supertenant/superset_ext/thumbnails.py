"""Thumbnail digests while Superset's ``THUMBNAILS`` feature is off.

Superset puts a ``thumbnail_url`` on every dashboard and chart of a list response. Its digest
hashes the object with the row-level-security filters of each of its datasets, looked up for
the thumbnail executor: a few queries per listed object whose cost grows with the RLS rules of
every tenant (at 200 tenants, a third of a tenant viewer's dashboard list). With thumbnails off
nobody can fetch the URL, so there is no digest and no URL. Superset's config calls these
``(model, executor_type, executor) -> digest``.
"""

from __future__ import annotations

from typing import Any


def no_digest(_model: Any, _executor_type: Any, _executor: str) -> None:
    """No thumbnail, so no digest: Superset then lists ``thumbnail_url: null``."""
    return None


DIGEST_FUNCS_WHILE_OFF: dict[str, Any] = {
    "THUMBNAIL_DASHBOARD_DIGEST_FUNC": no_digest,
    "THUMBNAIL_CHART_DIGEST_FUNC": no_digest,
}
