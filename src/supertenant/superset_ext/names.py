"""Names supertenant adds to Superset's permission model."""

REGISTRY_VIEW = "SupertenantRegistry"
