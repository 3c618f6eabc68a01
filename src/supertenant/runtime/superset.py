"""Run Superset's own commands and its web server with supertenant's configuration loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from supertenant.errors import ConfigError, TemporaryError
from supertenant.registry import migrate

SUPERSET_CONFIG = Path(__file__).resolve().parent.parent / "superset_ext" / "superset_config.py"
BIN_DIR = Path(sys.executable).parent


def superset_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment for a Superset process: ours, plus the one-line config entry."""
    env = dict(os.environ)
    env.update(overrides)
    env["SUPERSET_CONFIG_PATH"] = str(SUPERSET_CONFIG)
    env["FLASK_APP"] = "superset.app:create_app()"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_superset(args: list[str], env: Mapping[str, str], log_path: Path) -> None:
    """Run ``superset <args>``, appending its output to ``log_path``; fail with the log's tail."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        log.write(f"\n$ superset {' '.join(args)}\n".encode())
        log.flush()
        result = subprocess.run([str(BIN_DIR / "superset"), *args], env=dict(env), stdout=log, stderr=log)
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace").splitlines()[-15:]
        raise ConfigError(
            f"`superset {args[0]}` failed (exit {result.returncode}); see {log_path}:\n" + "\n".join(tail)
        )


@dataclass(frozen=True)
class Admin:
    username: str
    password: str
    email: str = "platform-admin@supertenant.invalid"


def initialise(env: Mapping[str, str], metadata_db_url: str, admin: Admin, log_path: Path) -> None:
    """db upgrade → registry migrations → init → platform admin; every step is idempotent."""
    run_superset(["db", "upgrade"], env, log_path)
    migrate.upgrade(metadata_db_url)
    run_superset(["init"], env, log_path)
    run_superset(
        [
            "fab",
            "create-admin",
            "--username",
            admin.username,
            "--firstname",
            "Platform",
            "--lastname",
            "Admin",
            "--email",
            admin.email,
            "--password",
            admin.password,
        ],
        env,
        log_path,
    )


def start_web(
    env: Mapping[str, str], host: str, port: int, log_path: Path, workers: int = 2
) -> subprocess.Popen[bytes]:
    """Start gunicorn serving Superset; the caller owns the process."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    command = [
        str(BIN_DIR / "gunicorn"),
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "120",
        "--limit-request-line",
        "0",
        "--limit-request-field_size",
        "0",
        "superset.app:create_app()",
    ]
    return subprocess.Popen(command, env=dict(env), stdout=log, stderr=log, start_new_session=True)


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 180
) -> float:
    """Poll ``/health`` until it answers OK; returns the seconds waited."""
    return poll_health("Superset", f"{base_url}/health", process, timeout, interval=0.5)


def poll_health(
    what: str, url: str, process: subprocess.Popen[bytes] | None, timeout: float, interval: float
) -> float:
    """Poll a health URL until it answers 200; fails early if the process died. Seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            raise ConfigError(f"{what} exited with code {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return time.monotonic() - started
        except httpx.TransportError:
            pass
        time.sleep(interval)
    raise TemporaryError(f"{what} at {url} did not become healthy within {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Stop gunicorn and its workers (it runs in its own session)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
