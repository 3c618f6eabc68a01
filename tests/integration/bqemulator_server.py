"""bqemulator (PyPI) in its own venv, behind a recording proxy that also plays Google's token endpoint.

Why each piece:

- Own venv (`.venv-bqemulator/` at the repo root, or ``$SUPERTENANT_BQEMULATOR_VENV``): bqemulator needs
  SQLAlchemy 2 and sqlglot 30, Superset 6.1 needs SQLAlchemy 1.4 and sqlglot 28. It is built on first use
  from PyPI and reused while its stamp matches `REQUIREMENTS`. DuckDB's spatial extension is installed
  from its PyPI wheel because bqemulator would otherwise download it at start (no network here).
- Proxy: the emulator does not echo job labels or ``maximumBytesBilled``, so every request is forwarded
  and the query requests are recorded (`QueryRecord`) for the tests to assert on. One answer is
  completed on the way back (see `_patched`).
- Token endpoint: service-account credentials sign a JWT and trade it at the key's ``token_uri``. The
  test keys point ``token_uri`` at ``/token`` here, which answers with a token naming the key's
  ``client_email``; the proxy turns that token back into bqemulator's ``x-bqemu-caller`` header. So a
  query sent with a tenant's key runs *as that tenant's service account*, and row access policies apply
  exactly as they would to that principal — without any test hook in production code.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = (
    "bqemulator==1.4.0",
    "numpy",  # an undeclared runtime dependency of bqemulator
    "duckdb==1.5.5",  # extensions are version-locked: keep equal to the extension wheels
    "duckdb-extensions==1.5.5",
    "duckdb-extension-spatial==1.5.5",
)
_STAMP = ".supertenant-requirements"
_TOKEN_PREFIX = "bqemu-test."
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "accept-encoding"}


class EmulatorUnavailable(Exception):
    """bqemulator could not be installed from PyPI (the one reason the tests may skip)."""


def venv_dir() -> Path:
    return Path(os.environ.get("SUPERTENANT_BQEMULATOR_VENV", REPO_ROOT / ".venv-bqemulator"))


def ensure_venv(log_path: Path) -> Path:
    """The emulator's venv, created and installed from PyPI unless an identical one is there.

    A lock file serialises test runs sharing the work tree, so none removes a venv another is using.
    """
    venv = venv_dir()
    lock_dir = venv.parent / ".venv-locks"  # a .venv-* directory: ignored by git like the venv
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _ensure_venv_locked(venv, log_path)


def _ensure_venv_locked(venv: Path, log_path: Path) -> Path:
    stamp = venv / _STAMP
    wanted = "\n".join(REQUIREMENTS)
    if stamp.is_file() and stamp.read_text() == wanted and (venv / "bin" / "bqemulator").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)  # half-built by an interrupted run, or outdated
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        created = subprocess.run([sys.executable, "-m", "venv", str(venv)], stdout=log, stderr=log)
        if created.returncode != 0:
            raise EmulatorUnavailable(f"cannot create a venv at {venv}; see {log_path}")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        pip.append("--no-compile")  # ~500 MB of wheels: byte-compile lazily, only what the emulator imports
        installed = subprocess.run([*pip, *REQUIREMENTS], stdout=log, stderr=log)
    if installed.returncode != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-8:])
        raise EmulatorUnavailable(f"pip could not install {' '.join(REQUIREMENTS)}:\n{tail}")
    stamp.write_text(wanted)
    return venv


def reserve_socket() -> socket.socket:
    """A listening socket on a free loopback port, held until the proxy takes it over (no race)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class QueryRecord:
    """One query job as the BigQuery client sent it (jobs.insert or jobs.query)."""

    caller: str | None
    query: str
    labels: dict[str, str]
    maximum_bytes_billed: int | None
    dry_run: bool


def query_record(path: str, body: Any, caller: str | None) -> QueryRecord | None:
    """The job settings in a request body, for both ways the client starts a query."""
    if not isinstance(body, dict):
        return None
    route = urllib.parse.urlsplit(path).path
    if route.endswith("/queries"):  # jobs.query: settings at the top level
        settings, query, labels = body, body.get("query"), body.get("labels")
        dry_run = body.get("dryRun")
    elif route.endswith("/jobs") and "query" in body.get("configuration", {}):  # jobs.insert
        configuration = body["configuration"]
        settings, labels = configuration["query"], configuration.get("labels")
        query, dry_run = settings.get("query"), configuration.get("dryRun")
    else:
        return None
    cap = settings.get("maximumBytesBilled")
    return QueryRecord(
        caller=caller,
        query=str(query),
        labels=dict(labels or {}),
        maximum_bytes_billed=int(cap) if cap is not None else None,
        dry_run=bool(dry_run),
    )


def _patched(method: str, path: str, status: int, body: bytes) -> bytes:
    """Fill what bqemulator 1.4.0 leaves out of an answer that the client library insists on.

    ``projects.list`` items lack ``numericId``; google-cloud-bigquery's ``Project.from_api_repr``
    needs it, and Superset lists projects (its catalogs) when a BigQuery database is created.
    """
    if method != "GET" or status != 200 or urllib.parse.urlsplit(path).path != "/bigquery/v2/projects":
        return body
    listing = json.loads(body)
    for number, project in enumerate(listing.get("projects", []), start=1):
        project.setdefault("numericId", str(number))
    return json.dumps(listing).encode()


def caller_of_token(authorization: str | None) -> str | None:
    """``Bearer bqemu-test.<b64 email>`` → ``serviceAccount:<email>``."""
    if not authorization or not authorization.startswith(f"Bearer {_TOKEN_PREFIX}"):
        return None
    encoded = authorization.removeprefix(f"Bearer {_TOKEN_PREFIX}")
    return "serviceAccount:" + base64.urlsafe_b64decode(encoded.encode()).decode()


def _token_for(form_body: bytes) -> dict[str, Any]:
    """The OAuth answer to a service account's JWT-bearer grant: a token that names the account."""
    assertion = urllib.parse.parse_qs(form_body.decode())["assertion"][0]
    payload = assertion.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    email = base64.urlsafe_b64encode(str(claims["iss"]).encode()).decode()
    return {"access_token": _TOKEN_PREFIX + email, "expires_in": 3600, "token_type": "Bearer"}


@dataclass
class Recorder:
    records: list[QueryRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, record: QueryRecord) -> None:
        with self.lock:
            self.records.append(record)

    def snapshot(self) -> list[QueryRecord]:
        with self.lock:
            return list(self.records)


def _handler(upstream_port: int, recorder: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the records, not an access log."""

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _forward(self) -> None:
            body = self._body()
            if self.command == "POST" and self.path.split("?")[0] == "/token":
                answer = json.dumps(_token_for(body)).encode()
                self._reply(200, [("Content-Type", "application/json")], answer)
                return
            headers = {
                k: v
                for k, v in self.headers.items()
                if k.lower() not in _HOP_BY_HOP | {"authorization", "x-bqemu-caller"}
            }
            caller = caller_of_token(self.headers.get("Authorization")) or self.headers.get("x-bqemu-caller")
            if caller:
                headers["x-bqemu-caller"] = caller
            if self.command == "POST" and body:
                with contextlib.suppress(ValueError):
                    record = query_record(self.path, json.loads(body), caller)
                    if record is not None:
                        recorder.add(record)
            connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
            try:
                connection.request(self.command, self.path, body=body or None, headers=headers)
                response = connection.getresponse()
                answer = _patched(self.command, self.path, response.status, response.read())
                self._reply(response.status, response.getheaders(), answer)
            finally:
                connection.close()

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

    return Handler


@dataclass
class Emulator:
    """A running emulator: ``endpoint`` is the proxy, which every client must use."""

    project: str
    endpoint: str
    recorder: Recorder
    log_path: Path

    def client(self, caller: str | None = None) -> Any:
        """An anonymous client (a platform admin), optionally acting as ``caller`` for row policies."""
        import requests
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import bigquery

        session = requests.Session()
        if caller:
            session.headers["x-bqemu-caller"] = caller
        return bigquery.Client(
            project=self.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
            _http=session,
        )


@contextlib.contextmanager
def running(venv: Path, proxy_socket: socket.socket, project: str, log_path: Path) -> Iterator[Emulator]:
    """Start bqemulator and the proxy on ``proxy_socket``; stop both afterwards."""
    bin_dir = venv / "bin"
    setup = "from duckdb_extensions import import_extension; import_extension('spatial')"
    subprocess.run([str(bin_dir / "python"), "-c", setup], check=True, capture_output=True)
    port = _free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    command = [
        str(bin_dir / "bqemulator"),
        "start",
        "--rest-host",
        "127.0.0.1",
        "--rest-port",
        str(port),
        "--grpc-port",
        "0",
        "--project",
        project,
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True)
    recorder = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(port, recorder), bind_and_activate=False)
    server.socket.close()
    server.socket = proxy_socket
    server.server_address = proxy_socket.getsockname()
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="bqemulator-proxy", daemon=True)
    thread.start()
    try:
        _wait_ready(port, process, log_path)
        host, proxy_port = proxy_socket.getsockname()
        yield Emulator(project, f"http://{host}:{proxy_port}", recorder, log_path)
    finally:
        server.shutdown()
        server.server_close()
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        log.close()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60) -> None:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"bqemulator exited with {process.returncode}; see {log_path}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/bigquery/v2/projects")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.25)
    raise RuntimeError(f"bqemulator did not answer within {timeout:.0f}s; see {log_path}")


def service_account_key(email: str, project: str, token_uri: str, private_key_pem: str) -> dict[str, str]:
    """A service-account key file's content, as Google issues it, for a made-up account."""
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": base64.b16encode(email.encode()).decode().lower()[:40],
        "private_key": private_key_pem,
        "client_email": email,
        "client_id": "1" * 21,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }


def private_key_pem() -> str:
    """A fresh RSA key in PKCS#8 PEM, as in a real key file (only the token endpoint here reads it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
