"""Who may read a ``/metrics`` page: its labels name every tenant, so never a tenant's user."""

from __future__ import annotations

import hmac

LOOPBACK = frozenset({"127.0.0.1", "::1"})


def scrape_allowed(
    *,
    token: str | None,
    authorization: str,
    remote_addr: str | None,
    forwarded_for: str | None,
    tenant_user: bool = False,
) -> bool:
    """With a token configured, only a caller presenting it as a bearer token.

    Without one, only a direct loopback caller: a scraper in the same container or
    pod (Cloud Run's managed-Prometheus sidecar, a local Prometheus), never a request
    that came through a proxy or load balancer. A signed-in tenant user is refused
    either way.
    """
    if tenant_user:
        return False
    if token:
        given = authorization.removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    return not forwarded_for and remote_addr in LOOPBACK
