"""An MCP server for your tests, in-process: the SDK's ``MCPServer`` (FastMCP) served over
streamable HTTP on 127.0.0.1, in a thread, for as long as the ``with`` block lasts.

    from mcp.server.mcpserver import MCPServer
    from agentrun.testing.mcp import serve_mcp

    server = MCPServer("notes")

    @server.tool()
    def add(a: int, b: int) -> int:
        return a + b

    with serve_mcp(server) as config:       # {"mcpServers": {"notes": {"type": "http", ...}}}
        result = agentrun.run("add", model=script, mcp_config=[config], ...)

Scripted models call its tools by their full name: ``mcp__notes__add``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def serve_mcp(server: Any, *, name: str | None = None) -> Iterator[dict[str, Any]]:
    """Serve ``server`` (an ``MCPServer``) on a free port; yields the ``--mcp-config``
    mapping naming it (``name``, default the server's own name)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    app = server.streamable_http_app()
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    runner = uvicorn.Server(config)
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not runner.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test MCP server did not start")
        time.sleep(0.01)
    server_name = name or str(getattr(server, "name", "test"))
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        yield {"mcpServers": {server_name: {"type": "http", "url": url}}}
    finally:
        runner.should_exit = True
        thread.join(timeout=10)
        sock.close()
