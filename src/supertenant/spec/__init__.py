"""The tenant spec: pure models of one tenant's desired state, and the YAML loader that builds them."""

from supertenant.spec.loader import load_spec, load_specs, parse_spec
from supertenant.spec.models import (
    DEFAULT_PRIMARY_COLOR,
    DEFAULT_TEMPLATES,
    ENGINES,
    ROLES,
    BigQueryWarehouse,
    Branding,
    DuckDBWarehouse,
    Engine,
    Features,
    Role,
    TemplateRef,
    TenantSpec,
    UserSpec,
    Warehouse,
)

__all__ = [
    "DEFAULT_PRIMARY_COLOR",
    "DEFAULT_TEMPLATES",
    "ENGINES",
    "ROLES",
    "BigQueryWarehouse",
    "Branding",
    "DuckDBWarehouse",
    "Engine",
    "Features",
    "Role",
    "TemplateRef",
    "TenantSpec",
    "UserSpec",
    "Warehouse",
    "load_spec",
    "load_specs",
    "parse_spec",
]
