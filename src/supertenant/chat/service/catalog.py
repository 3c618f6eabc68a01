"""What a tenant may chart, read from Superset as one of its users, and cached per tenant.

`assemble` (pure) turns Superset's dataset JSON and column values into the planner's
`TenantVocabulary` and the templates' `DatasetRef`s: only contract views count, only contract columns,
only the contract's saved metrics — an extra column or metric in Superset is never chartable. `Catalog`
does the reading (as the user, so Superset's access rules and RLS apply) and keeps the result for
`ttl` seconds per tenant: all members of a tenant hold the same data permissions (its roles).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from supertenant.chat.service.superset import UserSession
from supertenant.chat.vocabulary import (
    CONTRACT_VALUES,
    VALUE_COLUMNS,
    DatasetVocabulary,
    TenantVocabulary,
    metrics_for,
)
from supertenant.templates.protocol import DatasetRef, RenderContext
from supertenant.templates.vocabulary import Locale
from supertenant.warehouse.contract import VIEW_NAMES, view

MAX_VALUES = 1000


@dataclass(frozen=True)
class TenantCatalog:
    """The tenant's chartable datasets: for the planner (vocabulary) and for rendering (refs)."""

    vocabulary: TenantVocabulary
    refs: Mapping[str, DatasetRef]

    def render_context(self, locale: Locale) -> RenderContext:
        return RenderContext(tenant_slug=self.vocabulary.slug, locale=locale, datasets=self.refs)


def dataset_ref(detail: Mapping[str, Any]) -> DatasetRef | None:
    """A Superset dataset as a template sees it, or None when it is not a contract view."""
    name = str(detail.get("table_name") or "")
    if name not in VIEW_NAMES:
        return None
    contract = view(name)
    columns = {str(c.get("column_name")) for c in detail.get("columns") or []} & set(contract.column_names)
    saved = {str(m.get("metric_name")) for m in detail.get("metrics") or []}
    metrics = saved & metrics_for(columns)
    return DatasetRef(
        id=int(detail["id"]),
        uuid=str(detail["uuid"]),
        name=name,
        columns=frozenset(columns),
        metrics=frozenset(metrics),
    )


def assemble(
    slug: str,
    *,
    locale: Locale,
    name: str,
    refs: Sequence[DatasetRef],
    values: Mapping[str, Sequence[Any]],
) -> TenantCatalog:
    """Pure: dataset refs and column values → the tenant's catalog (contract enums always included)."""
    merged: dict[str, tuple[str, ...]] = {column: tuple(found) for column, found in CONTRACT_VALUES.items()}
    for column, found in values.items():
        if column == "account_id":
            continue
        strings = [str(v) for v in found if v is not None and str(v) != ""]
        merged[column] = tuple(sorted(dict.fromkeys([*merged.get(column, ()), *strings])))
    accounts = tuple(sorted({str(v) for v in values.get("account_id", ()) if v}))
    ordered = sorted(refs, key=lambda ref: VIEW_NAMES.index(ref.name))
    vocabulary = TenantVocabulary(
        slug=slug,
        locale=locale,
        name=name,
        account_ids=accounts,
        datasets=tuple(DatasetVocabulary(ref.name, ref.columns, ref.metrics) for ref in ordered),
        values=MappingProxyType(merged),
    )
    return TenantCatalog(vocabulary, MappingProxyType({ref.name: ref for ref in ordered}))


def read_catalog(session: UserSession, slug: str, *, locale: Locale, name: str) -> TenantCatalog:
    """Read the tenant's datasets and the values of its value columns from Superset, as the user."""
    refs: list[DatasetRef] = []
    for row in session.datasets():
        if str(row.get("table_name")) not in VIEW_NAMES:
            continue
        ref = dataset_ref(session.dataset(int(row["id"])))
        if ref is not None and ref.name not in {r.name for r in refs}:
            refs.append(ref)
    values: dict[str, list[Any]] = {}
    for ref in sorted(refs, key=lambda r: VIEW_NAMES.index(r.name)):
        wanted = [
            column
            for column in (*VALUE_COLUMNS, "account_id")
            if column in ref.columns and column not in values and column not in CONTRACT_VALUES
        ]
        metric = next((m for m in ("impressions", "clicks", "cost") if m in ref.metrics), None)
        if wanted and metric:
            values.update(session.column_values(ref.id, wanted, metric, MAX_VALUES))
    return assemble(slug, locale=locale, name=name, refs=refs, values=values)


class Catalogs:
    """Per-tenant cache of `TenantCatalog`s; one reader per tenant at a time."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, TenantCatalog]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, slug: str, load: Callable[[], TenantCatalog]) -> TenantCatalog:
        entry = self._entries.get(slug)
        if entry is not None and self._clock() - entry[0] < self._ttl:
            return entry[1]
        with self._guard:
            lock = self._locks.setdefault(slug, threading.Lock())
        with lock:
            entry = self._entries.get(slug)
            if entry is not None and self._clock() - entry[0] < self._ttl:
                return entry[1]
            catalog = load()
            self._entries[slug] = (self._clock(), catalog)
            return catalog

    def forget(self, slug: str) -> None:
        self._entries.pop(slug, None)
