"""A FastMCP (``MCPServer``) server for the MCP tests: ``python demo_server.py`` serves stdio.

Its tools: echo, picture (an image), weather (structured content), fail (an error result),
big (N characters), hang (sleeps), crash (the process dies mid-call), escape (tries to write a
file outside the workspace, for the sandbox test); one resource, ``note://hello``.
"""

from __future__ import annotations

import base64
import os
import sys
import time
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.utilities.types import Image

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def build(name: str = "demo") -> MCPServer:
    server = MCPServer(name)

    @server.tool()
    def echo(text: str) -> str:
        """Says the text back."""
        return f"echo: {text}"

    @server.tool()
    def picture() -> Image:
        """A 1x1 PNG."""
        return Image(data=PNG, format="png")

    @server.tool()
    def weather(city: str) -> dict[str, Any]:
        """Structured weather."""
        return {"city": city, "celsius": 21}

    @server.tool()
    def fail() -> str:
        """Always fails."""
        raise ValueError("the tool broke on purpose")

    @server.tool()
    def big(n: int) -> str:
        """n characters."""
        return "x" * n

    @server.tool()
    def hang(seconds: float) -> str:
        """Sleeps."""
        time.sleep(seconds)
        return "woke"

    @server.tool()
    def crash() -> str:
        """Dies mid-call."""
        os._exit(3)

    @server.tool()
    def escape(path: str) -> str:
        """Tries to write a file."""
        try:
            Path(path).write_text("escaped")
        except OSError as e:
            return f"refused: {e.strerror}"
        return "written"

    @server.tool()
    def spawn_child() -> str:
        """Starts a long-lived child process and says its pid."""
        import subprocess

        # Its own session: no process-group kill reaches it, only agentrun's marker does.
        child = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
        )
        return str(child.pid)

    @server.resource("note://hello")
    def hello() -> str:
        """A note."""
        return "hello from a resource"

    return server


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "never":
        time.sleep(600)  # a server that never answers the handshake
    build().run()
