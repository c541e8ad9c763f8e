"""The MCP client of one session: every server's connection, on one asyncio loop in a thread of
its own (the agent loop is synchronous; the ``mcp`` SDK is async).

Servers start concurrently; :meth:`McpClient.start` waits for all of them, at most
``MCP_TIMEOUT`` ms (default 30,000) each, and a server that fails or is too slow is reported
``failed`` while the rest go on. A call waits ``MCP_TOOL_TIMEOUT`` ms at most (default: a day,
as Claude Code's "no limit" in practice), stops early when the user interrupts, and never
raises: failures come back as :class:`McpCallError` worded for the model. :meth:`McpClient.close`
stops every server (stdio: stdin closed, then SIGTERM, then SIGKILL to the process group).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from agentrun.mcp.reaper import CLIENT, MARKER, client_id, owner_token, sweep

if TYPE_CHECKING:
    import socket
    from collections.abc import AsyncIterator

    from mcp import Client

    from agentrun.mcp.config import ServerConfig

T = TypeVar("T")

DEFAULT_START_TIMEOUT_MS = 30_000
DEFAULT_TOOL_TIMEOUT_MS = 86_400_000

JailSpawn = Callable[["ServerConfig", dict[str, str]], "tuple[socket.socket, Any]"]
"""Starts a ``"sandbox": true`` server in the session jail: its stdio socket and its process."""


def _ms(name: str, default: int) -> float:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default / 1000
    return max(value, 1) / 1000


class McpCallError(Exception):
    """A call that did not produce a result (timeout, dead server, protocol error)."""


@dataclass
class Server:
    """One server's state in this session."""

    config: ServerConfig
    status: str = "pending"
    """``pending``, ``connected`` or ``failed`` (Claude Code's values)."""
    error: str = ""
    tools: list[Any] = field(default_factory=list)
    """The server's ``mcp_types.Tool`` values."""
    resources: bool = False
    """Whether it offers resources (ListMcpResourcesTool / ReadMcpResourceTool)."""
    client: Client | None = None
    stop: asyncio.Event | None = None
    task: asyncio.Task[None] | None = None
    errlog: Any = None

    @property
    def name(self) -> str:
        return self.config.name

    def stderr_tail(self) -> str:
        if self.errlog is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.errlog.seek(0)
            lines = self.errlog.read().decode(errors="replace").strip().splitlines()
            return "\n".join(lines[-5:])
        return ""


class McpClient:
    """Every MCP server of one session."""

    def __init__(self, configs: list[ServerConfig], *, jail_spawn: JailSpawn | None = None):
        self.servers = {c.name: Server(c) for c in configs}
        self.start_timeout = _ms("MCP_TIMEOUT", DEFAULT_START_TIMEOUT_MS)
        self.tool_timeout = _ms("MCP_TOOL_TIMEOUT", DEFAULT_TOOL_TIMEOUT_MS)
        self._jail_spawn = jail_spawn
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="mcp", daemon=True)
        self._thread.start()
        self._closed = False
        self._id = client_id()

    def _run_loop(self) -> None:
        # An in-process (sdk) server's code that raises SystemExit in a task gets out of
        # run_forever (asyncio lets it through): the loop goes on, or every server's calls
        # would hang until their timeout.
        while True:
            try:
                self._loop.run_forever()
                return
            except (SystemExit, KeyboardInterrupt):
                continue

    # -- running on the loop --------------------------------------------------------------------
    def _submit(self, coro: Coroutine[Any, Any, T]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def start(self, cancel: threading.Event | None = None) -> list[Server]:
        """Start every server at once; wait until each is connected or failed (or, once
        ``cancel`` is set, no longer: those still starting are ``failed``)."""
        token = owner_token()
        # Strays of a killed runtime go first (in the loop's thread pool, while servers start).
        threading.Thread(target=sweep, name="mcp-sweep", daemon=True).start()
        future = self._submit(self._start_all(token))
        if cancel is None:
            future.result()
        while cancel is not None and not cancel.is_set():
            with contextlib.suppress(TimeoutError):
                future.result(timeout=0.1)
                break
        for server in self.servers.values():
            if server.status == "pending":  # interrupted: close() stops what did start
                server.status, server.error = "failed", "interrupted while starting"
        return list(self.servers.values())

    async def _start_all(self, token: str) -> None:
        starts = []
        for server in self.servers.values():
            if server.config.problem:
                server.status, server.error = "failed", server.config.problem
                continue
            ready = asyncio.get_running_loop().create_future()
            server.stop = asyncio.Event()
            server.task = asyncio.create_task(self._serve(server, token, ready))
            starts.append(self._await_ready(server, ready))
        await asyncio.gather(*starts)

    async def _await_ready(self, server: Server, ready: asyncio.Future[None]) -> None:
        assert server.task is not None
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.start_timeout)
        except TimeoutError:
            server.task.cancel()
            server.status = "failed"
            server.error = f"did not start within {self.start_timeout:g} s (MCP_TIMEOUT)"
        except Exception as e:
            server.status = "failed"
            server.error = _describe(e)
            tail = server.stderr_tail()
            if tail:
                server.error += f"; its stderr ends: {tail}"

    async def _serve(self, server: Server, token: str, ready: asyncio.Future[None]) -> None:
        from mcp import Client

        try:
            async with AsyncExitStack() as stack:
                transport = await self._transport(server, token, stack)
                client = await stack.enter_async_context(
                    Client(transport, mode="legacy", cache=None)
                )
                listed = await client.list_tools()
                server.tools = list(listed.tools)
                caps = client.server_capabilities
                server.resources = caps.resources is not None
                server.client = client
                server.status = "connected"
                ready.set_result(None)
                assert server.stop is not None
                await server.stop.wait()
        except BaseException as e:
            if not ready.done():
                ready.set_exception(e if isinstance(e, Exception) else McpCallError("cancelled"))
            elif server.status == "connected" and not self._closed:
                server.status, server.error = "failed", f"disconnected: {_describe(e)}"
            # An in-process server's SystemExit ends that server only (re-raised, it would be a
            # task exception nobody retrieves, logged with a traceback whenever it is collected).
            if not isinstance(e, Exception) and not _exits_only(e):
                raise
        finally:
            server.client = None

    async def _transport(self, server: Server, token: str, stack: AsyncExitStack) -> Any:
        c = server.config
        if c.kind == "sdk":
            # The Client serves an in-process Server over the SDK's in-memory streams, on this
            # loop: its handlers run in this thread, under the same call timeout.
            return c.instance
        if c.kind == "http":
            from mcp.client.streamable_http import streamable_http_client
            from mcp.shared._httpx_utils import create_mcp_http_client

            http = await stack.enter_async_context(create_mcp_http_client(headers=dict(c.headers)))
            return streamable_http_client(c.url, http_client=http)
        if c.kind == "sse":
            from mcp.client.sse import sse_client

            return sse_client(c.url, headers=dict(c.headers))
        from mcp.client.stdio import StdioServerParameters, get_default_environment, stdio_client

        env = {**get_default_environment(), **c.env, MARKER: token, CLIENT: self._id}
        if c.sandbox:
            if self._jail_spawn is None:  # never unconfined instead
                raise McpCallError("it asks for the sandbox, which only a session starts")
            sock, process = await asyncio.to_thread(self._jail_spawn, c, env)
            stack.callback(process.kill)
            return _socket_transport(sock)
        server.errlog = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115
        params = StdioServerParameters(command=c.command, args=list(c.args), env=env, cwd=c.cwd)
        return stdio_client(params, errlog=server.errlog)

    # -- calls ----------------------------------------------------------------------------------
    def call_tool(
        self, server: str, tool: str, arguments: dict[str, Any], cancel: threading.Event
    ) -> Any:
        """The server's ``CallToolResult``; :class:`McpCallError` when there is none."""

        async def go(client: Client) -> Any:
            return await client.call_tool(tool, arguments)

        return self._call(server, go, cancel, what=f"tool {tool!r}")

    def list_resources(self, server: str, cancel: threading.Event) -> list[Any]:
        async def go(client: Client) -> Any:
            return (await client.list_resources()).resources

        result: list[Any] = self._call(server, go, cancel, what="resources/list")
        return result

    def read_resource(self, server: str, uri: str, cancel: threading.Event) -> list[Any]:
        async def go(client: Client) -> Any:
            return (await client.read_resource(uri)).contents

        result: list[Any] = self._call(server, go, cancel, what="resources/read")
        return result

    def _call(
        self,
        name: str,
        go: Callable[[Client], Coroutine[Any, Any, T]],
        cancel: threading.Event,
        *,
        what: str,
    ) -> T:
        server = self.servers.get(name)
        if server is None or server.client is None:
            why = f": {server.error}" if server is not None and server.error else ""
            raise McpCallError(f"MCP server {name!r} is not connected{why}")
        client = server.client
        future = self._submit(go(client))
        deadline = time.monotonic() + self.tool_timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise McpCallError(
                        f"MCP server {name!r} did not answer {what} within "
                        f"{self.tool_timeout:g} s (MCP_TOOL_TIMEOUT)"
                    )
                if cancel.is_set():
                    raise McpCallError("Interrupted by the user.")
                with contextlib.suppress(TimeoutError):
                    result: T = future.result(timeout=min(left, 0.05))
                    return result
        except McpCallError:
            future.cancel()
            raise
        except BaseException as e:
            future.cancel()
            if not isinstance(e, Exception):
                raise
            if "Connection closed" in str(e) and server.status == "connected":
                # The process (or the HTTP session) is gone: later calls say so at once.
                server.status, server.error = "failed", "disconnected: the server went away"
                server.client = None
            if server.status != "connected":
                raise McpCallError(f"MCP server {name!r} {server.error}") from e
            raise McpCallError(f"MCP server {name!r} failed on {what}: {_describe(e)}") from e

    # -- the end --------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop every server (and its children); idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._submit(self._stop_all()).result(timeout=15)
        sweep(mine=self._id)  # what this client's servers started and left behind
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()

    async def _stop_all(self) -> None:
        tasks = []
        for server in self.servers.values():
            if server.stop is not None:
                server.stop.set()
            if server.task is not None:
                tasks.append(server.task)
        if tasks:
            await asyncio.wait(tasks, timeout=12)


def _exits_only(e: BaseException) -> bool:
    if isinstance(e, BaseExceptionGroup):
        return e.split((SystemExit, KeyboardInterrupt))[1] is None
    return isinstance(e, SystemExit | KeyboardInterrupt)


def _describe(e: BaseException) -> str:
    """An exception as one line; an exception group by its first leaf."""
    while isinstance(e, BaseExceptionGroup) and e.exceptions:
        e = e.exceptions[0]
    text = str(e).strip()
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


@asynccontextmanager
async def _socket_transport(sock: socket.socket) -> AsyncIterator[Any]:
    """The stdio transport over a socket (a jailed server's stdin and stdout)."""
    import anyio
    import mcp_types as types
    from anyio.abc import SocketStream
    from mcp.shared.message import SessionMessage

    stream = await SocketStream.from_socket(sock)
    read_writer, read_stream = anyio.create_memory_object_stream[Any](0)
    write_stream, write_reader = anyio.create_memory_object_stream[Any](0)

    async def reader() -> None:
        buffer = b""
        async with read_writer:
            with contextlib.suppress(anyio.EndOfStream, anyio.ClosedResourceError, OSError):
                while True:
                    buffer += await stream.receive()
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        if not line.strip():
                            continue
                        try:
                            message: Any = SessionMessage(
                                types.jsonrpc_message_adapter.validate_json(line, by_name=False)
                            )
                        except Exception as e:
                            message = e
                        await read_writer.send(message)

    async def writer() -> None:
        async with write_reader:
            async for message in write_reader:
                data = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await stream.send(data.encode() + b"\n")

    async with anyio.create_task_group() as tg:
        tg.start_soon(reader)
        tg.start_soon(writer)
        try:
            yield read_stream, write_stream
        finally:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
            tg.cancel_scope.cancel()
