"""The web tools' test site (a real HTTP server on 127.0.0.1) and a tool context around a gate."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agentrun.permissions import Gate
from agentrun.tools.base import ToolContext
from agentrun.tools.records import ReadRecords
from agentrun.tools.web.cache import PAGES

PAGE = b"""<!doctype html><html><head><title>Widgets</title><script>var secret = 1;</script>
<style>p { color: red }</style></head><body><h1>Widget catalogue</h1>
<p>The <b>blue</b> widget costs 42 euros. See <a href="/prices">the price list</a>.</p>
<ul><li>blue</li><li>green</li></ul></body></html>"""
BIG = 50 * 1024 * 1024
HUGE_HTML = (
    b"<html><body>" + b"<div><p>Some <b>text</b> and <a href='/x'>a link</a></p></div>\n" * 80_000
)
CHUNK = b"x" * 65536


class Site:
    """What the server was asked and how many body bytes it managed to send."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.sent = 0
        self.done = threading.Event()
        self.closing = threading.Event()
        self.port = 0
        self.pages: dict[str, tuple[str, bytes]] = {}
        """Extra routes a test serves: path as sent -> (Content-Type, body)."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            site.hits[self.path] += 1
            route = self.path.split("?")[0]
            if route in site.pages:
                self._reply(200, *site.pages[route])
            elif route == "/page":
                self._reply(200, "text/html; charset=utf-8", PAGE)
            elif route == "/text":
                self._reply(200, "text/plain", b"plain words here")
            elif route == "/image":
                self._reply(200, "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
            elif route == "/missing":
                self._reply(404, "text/html", b"<p>no</p>")
            elif route == "/away":
                self._redirect("http://elsewhere.example/landing")
            elif route == "/alias":  # the same server under another name
                self._redirect(f"http://localhost:{site.port}/page")
            elif route == "/hop":
                self._redirect("/page")
            elif route == "/loop":
                self._redirect("/loop")
            elif route == "/big":
                self._big()
            elif route == "/hugehtml":
                self._reply(200, "text/html", HUGE_HTML)
            elif route == "/drip":
                self._drip()
            elif route == "/stall":
                site.closing.wait(30)
            else:
                self._reply(404, "text/plain", b"unknown")

        def _reply(self, status: int, kind: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _drip(self) -> None:
            # One byte of a header line at a time: every read gets something well within its
            # timeout, and the headers never end.
            try:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not site.closing.wait(0.05):
                    self.wfile.write(b"x")
                    self.wfile.flush()
            except OSError:
                pass

        def _big(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            try:
                while site.sent < BIG:
                    self.wfile.write(CHUNK)
                    site.sent += len(CHUNK)
            except OSError:
                pass  # the client stopped reading and closed: what the test wants
            finally:
                site.done.set()

    return Handler


def web_context(
    tmp_path: Path,
    model: Any,
    *,
    allowed: tuple[str, ...] = (),
    mode: str = "default",
) -> tuple[ToolContext, Gate]:
    """A tool context whose host check is a real gate's with ``allowed`` rules."""
    gate = Gate.load(mode, allowed=allowed, cwd=tmp_path, home=tmp_path)
    ctx = ToolContext(
        reads=ReadRecords(),
        open_workspace=lambda: pytest.fail("the web tools never open the workspace"),
        strict=True,
        model=model,
        names_host=gate.names_host,
        search_domains=gate.web_search_domains(),
    )
    return ctx, gate


@contextlib.contextmanager
def serve() -> Iterator[Site]:
    """The test site, serving until the block ends."""
    state = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    PAGES.clear()
    try:
        yield state
    finally:
        state.closing.set()
        server.shutdown()
        server.server_close()
        PAGES.clear()
