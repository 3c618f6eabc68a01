"""Start and stop the chat service (uvicorn serving `supertenant.chat.service.app:create_app`)."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

from supertenant.runtime.superset import BIN_DIR, poll_health
from supertenant.runtime.superset import stop as stop_process

APP = "supertenant.chat.service.app:create_app"


def port_or_free(host: str, preferred: int) -> int:
    """`preferred` when nothing listens there, else any free port (the demo's chat must not clash)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, preferred))
        except OSError:
            sock.bind((host, 0))
        return int(sock.getsockname()[1])


def chat_env(base: Mapping[str, str], superset_url: str) -> dict[str, str]:
    """The service's environment: the same settings as Superset's, plus where Superset is."""
    env = dict(base)
    env["SUPERTENANT_SUPERSET_URL"] = superset_url
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def start(env: Mapping[str, str], host: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """Start the service in its own session (so `stop` ends it and nothing else); the caller owns it."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    command = [
        str(BIN_DIR / "uvicorn"),
        "--factory",
        APP,
        "--host",
        host,
        "--port",
        str(port),
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
    ]
    return subprocess.Popen(command, env=dict(env), stdout=log, stderr=log, start_new_session=True)


def wait_until_healthy(
    base_url: str, process: subprocess.Popen[bytes] | None = None, timeout: float = 60
) -> float:
    """Poll `/healthz` until it answers; returns the seconds waited."""
    return poll_health("the chat service", f"{base_url}/healthz", process, timeout, interval=0.25)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    stop_process(process, timeout)
