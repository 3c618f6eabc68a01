"""Make Superset match a tenant spec, over Superset's REST API only."""
