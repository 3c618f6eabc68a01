"""Who belongs to which tenant, read from the registry and cached briefly in each process.

Every request needs the caller's tenant; reading two small tables every few
seconds per worker is cheaper than a query per request, and a stale entry
lives at most ``TTL_SECONDS``. Everything here works without a request or a
user (start-up, Celery), which ``GET_FEATURE_FLAGS_FUNC`` requires.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from supertenant.registry.tables import tenant_memberships, tenants
from supertenant.superset_ext import policy

TTL_SECONDS = 5.0
# A user missing from the snapshot is re-checked against a fresher one: failing open (treating a new
# tenant member as a platform user) must never outlive this.
MISS_RELOAD_SECONDS = 0.5


@dataclass(frozen=True)
class TenantInfo:
    """What the Superset process needs to know about one tenant."""

    slug: str
    name: str
    locale: str
    status: str
    database_id: int | None
    role_ids: Mapping[str, int]
    dashboard_ids: Mapping[str, int]
    home_dashboard_id: int | None
    branding: Mapping[str, Any]
    features: Mapping[str, bool]

    @property
    def hostnames(self) -> tuple[str, ...]:
        return tuple(str(h).lower() for h in self.branding.get("hostnames", []) or [])


@dataclass(frozen=True)
class Snapshot:
    """One consistent read of the registry."""

    by_slug: Mapping[str, TenantInfo] = field(default_factory=dict)
    by_user: Mapping[int, str] = field(default_factory=dict)
    by_host: Mapping[str, str] = field(default_factory=dict)
    by_role: Mapping[int, str] = field(default_factory=dict)
    by_database: Mapping[int, str] = field(default_factory=dict)


def read_snapshot(connection: sa.engine.Connection) -> Snapshot:
    infos: dict[str, TenantInfo] = {}
    for row in connection.execute(sa.select(tenants)):
        infos[row.slug] = TenantInfo(
            slug=row.slug,
            name=row.name,
            locale=row.locale,
            status=row.status,
            database_id=row.superset_database_id,
            role_ids=dict(row.role_ids or {}),
            dashboard_ids=dict(row.dashboard_ids or {}),
            home_dashboard_id=row.home_dashboard_id,
            branding=dict(row.branding or {}),
            features=dict(row.features or {}),
        )
    slug_of_id = {
        tid: slug for tid, slug in connection.execute(sa.select(tenants.c.id, tenants.c.slug)).all()
    }
    by_user = {
        int(user_id): slug_of_id[tenant_id]
        for user_id, tenant_id in connection.execute(
            sa.select(tenant_memberships.c.user_id, tenant_memberships.c.tenant_id)
        ).all()
        if tenant_id in slug_of_id
    }
    by_database = {info.database_id: info.slug for info in infos.values() if info.database_id is not None}
    for database_id, slug in usage_databases(connection, list(infos)).items():
        by_database.setdefault(database_id, slug)
    return Snapshot(
        by_slug=infos,
        by_user=by_user,
        by_host={host: info.slug for info in infos.values() for host in info.hostnames},
        by_role={int(rid): info.slug for info in infos.values() for rid in info.role_ids.values()},
        by_database=by_database,
    )


# Superset's own table of connections; read only for the tenants' usage databases (docs/billing.md).
_SUPERSET_DATABASES = sa.table("dbs", sa.column("id"), sa.column("database_name"), sa.column("uuid"))


def usage_databases(connection: sa.engine.Connection, slugs: list[str]) -> dict[int, str]:
    """Database id → tenant of each tenant's usage database (name and UUID derived from its slug).

    Read last: an error (no Superset tables yet) only leaves these out, and they then belong to no
    tenant, which the guard refuses to every tenant user.
    """
    names = sorted(policy.usage_database_name(slug) for slug in slugs)
    if not names:
        return {}
    query = sa.select(_SUPERSET_DATABASES).where(_SUPERSET_DATABASES.c.database_name.in_(names))
    try:
        rows = connection.execute(query).all()
    except sa.exc.SQLAlchemyError:
        return {}
    found = {}
    for database_id, name, database_uuid in rows:
        slug = policy.usage_database_tenant(str(name), database_uuid, slugs)
        if slug is not None:
            found[int(database_id)] = slug
    return found


class TenantDirectory:
    """A per-process, time-limited cache of the registry snapshot."""

    def __init__(self, engine_factory: Any, ttl: float = TTL_SECONDS) -> None:
        self._engine_factory = engine_factory
        self._ttl = ttl
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self._loaded_at = float("-inf")

    def snapshot(self) -> Snapshot:
        if time.monotonic() - self._loaded_at < self._ttl:
            return self._snapshot
        with self._lock:
            if time.monotonic() - self._loaded_at >= self._ttl:
                try:
                    with self._engine_factory().connect() as connection:
                        self._snapshot = read_snapshot(connection)
                except sa.exc.SQLAlchemyError:
                    # Before `supertenant db upgrade` the tables do not exist: no tenants yet.
                    self._snapshot = Snapshot()
                self._loaded_at = time.monotonic()
        return self._snapshot

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    def tenant_of_user(self, user_id: int | None) -> TenantInfo | None:
        if user_id is None:
            return None
        snap = self.snapshot()
        slug = snap.by_user.get(int(user_id))
        if slug is None and time.monotonic() - self._loaded_at > MISS_RELOAD_SECONDS:
            self.invalidate()
            snap = self.snapshot()
            slug = snap.by_user.get(int(user_id))
        return snap.by_slug.get(slug) if slug else None

    def tenant_of_host(self, host: str | None) -> TenantInfo | None:
        if not host:
            return None
        snap = self.snapshot()
        slug = snap.by_host.get(host.split(":", 1)[0].lower())
        return snap.by_slug.get(slug) if slug else None

    def tenant_of_role(self, role_id: int) -> str | None:
        return self.snapshot().by_role.get(int(role_id))

    def tenant_of_database(self, database_id: int | None) -> str | None:
        return None if database_id is None else self.snapshot().by_database.get(int(database_id))
