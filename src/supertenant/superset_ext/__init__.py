"""Code that runs inside the Superset process.

Superset loads it through ``superset_config.py`` (one line) and calls
:func:`supertenant.superset_ext.app.init_app` as its ``FLASK_APP_MUTATOR``.
"""
