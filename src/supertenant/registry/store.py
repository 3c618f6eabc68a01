"""Reads and writes of the registry tables on a SQLAlchemy connection (no Flask, no HTTP)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from supertenant.registry.records import Membership, TenantRecord, without_secrets
from supertenant.registry.tables import tenant_memberships, tenants

_COLUMNS = [c.name for c in tenants.columns if c.name != "id"]


def _record(row: sa.engine.Row[Any]) -> TenantRecord:
    return TenantRecord.model_validate({name: row._mapping[name] for name in _COLUMNS})


def list_tenants(connection: sa.engine.Connection) -> list[TenantRecord]:
    rows = connection.execute(sa.select(tenants).order_by(tenants.c.slug))
    return [_record(row) for row in rows]


def get_tenant(connection: sa.engine.Connection, slug: str) -> TenantRecord | None:
    row = connection.execute(sa.select(tenants).where(tenants.c.slug == slug)).first()
    return _record(row) if row else None


def tenant_id(connection: sa.engine.Connection, slug: str) -> int | None:
    found = connection.execute(sa.select(tenants.c.id).where(tenants.c.slug == slug)).scalar()
    return None if found is None else int(found)


def upsert_tenant(connection: sa.engine.Connection, record: TenantRecord) -> TenantRecord:
    """Insert or update by slug; timestamps are the server's, not the caller's."""
    values = record.model_dump(exclude={"created_at", "updated_at", "slug"})
    values["warehouse"] = without_secrets(values["warehouse"])
    now = datetime.now(UTC)
    existing = tenant_id(connection, record.slug)
    if existing is None:
        connection.execute(
            sa.insert(tenants).values(slug=record.slug, created_at=now, updated_at=now, **values)
        )
    else:
        connection.execute(
            sa.update(tenants).where(tenants.c.id == existing).values(updated_at=now, **values)
        )
    stored = get_tenant(connection, record.slug)
    assert stored is not None
    return stored


def delete_tenant(connection: sa.engine.Connection, slug: str) -> bool:
    found = tenant_id(connection, slug)
    if found is None:
        return False
    connection.execute(sa.delete(tenant_memberships).where(tenant_memberships.c.tenant_id == found))
    connection.execute(sa.delete(tenants).where(tenants.c.id == found))
    return True


def list_members(connection: sa.engine.Connection, slug: str) -> list[Membership]:
    rows = connection.execute(
        sa.select(tenant_memberships.c.user_id, tenant_memberships.c.username, tenant_memberships.c.role)
        .join(tenants, tenants.c.id == tenant_memberships.c.tenant_id)
        .where(tenants.c.slug == slug)
        .order_by(tenant_memberships.c.username)
    )
    return [Membership(user_id=r.user_id, username=r.username, role=r.role) for r in rows]


def replace_members(connection: sa.engine.Connection, slug: str, members: Sequence[Membership]) -> None:
    """Make the tenant's membership exactly ``members``. A user in another tenant is refused."""
    found = tenant_id(connection, slug)
    if found is None:
        raise LookupError(f"tenant {slug!r} is not registered")
    user_ids = [m.user_id for m in members]
    if user_ids:
        elsewhere = connection.execute(
            sa.select(tenant_memberships.c.user_id).where(
                tenant_memberships.c.user_id.in_(user_ids), tenant_memberships.c.tenant_id != found
            )
        ).scalars()
        taken = sorted(elsewhere)
        if taken:
            raise ValueError(f"user ids {taken} already belong to another tenant")
    connection.execute(sa.delete(tenant_memberships).where(tenant_memberships.c.tenant_id == found))
    for member in members:
        connection.execute(sa.insert(tenant_memberships).values(tenant_id=found, **member.model_dump()))


def tenant_of_user(connection: sa.engine.Connection, user_id: int) -> str | None:
    """The slug of the tenant a user belongs to, or None (platform users)."""
    slug = connection.execute(
        sa.select(tenants.c.slug)
        .join(tenant_memberships, tenants.c.id == tenant_memberships.c.tenant_id)
        .where(tenant_memberships.c.user_id == user_id)
    ).scalar()
    return None if slug is None else str(slug)
