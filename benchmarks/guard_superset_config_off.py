"""Superset config for ``guard_overhead.py``'s comparison servers: supertenant with guards off.

Everything the shipped config (``superset_ext/superset_config.py``) sets, except the isolation
guards whose cost issue #4 asks for. ``SUPERTENANT_BENCH_GUARDS`` says which are off:

- ``off`` (default): all of them — the security manager's tenant guard (``raise_for_access``,
  ``get_user_by_id``, ``find_roles_by_id``; Superset's own manager plus supertenant's two mixins
  that are not guards: the schema-permission one, which only acts when permissions are created,
  and the faster permission queries, which give Superset's answers), the request guards
  (``guards.register_guards`` becomes a no-op before ``init_app`` runs) and the owner and role
  picker filters (``EXTRA_RELATED_QUERY_FILTERS``);
- ``manager_only``: only the request guards are off; the security manager keeps its guard.

Same metadata DB, same Redis, same users and roles: the same requests see the same data.
Never use this config outside the benchmark.
"""

import os

from superset.security.manager import SupersetSecurityManager

import supertenant.superset_ext.guards as _guards
from supertenant.superset_ext.config import build_superset_config
from supertenant.superset_ext.permission_queries import FasterPermissionQueriesMixin
from supertenant.superset_ext.schema_permissions import TenantSchemaPermissionsMixin

_guards.register_guards = lambda app: None  # init_app imports it when it runs: after this line
_config = build_superset_config()
if os.environ.get("SUPERTENANT_BENCH_GUARDS", "off") == "off":
    _config["CUSTOM_SECURITY_MANAGER"] = type(
        "UnguardedSecurityManager",
        (TenantSchemaPermissionsMixin, FasterPermissionQueriesMixin, SupersetSecurityManager),
        {},
    )
    _config.pop("EXTRA_RELATED_QUERY_FILTERS", None)
globals().update(_config)
