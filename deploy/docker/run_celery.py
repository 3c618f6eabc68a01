"""Run a Celery worker or beat under Cloud Run, which wants an HTTP port answered.

Starts ``celery --app=superset.tasks.celery_app:app <args>`` as a child, answers ``GET /`` on
$PORT with 200 while the child lives (503 once it has exited), forwards SIGTERM so Celery shuts
down warm, and exits with the child's exit code.
"""

from __future__ import annotations

import http.server
import os
import signal
import subprocess
import sys
import threading

CELERY_APP = "superset.tasks.celery_app:app"


def main(argv: list[str]) -> int:
    child = subprocess.Popen(["celery", f"--app={CELERY_APP}", *argv])

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            alive = child.poll() is None
            self.send_response(200 if alive else 503)
            self.end_headers()
            self.wfile.write(b"ok\n" if alive else b"celery exited\n")

        def log_message(self, *_args: object) -> None:  # health checks are not worth a log line
            return

    server = http.server.ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("PORT", "8088"))), Health)  # noqa: S104
    threading.Thread(target=server.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGTERM))
    code = child.wait()
    server.shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
