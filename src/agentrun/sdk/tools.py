"""In-process tools, as the Claude Agent SDK defines them: ``@tool`` turns an async function
into an :class:`SdkMcpTool`; :func:`create_sdk_mcp_server` puts tools on an ``mcp`` low-level
``Server`` and returns the ``{"type": "sdk", "name", "instance"}`` configuration that
``mcp_servers`` / ``RunOptions.mcp_config`` take.

The session serves that server over the ``mcp`` SDK's in-memory transport, in its own process:
its tools are ``mcp__<server>__<tool>`` like any MCP server's, asked for by the permission gate
like them, and their results converted the same way. The handlers run as the Python program
that defined them (not in the jail): they are the program's own code.

Importing this module imports neither ``mcp`` nor ``anthropic``: building a server does.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypedDict, TypeVar

if TYPE_CHECKING:
    from mcp.types import CallToolResult

T = TypeVar("T")

Handler = Callable[[Any], Awaitable[dict[str, Any]]]


@dataclass
class SdkMcpTool(Generic[T]):
    """One in-process tool: what the model is told, and the function that answers."""

    name: str
    description: str
    input_schema: type[T] | dict[str, Any]
    handler: Callable[[T], Awaitable[dict[str, Any]]]
    annotations: Any = None
    """``mcp.types.ToolAnnotations`` (or the same as a dict): hints such as ``readOnlyHint``."""


class McpSdkServerConfig(TypedDict):
    """An in-process server, for ``mcp_servers={"name": config}``."""

    type: Literal["sdk"]
    name: str
    instance: Any
    """The ``mcp.server.Server`` serving the tools."""


def tool(
    name: str,
    description: str,
    input_schema: type | dict[str, Any],
    annotations: Any = None,
) -> Callable[[Handler], SdkMcpTool[Any]]:
    """Decorate ``async def f(args) -> {"content": [...], "is_error"?: bool}`` as a tool.

    ``input_schema``: a dict of parameter name -> Python type (every one required), a
    TypedDict, or a JSON Schema dict. The input is validated against it before ``f`` runs;
    invalid input and an exception raised by ``f`` come back to the model as error results.
    ``f`` runs on the loop that serves every MCP server of the session: it must not block it
    (``await asyncio.to_thread(...)`` for blocking work). A plain ``def`` is accepted too and
    runs in a worker thread.
    """

    def decorator(handler: Handler) -> SdkMcpTool[Any]:
        return SdkMcpTool(name, description, input_schema, handler, annotations)

    return decorator


def create_sdk_mcp_server(
    name: str, version: str = "1.0.0", tools: list[SdkMcpTool[Any]] | None = None
) -> McpSdkServerConfig:
    """An in-process MCP server offering ``tools``; its configuration for ``mcp_servers``."""
    import mcp.types as mt
    from mcp.server import Server

    from agentrun.sdk._tools_schema import input_schema

    by_name = {t.name: t for t in tools or []}
    schemas = {t.name: input_schema(t.input_schema) for t in by_name.values()}
    listed = [
        mt.Tool.model_validate(
            {
                "name": t.name,
                "description": t.description,
                "inputSchema": schemas[t.name],
                "annotations": _annotations(t.annotations),
            }
        )
        for t in by_name.values()
    ]

    async def on_list_tools(ctx: Any, params: Any) -> mt.ListToolsResult:
        return mt.ListToolsResult(tools=listed)

    async def on_call_tool(ctx: Any, params: Any) -> mt.CallToolResult:
        found = by_name.get(params.name)
        if found is None:
            return _error(f"Tool '{params.name}' not found")
        return await call_tool(found, schemas[found.name], dict(params.arguments or {}))

    server: Server[Any] = Server(
        name, version=version, on_list_tools=on_list_tools, on_call_tool=on_call_tool
    )
    return {"type": "sdk", "name": name, "instance": server}


async def call_tool(
    found: SdkMcpTool[Any], schema: dict[str, Any], arguments: dict[str, Any]
) -> CallToolResult:
    """Validate, run the handler, and shape its answer; every failure is an error result."""
    problem = _invalid(schema, arguments)
    if problem:
        return _error(problem)
    try:
        if inspect.iscoroutinefunction(found.handler):
            answer: Any = await found.handler(arguments)
        else:
            # A plain function would hold up the loop every MCP server of the session shares:
            # it runs in a worker thread, abandoned (not waited for) when its call times out.
            import anyio.to_thread

            answer = await anyio.to_thread.run_sync(
                found.handler, arguments, abandon_on_cancel=True
            )
            if inspect.isawaitable(answer):
                answer = await answer
    except (Exception, SystemExit, KeyboardInterrupt) as e:
        # SystemExit would otherwise stop the loop every MCP server of the session runs on.
        detail = str(e) or type(e).__name__
        return _error(f"Tool '{found.name}' raised {type(e).__name__}: {detail}")
    if not isinstance(answer, dict):
        got = type(answer).__name__
        return _error(f"Tool '{found.name}' returned {got}, not a dict with 'content'")
    from agentrun.sdk._tools_content import result_from

    return result_from(answer)


def _invalid(schema: dict[str, Any], arguments: dict[str, Any]) -> str:
    """Why ``arguments`` do not fit ``schema`` (naming the field), or ``""``."""
    import jsonschema

    try:
        validator = jsonschema.validators.validator_for(schema)(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    except jsonschema.exceptions.SchemaError as e:
        return f"Input validation error: the tool's input schema is invalid: {e.message}"
    if error is None:
        return ""
    where = "/".join(str(p) for p in error.absolute_path)
    field = f" (field '{where}')" if where else ""
    return f"Input validation error{field}: {error.message}"


def _annotations(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    return dump(by_alias=True, exclude_none=True) if dump is not None else value


def _error(text: str) -> CallToolResult:
    import mcp.types as mt

    return mt.CallToolResult(content=[mt.TextContent(type="text", text=text)], is_error=True)
