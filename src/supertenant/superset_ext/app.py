"""``init_app``: the one hook Superset calls to load supertenant (``FLASK_APP_MUTATOR``)."""

from __future__ import annotations

from flask import Flask

from supertenant.logs import configure_logging
from supertenant.settings import get_settings
from supertenant.superset_ext.chat_page import register_chat
from supertenant.superset_ext.context import EXTENSION_KEY
from supertenant.superset_ext.directory import TenantDirectory


def init_app(app: Flask) -> None:
    """Wire supertenant into a Superset app, after FAB is set up and before Superset's views."""
    from superset.extensions import appbuilder, db

    from supertenant.superset_ext import imports
    from supertenant.superset_ext.experience import register_experience
    from supertenant.superset_ext.guards import register_guards
    from supertenant.superset_ext.metrics import register_metrics
    from supertenant.superset_ext.registry_api import TenantRegistryApi
    from supertenant.superset_ext.schema_permissions import install_listing_skip
    from supertenant.superset_ext.usage import register_usage

    settings = get_settings()
    configure_logging(settings.log_level)
    app.extensions[EXTENSION_KEY] = TenantDirectory(lambda: db.engine)
    appbuilder.add_api(TenantRegistryApi)
    register_guards(app)
    register_experience(app)
    register_usage(app)  # usage events, daily budgets, log context (before metrics: it feeds them)
    register_metrics(app)
    register_chat(app)
    imports.install()  # dataset imports skip the warehouse's table check when there is no data
    install_listing_skip()  # no schema listing for tenant connections: their permissions are refused
    app.extensions["supertenant"] = {"env": settings.env.value}
