"""MCP benchmarks: time to the first model request with 3 stdio servers configured against none,
and the per-call overhead of an MCP tool through agentrun against calling the same server with
the ``mcp`` SDK directly, in the same run."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import Outcome, Pair, Side

ECHO_SERVER = '''
from mcp.server.mcpserver import MCPServer
server = MCPServer("bench")

@server.tool()
def echo(text: str) -> str:
    """Says the text back."""
    return text

server.run()
'''


def _time_server() -> list[str]:
    found = shutil.which("mcp-server-time", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "mcp_server_time"]


def first_request(*, quick: bool, rounds: int) -> Outcome:
    """From ``agentrun.run`` called to the model's first request: 3 stdio servers
    (``mcp-server-time``, from the registry) against none."""
    from agentrun.core.types import ModelRequest
    from agentrun.models.function import FunctionModel
    from agentrun.runner.api import run

    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-mcp-"))
    (ws / "plain.md").write_text("---\nname: plain\ndescription: d\n---\nHelp.\n")
    os.environ["AGENTRUN_HOME"] = str(ws / ".home")
    command = _time_server()
    servers = {f"time{i}": {"command": command[0], "args": command[1:]} for i in range(3)}

    def timer(mcp: list[Any]) -> Any:
        def go() -> float:
            seen: list[float] = []

            def fn(request: ModelRequest) -> dict[str, Any]:
                seen.append(time.perf_counter())
                return {"text": "done"}

            start = time.perf_counter()
            run("hi", agent=str(ws / "plain.md"), cwd=ws, model=FunctionModel(fn), mcp_config=mcp)
            return seen[0] - start

        return go

    pair = Pair(
        "mcp: first model request, 3 stdio servers vs none",
        "3 x mcp-server-time",
        timer([{"mcpServers": servers}]),
        "no MCP",
        timer([]),
        max_ratio=1.5,
        warmup=1,
        teardown=[lambda: shutil.rmtree(ws, ignore_errors=True)],
    )
    outcome = pair.run(min(rounds, 3) if quick else rounds)
    note = (
        "dominated by the servers' own start (each a Python process importing the mcp SDK); "
        "the SDK alone starts and lists 3 in about the same time"
    )
    return dataclasses.replace(outcome, note=note)


def call_overhead(*, quick: bool, rounds: int) -> Outcome:
    """20 calls of one echo tool: through agentrun's tool runner (validation, the client's
    thread) against the SDK's ``Client`` on its own event loop, each on its own server process
    of the same script."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    from agentrun.core.types import ToolCall
    from agentrun.mcp.client import McpClient
    from agentrun.mcp.config import parse_server
    from agentrun.mcp.tools import session_tools
    from agentrun.tools.base import ToolContext
    from agentrun.tools.records import ReadRecords
    from agentrun.tools.registry import ToolRunner

    tmp = Path(tempfile.mkdtemp(prefix="agentrun-bench-mcpcall-"))
    script = tmp / "echo_server.py"
    script.write_text(ECHO_SERVER)
    raw: dict[str, Any] = {"command": sys.executable, "args": [str(script)]}
    client = McpClient([parse_server("bench", raw, source="bench", origin="bench")])
    client.start()
    tool = next(t for t in session_tools(client)[0] if t.name == "mcp__bench__echo")
    ctx = ToolContext(reads=ReadRecords(), open_workspace=lambda: None)  # type: ignore[arg-type,return-value]
    runner = ToolRunner([tool], ctx)
    calls = [ToolCall(f"t{i}", tool.name, {"text": "hello"}) for i in range(20)]

    def ours() -> None:
        for result in runner.run_calls(calls):
            assert result.text() == "hello", result

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    held: list[Any] = []
    ready = threading.Event()
    stop: list[asyncio.Event] = []

    async def hold() -> None:
        # A client is entered and left in one task (anyio's rule), like agentrun's own.
        stop.append(asyncio.Event())
        params = StdioServerParameters(command=sys.executable, args=[str(script)])
        async with Client(params, mode="legacy", cache=None) as c:
            held.append(c)
            ready.set()
            await stop[0].wait()

    holding = asyncio.run_coroutine_threadsafe(hold(), loop)
    ready.wait(60)
    direct = held[0]

    async def twenty() -> None:
        for _ in range(20):
            await direct.call_tool("echo", {"text": "hello"})

    def base() -> None:
        # The same hop from a synchronous caller that agentrun makes, minus agentrun.
        asyncio.run_coroutine_threadsafe(twenty(), loop).result()

    def close() -> None:
        loop.call_soon_threadsafe(stop[0].set)
        holding.result(30)
        loop.call_soon_threadsafe(loop.stop)
        client.close()
        shutil.rmtree(tmp, ignore_errors=True)

    from harness import timed

    pair = Pair(
        "mcp: 20 tool calls, agentrun vs the mcp SDK",
        "agentrun mcp__bench__echo",
        timed(ours),
        "mcp.Client.call_tool",
        timed(base),
        max_ratio=1.2,
        teardown=[close],
    )
    return pair.run(rounds)


def first_request_p(*, quick: bool, rounds: int) -> Outcome:
    """What a user waits for: ``agentrun -p`` as a process, the official SDK on the request
    path (a fake Messages API), from start to its first request, 3 stdio servers vs none.
    The in-process row above leaves the SDK's import out of the baseline; here the servers'
    start overlaps it."""
    import json
    import statistics

    from batchkit import agentrun_bin
    from peer_pairs import _first_request, _peer_env, _peer_workspace

    from agentrun.testing.fake_server import FakeAnthropicServer

    command = _time_server()
    servers = {f"time{i}": {"command": command[0], "args": command[1:]} for i in range(3)}
    config = json.dumps({"mcpServers": servers})
    root, ws = _peer_workspace()
    reply = {"content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn"}
    times: dict[bool, list[float]] = {True: [], False: []}
    try:
        with FakeAnthropicServer(validate=False) as server:
            env = _peer_env(root / "home", server.url)
            for _ in range(max(3, min(rounds, 5))):
                for with_mcp in (True, False):
                    server.add(reply)
                    extra = ["--mcp-config", config] if with_mcp else []
                    argv = [agentrun_bin(), "-p", "hi", "--output-format", "json", *extra]
                    times[with_mcp].append(_first_request(argv, ws, env, server))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ours, base = (statistics.median(times[k]) * 1000 for k in (True, False))
    return Outcome(
        "mcp: agentrun -p to its first request (SDK on the path), 3 stdio servers vs none",
        Side("3 x mcp-server-time", ours, min(times[True]) * 1000, max(times[True]) * 1000),
        Side("no MCP", base, min(times[False]) * 1000, max(times[False]) * 1000),
        "<= 1.5x",
        ours / base <= 1.5,
        ours / base,
        rounds=len(times[True]),
    )


PAIRS = [
    ("mcp-first-request", first_request),
    ("mcp-p-first-request", first_request_p),
    ("mcp-call", call_overhead),
]
