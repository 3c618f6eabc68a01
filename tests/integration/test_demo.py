"""`make demo`'s engine, run as users run it: SQLite + in-process cache, two tenants, Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from .conftest import free_port

pytestmark = pytest.mark.integration

SUPERTENANT = str(Path(sys.executable).parent / "supertenant")


def start_demo(root: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [SUPERTENANT, "demo", "run", "--dir", str(root), "--port", str(port)], stdout=out, stderr=out
        )


def wait_for_credentials(
    process: subprocess.Popen[bytes], path: Path, log: Path, timeout: float = 420
) -> dict:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            pytest.fail(f"demo exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if path.exists() and path.read_text().strip():
            return json.loads(path.read_text())
        time.sleep(1)
    pytest.fail(f"no credentials after {timeout}s:\n{log.read_text()[-3000:]}")


def ui_login(url: str, username: str, password: str) -> str:
    with httpx.Client(base_url=url) as browser:
        page = browser.get("/login/")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        browser.post(
            "/login/", data={"csrf_token": token.group(1), "username": username, "password": password}
        )
        return str(browser.get("/api/v1/me/").json()["result"]["username"])


def api_login(url: str, username: str, password: str) -> int:
    response = httpx.post(
        f"{url}/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
    )
    return response.status_code


def stop_with_ctrl_c(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)


def test_demo_serves_every_login_and_reuses_its_state(tmp_path: Path) -> None:
    root, port = tmp_path / "demo", free_port()
    log = tmp_path / "demo.log"
    process = start_demo(root, port, log)
    try:
        creds = wait_for_credentials(process, root / "credentials.json", log)
        url = creds["superset_url"]
        assert url == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{url}/login/").status_code == 200
        logins = [creds["platform_admin"]] + [
            creds["tenants"][slug][role]
            for slug in creds["tenants"]
            for role in ("admin", "editor", "viewer")
        ]
        assert sorted(creds["tenants"]) == ["northwind-outdoor", "sakura-shoes"]
        for login in logins:
            assert api_login(url, login["username"], login["password"]) == 200
            assert ui_login(url, login["username"], login["password"]) == login["username"]
        assert api_login(url, logins[1]["username"], "not-the-password") == 401
    finally:
        stop_with_ctrl_c(process)
    assert process.returncode == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)

    # A second run reuses everything: same passwords, no initialisation, nothing to provision.
    (root / "credentials.json").unlink()
    second_log = tmp_path / "demo-again.log"
    process = start_demo(root, port, second_log)
    try:
        again = wait_for_credentials(process, root / "credentials.json", second_log)
    finally:
        stop_with_ctrl_c(process)
    assert again == creds
    output = second_log.read_text()
    assert "Initialising Superset" not in output
    assert output.count("no changes") == 2
