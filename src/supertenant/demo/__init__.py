"""The demo: a browsable multi-tenant Superset on embedded defaults, started by `make demo`."""
