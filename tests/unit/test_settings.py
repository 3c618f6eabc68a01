"""Settings: dev defaults, strong secrets outside dev, secrets from mounted files."""

from __future__ import annotations

from pathlib import Path

import pytest

from supertenant.errors import ConfigError
from supertenant.settings import DEV_SECRET_KEY, Environment, load_settings

STRONG = "k" * 20 + "Q7x!" * 5  # 40 characters, not a placeholder


pytestmark = pytest.mark.usefixtures("clean_supertenant_env")


def test_dev_starts_with_no_configuration() -> None:
    settings = load_settings()
    assert settings.env is Environment.DEV
    assert settings.require_secret("secret_key") == DEV_SECRET_KEY
    assert settings.resolved_metadata_db_url.startswith("sqlite:///")
    assert settings.redis_url is None


@pytest.mark.parametrize("env", ["stg", "prod"])
def test_missing_secret_outside_dev_names_the_setting(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("SUPERTENANT_ENV", env)
    monkeypatch.setenv("SUPERTENANT_GUEST_TOKEN_JWT_SECRET", STRONG)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "SUPERTENANT_SECRET_KEY is missing" in str(error.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short-but-secret", "SUPERTENANT_GUEST_TOKEN_JWT_SECRET is too short (16 characters"),
        ("test-guest-secret-change-me", "SUPERTENANT_GUEST_TOKEN_JWT_SECRET is a known placeholder"),
        (DEV_SECRET_KEY, "SUPERTENANT_GUEST_TOKEN_JWT_SECRET is a known placeholder"),
    ],
)
def test_weak_secret_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("SUPERTENANT_ENV", "prod")
    monkeypatch.setenv("SUPERTENANT_SECRET_KEY", STRONG)
    monkeypatch.setenv("SUPERTENANT_GUEST_TOKEN_JWT_SECRET", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert expected in str(error.value)
    assert value not in str(error.value)


def test_both_weak_secrets_are_reported_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPERTENANT_ENV", "stg")
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "SUPERTENANT_SECRET_KEY" in str(error.value)
    assert "SUPERTENANT_GUEST_TOKEN_JWT_SECRET" in str(error.value)


def test_secrets_come_from_mounted_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key_file, guest_file = tmp_path / "secret-key", tmp_path / "guest"
    key_file.write_text(STRONG + "\n")
    guest_file.write_text(STRONG[::-1])
    monkeypatch.setenv("SUPERTENANT_ENV", "prod")
    monkeypatch.setenv("SUPERTENANT_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv("SUPERTENANT_GUEST_TOKEN_JWT_SECRET_FILE", str(guest_file))
    settings = load_settings()
    assert settings.require_secret("secret_key") == STRONG
    assert settings.require_secret("guest_token_jwt_secret") == STRONG[::-1]
    assert STRONG not in repr(settings)


def test_unreadable_secret_file_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUPERTENANT_SECRET_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="SUPERTENANT_SECRET_KEY_FILE: cannot read secret file"):
        load_settings()


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPERTENANT_ENV", "production")
    with pytest.raises(ConfigError, match="SUPERTENANT_ENV"):
        load_settings()
