"""``init_app``: the one hook Superset calls to load supertenant (``FLASK_APP_MUTATOR``)."""

from __future__ import annotations

from flask import Flask

from supertenant.logs import configure_logging
from supertenant.settings import get_settings


def init_app(app: Flask) -> None:
    """Wire supertenant into a Superset app, after FAB is set up and before Superset's views."""
    from superset.extensions import appbuilder

    from supertenant.superset_ext.registry_api import TenantRegistryApi

    settings = get_settings()
    configure_logging(settings.log_level)
    appbuilder.add_api(TenantRegistryApi)
    app.extensions["supertenant"] = {"env": settings.env.value}
