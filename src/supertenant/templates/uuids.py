"""Deterministic object UUIDs: the same tenant and template object always get the same UUID."""

from __future__ import annotations

import uuid

# Fixed forever: changing it would orphan every object supertenant ever created.
NAMESPACE = uuid.UUID("6f1c7a52-3d0e-5b8e-9a4f-2c1d5e7b9a30")


def object_uuid(tenant_slug: str, *parts: str) -> uuid.UUID:
    """UUID5 over ``slug/part/…`` — version-independent, so an upgrade updates the same object."""
    return uuid.uuid5(NAMESPACE, "/".join([tenant_slug, *parts]))
