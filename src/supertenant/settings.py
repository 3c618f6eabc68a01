"""Settings: one pydantic-settings class per process, read from the environment.

Every variable has the ``SUPERTENANT_`` prefix. A secret may also come from a
file: ``SUPERTENANT_SECRET_KEY_FILE=/secrets/secret-key`` reads the file, which is
how Cloud Run mounts Secret Manager secrets as volumes. Outside ``dev`` a
missing, placeholder or short secret stops the process with a message that
names the setting and never shows the value.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from supertenant.errors import ConfigError

ENV_PREFIX = "SUPERTENANT_"
MIN_SECRET_LENGTH = 32

# Values that must never protect a real deployment; dev gets them so the demo starts with no setup.
DEV_SECRET_KEY = "dev-only-secret-key-change-me-before-any-real-use"  # noqa: S105
DEV_GUEST_TOKEN_SECRET = "dev-only-guest-token-secret-change-me-please"  # noqa: S105
KNOWN_PLACEHOLDERS = frozenset(
    {
        DEV_SECRET_KEY,
        DEV_GUEST_TOKEN_SECRET,
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",  # Superset's own default SECRET_KEY
        "test-guest-secret-change-me",  # Superset's own default GUEST_TOKEN_JWT_SECRET
        "changeme",
        "secret",
    }
)
SECRET_FIELDS = ("secret_key", "guest_token_jwt_secret")


class Environment(StrEnum):
    DEV = "dev"
    STG = "stg"
    PROD = "prod"


class FileSecretsSource(PydanticBaseSettingsSource):
    """Reads ``SUPERTENANT_<FIELD>_FILE`` for every secret field (Secret Manager volume mounts)."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name in (*SECRET_FIELDS, "admin_password", "metadata_db_url", "redis_url", "chat_llm_api_key"):
            env_name = f"{ENV_PREFIX}{name.upper()}_FILE"
            path = os.environ.get(env_name)
            if not path:
                continue
            try:
                values[name] = Path(path).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(f"{env_name}: cannot read secret file {path!r} ({exc.strerror})") from None
        return values


class Settings(BaseSettings):
    """Everything a supertenant process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False)

    env: Environment = Environment.DEV
    data_dir: Path = Field(default=Path("var"), description="Local state: SQLite metadata DB, DuckDB files")

    # Superset process
    metadata_db_url: str | None = Field(
        default=None, description="SQLAlchemy URL; SQLite under data_dir when unset"
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; in-process caches when unset"
    )
    secret_key: SecretStr | None = None
    guest_token_jwt_secret: SecretStr | None = None
    app_name: str = "supertenant"
    proxy_fix: bool = Field(
        default=True, description="Trust one X-Forwarded-* hop (Cloud Run's load balancer)"
    )
    rate_limits: bool = True
    talisman: bool = True
    csp_img_origins: list[str] = Field(
        default_factory=list,
        description="Extra https origins for the CSP img-src (where tenants' logo_url images live)",
    )
    log_level: str = "INFO"
    # Metering (docs/billing.md, docs/monitoring.md)
    usage_flush_seconds: float = Field(
        default=10.0, gt=0, description="How often each process moves its usage spool into the registry"
    )
    pricebook_path: Path | None = Field(
        default=None, description="Price book YAML; the packaged default when unset"
    )
    metrics_token: SecretStr | None = Field(
        default=None, description="Bearer token /metrics requires; loopback-only when unset"
    )
    bigquery_jobs_scopes: list[str] = Field(
        default_factory=list,
        description='JSON list of "project/region" whose INFORMATION_SCHEMA.JOBS the collector reads',
    )

    # CLI → Superset REST
    superset_url: str = "http://127.0.0.1:8088"
    admin_username: str = "admin"
    admin_password: SecretStr | None = None

    # Chat (issue #5): the FastAPI service and the page Superset serves (docs/chat.md)
    chat_service_url: str = Field(
        default="http://127.0.0.1:8089", description="Where Superset's chat page proxies its API calls"
    )
    chat_planner: str = Field(default="offline", pattern="^(offline|llm)$", description="offline or llm")
    chat_llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint (…/v1)")
    chat_llm_api_key: SecretStr | None = None
    chat_llm_model: str = "gpt-4o-mini"
    chat_llm_timeout: float = Field(default=10.0, gt=0, description="Seconds per LLM call, then offline")
    chat_vocabulary_ttl: float = Field(default=120.0, ge=0, description="Seconds datasets stay cached")
    chat_max_tenant_labels: int = Field(default=50, ge=1, description="Tenants with their own metrics label")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, FileSecretsSource(settings_cls))

    @model_validator(mode="after")
    def _dev_defaults_and_strong_secrets(self) -> Settings:
        if self.env is Environment.DEV:
            self.secret_key = self.secret_key or SecretStr(DEV_SECRET_KEY)
            self.guest_token_jwt_secret = self.guest_token_jwt_secret or SecretStr(DEV_GUEST_TOKEN_SECRET)
            return self
        problems = [p for name in SECRET_FIELDS if (p := weak_secret_problem(name, getattr(self, name)))]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def resolved_metadata_db_url(self) -> str:
        if self.metadata_db_url:
            return self.metadata_db_url
        return f"sqlite:///{(self.data_dir / 'superset.db').resolve()}"

    def require_secret(self, name: str) -> str:
        value = getattr(self, name)
        if value is None:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()} is not set")
        return str(value.get_secret_value())


def weak_secret_problem(name: str, value: SecretStr | None) -> str | None:
    """Why a secret is unfit for stg/prod, naming the setting but never the value."""
    env_name = f"{ENV_PREFIX}{name.upper()}"
    if value is None or not value.get_secret_value():
        return f"{env_name} is missing (or set {env_name}_FILE to a mounted secret file)"
    raw = value.get_secret_value()
    if raw in KNOWN_PLACEHOLDERS:
        return f"{env_name} is a known placeholder value; generate a random one"
    if len(raw) < MIN_SECRET_LENGTH:
        return f"{env_name} is too short ({len(raw)} characters; at least {MIN_SECRET_LENGTH} are required)"
    return None


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, turning validation errors into one ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        reasons = []
        for error in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(p) for p in error["loc"])
            msg = str(error["msg"]).removeprefix("Value error, ")
            reasons.append(f"{ENV_PREFIX}{where.upper()}: {msg}" if where else msg)
        raise ConfigError("invalid settings: " + "; ".join(reasons)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import time)."""
    return load_settings()
