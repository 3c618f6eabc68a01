"""Bounded label values for metrics: the first N tenants seen get their own label, the rest share one.

Prometheus keeps one series per label combination forever, so an unbounded tenant label (or one an
attacker can choose) would grow memory without limit. Pure and thread-safe.
"""

from __future__ import annotations

import threading

OTHER = "_other"
NONE = "_none"  # unauthenticated, or a platform user


class TenantLabels:
    """Maps tenant slugs to metric label values, never more than `limit` distinct slugs."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, slug: str | None) -> str:
        if not slug:
            return NONE
        with self._lock:
            if slug in self._seen:
                return slug
            if len(self._seen) < self._limit:
                self._seen.add(slug)
                return slug
        return OTHER
