"""Superset config for ``apply_tenants.py --scoped-schema-permissions``.

The shipped config (``superset_ext/superset_config.py``) with the proposed fix wired in: the
security manager skips schema and catalog permissions on tenant databases
(``superset_ext/schema_permissions.py``). Lets the benchmark measure the fix before it is wired.
"""

from supertenant.superset_ext.config import build_superset_config
from supertenant.superset_ext.schema_permissions import TenantSchemaPermissionsMixin

_config = build_superset_config()
_manager = _config["CUSTOM_SECURITY_MANAGER"]
if not issubclass(_manager, TenantSchemaPermissionsMixin):  # already wired: nothing to add
    _config["CUSTOM_SECURITY_MANAGER"] = type(
        "ScopedSchemaSecurityManager", (TenantSchemaPermissionsMixin, _manager), {}
    )
globals().update(_config)
