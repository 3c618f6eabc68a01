"""Superset config built from supertenant settings: defaults, Redis, hardening, the config file."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pytest
import redis
from cachelib.redis import RedisCache
from superset.key_value.types import JsonKeyValueCodec
from superset.security import SupersetSecurityManager

import supertenant.superset_ext
from supertenant.settings import DEV_GUEST_TOKEN_SECRET, DEV_SECRET_KEY, Settings, load_settings
from supertenant.superset_ext.app import init_app
from supertenant.superset_ext.config import build_superset_config

STRONG_KEY = "k" * 20 + "Q7x!" * 5  # 40 characters, not a placeholder
STRONG_GUEST = "g" * 24 + "Z9?y" * 4
REDIS_URL = "redis://cache.internal:6380/2"
CACHE_KEYS = (
    "CACHE_CONFIG",
    "DATA_CACHE_CONFIG",
    "FILTER_STATE_CACHE_CONFIG",
    "EXPLORE_FORM_DATA_CACHE_CONFIG",
)
CONFIG_FILE = Path(supertenant.superset_ext.__file__).parent / "superset_config.py"


pytestmark = pytest.mark.usefixtures("clean_supertenant_env")


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with a temporary data dir; ``env`` other than dev gets strong secrets."""
    if overrides.get("env", "dev") != "dev":
        overrides = {"secret_key": STRONG_KEY, "guest_token_jwt_secret": STRONG_GUEST, **overrides}
    return load_settings(data_dir=tmp_path, **overrides)


def effective_connection(client: redis.Redis) -> dict[str, Any]:
    """Where a Redis client would connect, defaults applied (building a connection opens nothing)."""
    pool = client.connection_pool
    connection = pool.connection_class(**pool.connection_kwargs)
    return {key: getattr(connection, key) for key in ("host", "port", "db", "username", "password")}


# --- defaults ----------------------------------------------------------------------------------


def test_defaults_use_sqlite_under_data_dir(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path))
    uri = config["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///")
    db_path = Path(uri.removeprefix("sqlite:///"))
    assert db_path.is_absolute()
    assert db_path == (tmp_path / "superset.db").resolve()


@pytest.mark.parametrize("key", ["CACHE_CONFIG", "DATA_CACHE_CONFIG"])
def test_defaults_cache_in_process(tmp_path: Path, key: str) -> None:
    cache = build_superset_config(settings(tmp_path))[key]
    assert cache["CACHE_TYPE"] == "SimpleCache"
    assert cache["CACHE_DEFAULT_TIMEOUT"] > 0
    assert "CACHE_REDIS_URL" not in cache


@pytest.mark.parametrize("key", ["FILTER_STATE_CACHE_CONFIG", "EXPLORE_FORM_DATA_CACHE_CONFIG"])
def test_defaults_keep_user_state_in_the_metastore(tmp_path: Path, key: str) -> None:
    """An in-process cache would lose filters when the next request hits another worker."""
    cache = build_superset_config(settings(tmp_path))[key]
    assert cache["CACHE_TYPE"] == "SupersetMetastoreCache"
    assert cache["REFRESH_TIMEOUT_ON_RETRIEVAL"] is True
    assert isinstance(cache["CODEC"], JsonKeyValueCodec)
    assert cache["CACHE_DEFAULT_TIMEOUT"] > 0


def test_defaults_have_no_async_machinery(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path))
    assert config["RESULTS_BACKEND"] is None
    assert config["CELERY_CONFIG"] is None
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"


# --- Redis ---------------------------------------------------------------------------------------


def test_redis_backs_every_cache_with_distinct_prefixes(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path, redis_url=REDIS_URL))
    caches = [config[key] for key in CACHE_KEYS]
    assert {c["CACHE_TYPE"] for c in caches} == {"RedisCache"}
    assert {c["CACHE_REDIS_URL"] for c in caches} == {REDIS_URL}
    prefixes = [c["CACHE_KEY_PREFIX"] for c in caches] + [config["RESULTS_BACKEND"].key_prefix]
    assert len(set(prefixes)) == len(prefixes)
    assert all(p for p in prefixes)
    assert "CODEC" not in config["FILTER_STATE_CACHE_CONFIG"]
    assert config["FILTER_STATE_CACHE_CONFIG"]["REFRESH_TIMEOUT_ON_RETRIEVAL"] is True
    assert config["EXPLORE_FORM_DATA_CACHE_CONFIG"]["REFRESH_TIMEOUT_ON_RETRIEVAL"] is True


@pytest.mark.parametrize(
    ("url", "host", "port", "db", "password"),
    [
        ("redis://cache.internal:6380/2", "cache.internal", 6380, 2, None),
        ("redis://10.0.0.7", "10.0.0.7", 6379, 0, None),
        ("redis://localhost:6379/0", "localhost", 6379, 0, None),
        ("redis://:hunter2@r.example:7000/15", "r.example", 7000, 15, "hunter2"),
    ],
)
def test_results_backend_points_at_the_redis_url(
    tmp_path: Path, url: str, host: str, port: int, db: int, password: str | None
) -> None:
    backend = build_superset_config(settings(tmp_path, redis_url=url))["RESULTS_BACKEND"]
    assert isinstance(backend, RedisCache)
    where = effective_connection(backend._write_client)
    assert (where["host"], where["port"], where["db"], where["password"]) == (host, port, db, password)


@pytest.mark.parametrize(
    "url",
    [
        "redis://cache.internal:6380/2",
        "redis://:hunter2@r.example:7000/15",
        "redis://:p%40ss%2Fw0rd@r.example:6379/1",  # percent-encoded password
        "redis://tenant-user:pw@r.example:6379/1",  # Redis 6 ACL user
        "rediss://r.example:6378/0",  # TLS (e.g. Memorystore in-transit encryption)
    ],
)
def test_results_backend_connects_like_the_other_redis_clients(tmp_path: Path, url: str) -> None:
    """Celery, Flask-Caching and the rate limiter read the URL with redis.from_url; SQL Lab must agree."""
    backend = build_superset_config(settings(tmp_path, redis_url=url))["RESULTS_BACKEND"]
    expected = redis.Redis.from_url(url)
    assert effective_connection(backend._write_client) == effective_connection(expected)
    assert backend._write_client.connection_pool.connection_class is expected.connection_pool.connection_class


def test_redis_runs_celery_and_the_rate_limiter(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path, redis_url=REDIS_URL))
    celery = config["CELERY_CONFIG"]
    assert celery is not None
    assert celery.broker_url == REDIS_URL
    assert celery.result_backend == REDIS_URL
    assert "superset.sql_lab" in celery.imports
    assert config["RATELIMIT_STORAGE_URI"] == REDIS_URL


# --- metadata DB -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://superset:p%40ss@db.internal:5432/superset",
        "postgresql://u@/superset?host=/cloudsql/proj:region:inst",
        "sqlite:////srv/other/metadata.db",
    ],
)
def test_metadata_db_url_is_used_verbatim(tmp_path: Path, url: str) -> None:
    config = build_superset_config(settings(tmp_path, metadata_db_url=url))
    assert config["SQLALCHEMY_DATABASE_URI"] == url
    assert config["SQLALCHEMY_EXAMPLES_URI"] != url


@pytest.mark.parametrize("metadata_db_url", [None, "postgresql://superset@db/superset"])
def test_examples_never_point_at_the_metadata_db(tmp_path: Path, metadata_db_url: str | None) -> None:
    config = build_superset_config(settings(tmp_path, metadata_db_url=metadata_db_url))
    examples = config["SQLALCHEMY_EXAMPLES_URI"]
    assert examples != config["SQLALCHEMY_DATABASE_URI"]
    assert "superset.db" not in examples
    assert str(tmp_path) not in examples


@pytest.mark.parametrize(
    ("url", "jit_off"),
    [
        ("postgresql+psycopg2://superset:p%40ss@db.internal:5432/superset", True),
        ("postgresql://u@/superset?host=/cloudsql/proj:region:inst", True),
        ("postgres://u@db/superset", True),
        ("sqlite:////srv/other/metadata.db", False),
        (None, False),  # the default: SQLite under the data dir
    ],
)
def test_postgres_metadata_sessions_run_without_jit(tmp_path: Path, url: str | None, jit_off: bool) -> None:
    options = build_superset_config(settings(tmp_path, metadata_db_url=url))["SQLALCHEMY_ENGINE_OPTIONS"]
    if jit_off:
        assert options == {"connect_args": {"options": "-c jit=off"}}
    else:
        assert options == {}  # SQLite's driver would refuse an `options` connect argument


# --- hardening -----------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "stg", "prod"])
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("TALISMAN_ENABLED", True),
        ("PREVENT_UNSAFE_DB_CONNECTIONS", True),
        ("ENABLE_PROXY_FIX", True),
        ("AUTH_USER_REGISTRATION", False),
        ("RATELIMIT_ENABLED", True),
        ("AUTH_RATE_LIMITED", True),
        ("SHOW_STACKTRACE", False),
        ("DEBUG", False),
        ("SESSION_COOKIE_HTTPONLY", True),
        ("HTML_SANITIZATION", True),
        ("ALLOW_ADHOC_SUBQUERY", False),
    ],
)
def test_hardening_keys(tmp_path: Path, env: str, key: str, expected: bool) -> None:
    assert build_superset_config(settings(tmp_path, env=env))[key] is expected


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("DASHBOARD_RBAC", False),
        ("EMBEDDED_SUPERSET", False),
        ("ENABLE_TEMPLATE_PROCESSING", False),
        ("RLS_IN_SQLLAB", True),
    ],
)
def test_feature_flags(tmp_path: Path, flag: str, expected: bool) -> None:
    assert build_superset_config(settings(tmp_path))["FEATURE_FLAGS"][flag] is expected


def test_feature_flags_are_a_fresh_dict_per_build(tmp_path: Path) -> None:
    first = build_superset_config(settings(tmp_path))["FEATURE_FLAGS"]
    first["DASHBOARD_RBAC"] = True
    assert build_superset_config(settings(tmp_path))["FEATURE_FLAGS"]["DASHBOARD_RBAC"] is False


@pytest.mark.parametrize(("env", "secure"), [("dev", False), ("stg", True), ("prod", True)])
def test_session_cookie_is_secure_outside_dev(tmp_path: Path, env: str, secure: bool) -> None:
    config = build_superset_config(settings(tmp_path, env=env))
    assert config["SESSION_COOKIE_SECURE"] is secure
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("talisman", "TALISMAN_ENABLED"),
        ("proxy_fix", "ENABLE_PROXY_FIX"),
        ("rate_limits", "RATELIMIT_ENABLED"),
    ],
)
def test_switches_follow_settings(tmp_path: Path, setting: str, key: str) -> None:
    assert build_superset_config(settings(tmp_path, **{setting: False}))[key] is False


def test_supertenant_hooks_are_installed(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path))
    assert config["FLASK_APP_MUTATOR"] is init_app
    manager = config["CUSTOM_SECURITY_MANAGER"]
    assert isinstance(manager, type)
    assert issubclass(manager, SupersetSecurityManager)
    assert manager is not SupersetSecurityManager


def test_languages_offer_japanese_and_english(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path))
    assert {"ja", "en"} <= set(config["LANGUAGES"])
    assert config["BABEL_DEFAULT_LOCALE"] in config["LANGUAGES"]


def test_dev_secrets_come_through(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path))
    assert config["SECRET_KEY"] == DEV_SECRET_KEY
    assert config["GUEST_TOKEN_JWT_SECRET"] == DEV_GUEST_TOKEN_SECRET


@pytest.mark.parametrize("env", ["stg", "prod"])
def test_real_secrets_come_through(tmp_path: Path, env: str) -> None:
    config = build_superset_config(settings(tmp_path, env=env))
    assert config["SECRET_KEY"] == STRONG_KEY
    assert config["GUEST_TOKEN_JWT_SECRET"] == STRONG_GUEST


def test_app_name_and_log_level_come_through(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path, app_name="Acme BI", log_level="WARNING"))
    assert (config["APP_NAME"], config["LOG_LEVEL"]) == ("Acme BI", "WARNING")


def test_every_key_is_uppercase(tmp_path: Path) -> None:
    assert all(key.isupper() for key in build_superset_config(settings(tmp_path)))


def test_without_argument_the_process_settings_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPERTENANT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SUPERTENANT_APP_NAME", "From Env")
    config = build_superset_config()
    assert config["APP_NAME"] == "From Env"
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{(tmp_path / 'superset.db').resolve()}"


# --- superset_config.py ----------------------------------------------------------------------------


@pytest.mark.parametrize("redis_url", [None, REDIS_URL])
def test_config_file_exposes_the_same_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str | None
) -> None:
    """What Superset imports as ``superset_config`` equals ``build_superset_config`` on the env."""
    env = {
        "SUPERTENANT_ENV": "prod",
        "SUPERTENANT_DATA_DIR": str(tmp_path),
        "SUPERTENANT_SECRET_KEY": STRONG_KEY,
        "SUPERTENANT_GUEST_TOKEN_JWT_SECRET": STRONG_GUEST,
        "SUPERTENANT_APP_NAME": "Config File Test",
    }
    if redis_url:
        env["SUPERTENANT_REDIS_URL"] = redis_url
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    namespace = runpy.run_path(str(CONFIG_FILE))
    exposed = {key: value for key, value in namespace.items() if key.isupper()}
    expected = build_superset_config(load_settings())

    assert set(exposed) == set(expected)
    comparable = {
        k
        for k, v in expected.items()
        if k not in ("RESULTS_BACKEND", "CELERY_CONFIG") and "CODEC" not in str(v)
    }
    assert {k: exposed[k] for k in comparable} == {k: expected[k] for k in comparable}
    assert exposed["SECRET_KEY"] == STRONG_KEY
    assert exposed["APP_NAME"] == "Config File Test"
    assert exposed["SESSION_COOKIE_SECURE"] is True
    assert exposed["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{(tmp_path / 'superset.db').resolve()}"
    assert exposed["RATELIMIT_STORAGE_URI"] == (redis_url or "memory://")
    assert (exposed["RESULTS_BACKEND"] is None) is (redis_url is None)
    assert (exposed["CELERY_CONFIG"] is None) is (redis_url is None)


def test_csp_drops_superset_telemetry_and_allows_configured_logo_origins(tmp_path: Path) -> None:
    config = build_superset_config(settings(tmp_path, csp_img_origins=["https://cdn.acme.example"]))
    images = config["TALISMAN_CONFIG"]["content_security_policy"]["img-src"]
    assert not [src for src in images if "scarf" in src]
    assert "https://cdn.acme.example" in images
    assert "'self'" in images
