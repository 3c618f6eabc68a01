"""Superset's whole configuration, derived from supertenant's settings.

``superset_config.py`` is one line that calls :func:`build_superset_config`, so
every deployment (laptop, CI, Cloud Run) gets the same hardened defaults and
only the environment differs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from supertenant.metering.schedule import TASKS_MODULE
from supertenant.metering.schedule import beat_schedule as metering_beat_schedule
from supertenant.settings import Environment, Settings, get_settings

ONE_DAY = int(timedelta(days=1).total_seconds())

# Flags that are dangerous for tenants are pinned off here, whatever Superset's defaults become.
FEATURE_FLAGS: dict[str, bool] = {
    "DASHBOARD_RBAC": False,  # dashboard access implies data access: a cross-tenant read path
    "EMBEDDED_SUPERSET": False,
    "RLS_IN_SQLLAB": True,  # second layer behind per-tenant connections
    "ENABLE_TEMPLATE_PROCESSING": False,
    "TAGGING_SYSTEM": False,
    "ALERT_REPORTS": False,
    "ENABLE_FACTORY_RESET_COMMAND": False,
    "THUMBNAILS": False,  # needs a headless browser in Celery; off, lists skip its digests (thumbnails.py)
}

LANGUAGES = {
    "ja": {"flag": "jp", "name": "Japanese"},
    "en": {"flag": "us", "name": "English"},
}


def cache_config(settings: Settings, prefix: str, timeout: int = ONE_DAY) -> dict[str, Any]:
    """A Flask-Caching config: Redis when configured, else an in-process cache."""
    if settings.redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": f"supertenant_{prefix}_",
            "CACHE_DEFAULT_TIMEOUT": timeout,
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_THRESHOLD": 5000}


def state_cache_config(settings: Settings, prefix: str, timeout: int) -> dict[str, Any]:
    """Filter state and explore form data must survive across gunicorn workers.

    With Redis they live there; without it they stay in Superset's metastore
    (its own default), because an in-process cache would lose a user's filters
    whenever the next request lands on another worker.
    """
    if settings.redis_url:
        return cache_config(settings, prefix, timeout) | {"REFRESH_TIMEOUT_ON_RETRIEVAL": True}
    from superset.key_value.types import JsonKeyValueCodec  # only importable inside Superset

    return {
        "CACHE_TYPE": "SupersetMetastoreCache",
        "CACHE_DEFAULT_TIMEOUT": timeout,
        "REFRESH_TIMEOUT_ON_RETRIEVAL": True,
        "CODEC": JsonKeyValueCodec(),
    }


def results_backend(settings: Settings) -> Any:
    """SQL Lab's async results store: Redis when configured, else none (sync queries only).

    The client is built with ``redis.Redis.from_url`` so the URL means exactly what it means to
    Celery and Flask-Caching (ACL user, percent-encoded password, ``rediss://`` TLS).
    """
    if not settings.redis_url:
        return None
    import redis
    from cachelib.redis import RedisCache

    return RedisCache(host=redis.Redis.from_url(settings.redis_url), key_prefix="supertenant_results_")


def celery_config(settings: Settings) -> type | None:
    """Celery on the Redis broker; no Celery at all without Redis."""
    if not settings.redis_url:
        return None

    class CeleryConfig:
        broker_url = settings.redis_url
        result_backend = settings.redis_url
        imports = ("superset.sql_lab", "superset.tasks.scheduler", "superset.tasks.thumbnails", TASKS_MODULE)
        beat_schedule = metering_beat_schedule()
        worker_prefetch_multiplier = 1
        task_acks_late = True

    return CeleryConfig


def metadata_engine_options(url: str) -> dict[str, Any]:
    """SQLAlchemy engine options for the metadata DB: Postgres sessions run with JIT off.

    Superset's permission and listing queries are many small joins; Postgres' JIT compiles some
    of them for longer than they run (benchmarks/README.md: apply and ``superset init`` times).
    """
    if url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres"):
        return {"connect_args": {"options": "-c jit=off"}}
    return {}


TELEMETRY_HOSTS = ("scarf.sh",)  # Superset's frontend loads a tracking pixel from here


def talisman_config(settings: Settings) -> dict[str, Any]:
    """Superset's own CSP, minus its telemetry pixel host, plus the configured image origins."""
    import copy
    import importlib

    base = copy.deepcopy(importlib.import_module("superset.config").TALISMAN_CONFIG)
    policy = base["content_security_policy"]
    images = [src for src in policy.get("img-src", []) if not any(h in src for h in TELEMETRY_HOSTS)]
    policy["img-src"] = images + [o for o in settings.csp_img_origins if o not in images]
    base["force_https"] = False  # TLS ends at the load balancer; ProxyFix restores the scheme
    return dict(base)


def build_superset_config(settings: Settings | None = None) -> dict[str, Any]:
    """Every Superset config key supertenant sets, as a dict of UPPERCASE names."""
    settings = settings or get_settings()
    production = settings.env is not Environment.DEV
    from supertenant.superset_ext import bigquery, experience, flags, thumbnails, usage
    from supertenant.superset_ext.app import init_app
    from supertenant.superset_ext.security import (
        SupertenantSecurityManager,
        related_roles_filter,
        related_users_filter,
    )

    return {
        "SECRET_KEY": settings.require_secret("secret_key"),
        "GUEST_TOKEN_JWT_SECRET": settings.require_secret("guest_token_jwt_secret"),
        "SQLALCHEMY_DATABASE_URI": settings.resolved_metadata_db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": metadata_engine_options(settings.resolved_metadata_db_url),
        # Examples are never loaded; an empty in-memory DB keeps them away from the metadata DB.
        "SQLALCHEMY_EXAMPLES_URI": "sqlite://",
        "CACHE_CONFIG": cache_config(settings, "cache"),
        "DATA_CACHE_CONFIG": cache_config(settings, "data"),
        "FILTER_STATE_CACHE_CONFIG": state_cache_config(settings, "filter_state", 90 * ONE_DAY),
        "EXPLORE_FORM_DATA_CACHE_CONFIG": state_cache_config(settings, "explore", 7 * ONE_DAY),
        "RESULTS_BACKEND": results_backend(settings),
        "CELERY_CONFIG": celery_config(settings),
        "TALISMAN_ENABLED": settings.talisman,
        "TALISMAN_CONFIG": talisman_config(settings),
        "RATELIMIT_ENABLED": settings.rate_limits,
        "RATELIMIT_STORAGE_URI": settings.redis_url or "memory://",
        "AUTH_RATE_LIMITED": settings.rate_limits,
        "AUTH_RATE_LIMIT": "10 per second",
        "PREVENT_UNSAFE_DB_CONNECTIONS": True,
        "ENABLE_PROXY_FIX": settings.proxy_fix,
        "PROXY_FIX_CONFIG": {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1},
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "SHOW_STACKTRACE": False,
        "DEBUG": False,
        "AUTH_USER_REGISTRATION": False,
        "HTML_SANITIZATION": True,
        "ALLOW_ADHOC_SUBQUERY": False,
        "FEATURE_FLAGS": dict(FEATURE_FLAGS),
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": "en",
        "APP_NAME": settings.app_name,
        "LOG_LEVEL": settings.log_level,
        "FLASK_APP_MUTATOR": init_app,
        "CUSTOM_SECURITY_MANAGER": SupertenantSecurityManager,
        "EXTRA_RELATED_QUERY_FILTERS": {"user": related_users_filter, "role": related_roles_filter},
        # BigQuery: every tenant query job carries labels and the tenant's byte cap (docs/bigquery.md).
        "ENGINE_CONTEXT_MANAGER": bigquery.engine_context,
        "DB_CONNECTION_MUTATOR": bigquery.db_connection_mutator,
        "QUERY_LOGGER": usage.log_query,  # SQL audit log + statements for usage events (docs/monitoring.md)
        # Per-tenant experience (docs/branding.md). THEME_DEFAULT/THEME_DARK are made tenant-aware by
        # register_experience, on top of whatever base theme they hold.
        "ENABLE_UI_THEME_ADMINISTRATION": False,  # a DB "system" theme would override every tenant's
        "GET_FEATURE_FLAGS_FUNC": flags.get_feature_flags,
        "COMMON_BOOTSTRAP_OVERRIDES_FUNC": experience.bootstrap_overrides,
        # Thumbnails are off: no digest (and its row-level-security lookups) per listed object.
        **({} if FEATURE_FLAGS.get("THUMBNAILS") else thumbnails.DIGEST_FUNCS_WHILE_OFF),
    }
