"""The guard that keeps tests off the real Anthropic API unless they opt in.

While a test runs, the pytest plugin points ``ANTHROPIC_BASE_URL`` at a :class:`RefusingServer`
on 127.0.0.1, which answers every request with HTTP 403 and :data:`BLOCKED_MESSAGE`, and sets
:data:`ENV_VAR` to ``"0"``. It works with no help from the code under test: the Anthropic SDK
(ours and the user's own) and any ``agentrun`` subprocess read that variable. A 403 is not
retried by the SDK, so a stray real request fails at once, with a message that says why. The
server counts what it refused, and the plugin fails the test that made such a request even if
the code under test swallowed the error (a run that ended in ``error_during_execution``, a
``try``/``except``): the test must not pass while its agent never reached a model.

The environment is only half of it: a test may unset ``ANTHROPIC_BASE_URL`` or pass a
``base_url`` in code. So the plugin also turns the guard on in this process (:func:`guarding`),
and agentrun's Anthropic adapter refuses, whatever the environment says, a client that would
reach anything but 127.0.0.1; each such refusal is counted (:func:`blocked_count`) and fails
the test like one the server refused.
Opting in: ``@pytest.mark.agentrun_live`` on a test, or ``pytest --agentrun-live``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The process-wide state lives with the adapter that checks it; these names stay importable here.
from agentrun.models.requestguard import (
    BLOCKED_MESSAGE,
    ENV_VAR,
    blocked_count,
    guarding,
    note_blocked,
    real_requests_allowed,
)

__all__ = [
    "BLOCKED_MESSAGE",
    "ENV_VAR",
    "UNREACHABLE_URL",
    "RefusingServer",
    "blocked_count",
    "guarding",
    "note_blocked",
    "real_requests_allowed",
]

# Where requests go when no local port can be opened (e.g. inside a jail with no loopback):
# port 9 (discard) on 127.0.0.1 refuses the connection, which fails just as surely.
UNREACHABLE_URL = "http://127.0.0.1:9"


class _CountingServer(ThreadingHTTPServer):
    refused = 0
    lock = threading.Lock()


class _Refuse(BaseHTTPRequestHandler):
    server: _CountingServer

    def _refuse(self) -> None:
        with self.server.lock:  # counted before the answer: the caller sees both at once
            self.server.refused += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = json.dumps(
            {"type": "error", "error": {"type": "permission_error", "message": BLOCKED_MESSAGE}}
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _refuse  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the refusal reaches the caller as an API error."""


class RefusingServer:
    """An HTTP server on 127.0.0.1 that refuses every request with 403 (see module docstring).

    ``url`` is its address, or :data:`UNREACHABLE_URL` when no port could be opened.
    """

    def __init__(self) -> None:
        self._server: _CountingServer | None = None
        self.url = UNREACHABLE_URL

    @property
    def refused(self) -> int:
        """How many requests it has refused so far."""
        return self._server.refused if self._server is not None else 0

    def start(self) -> RefusingServer:
        try:
            server = _CountingServer(("127.0.0.1", 0), _Refuse)
        except OSError:
            return self
        server.daemon_threads = True
        server.lock = threading.Lock()
        thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="agentrun-guard", daemon=True
        )
        thread.start()
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
