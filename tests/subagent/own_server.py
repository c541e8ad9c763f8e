"""A stdio MCP server for the subagent tests (``python own_server.py [PIDFILE]``): on start it
adds its pid to PIDFILE; its tools say its pid (``pid``) or sleep (``hang``)."""

from __future__ import annotations

import os
import sys
import time

from mcp.server.mcpserver import MCPServer

server = MCPServer("own")


@server.tool()
def pid() -> str:
    """This server's process id."""
    return str(os.getpid())


@server.tool()
def hang(seconds: float) -> str:
    """Sleeps."""
    time.sleep(seconds)
    return "woke"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with open(sys.argv[1], "a") as out:
            out.write(f"{os.getpid()}\n")
    server.run()
