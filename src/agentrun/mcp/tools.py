"""MCP servers' tools as agentrun tools: ``mcp__<server>__<tool>`` with the server's description
and input schema, results as content blocks (text, images, structured content, ``isError``), cut
past ``MAX_MCP_OUTPUT_TOKENS`` (default 25,000; about 4 characters a token). Plus
``ListMcpResourcesTool`` and ``ReadMcpResourceTool`` when a server offers resources.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any, ClassVar

from agentrun.core.types import JSON, ToolResult

if TYPE_CHECKING:
    from agentrun.mcp.client import McpClient
    from agentrun.tools.base import ToolContext

DEFAULT_MAX_OUTPUT_TOKENS = 25_000
CHARS_PER_TOKEN = 4
_API_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
LIST_RESOURCES = "ListMcpResourcesTool"
READ_RESOURCE = "ReadMcpResourceTool"


def tool_name(server: str, tool: str) -> str:
    """Claude Code's name for a server's tool (characters the API refuses become ``_``)."""
    return (
        "mcp__"
        + re.sub(r"[^A-Za-z0-9_-]", "_", server)
        + "__"
        + re.sub(r"[^A-Za-z0-9_-]", "_", tool)
    )


def repair_schema(schema: Any) -> tuple[JSON | None, str]:
    """An input schema the Messages API accepts (an object schema), or None and why not."""
    if not isinstance(schema, dict):
        return None, "its input schema is not a JSON object"
    try:
        json.dumps(schema)
    except (TypeError, ValueError):
        return None, "its input schema is not JSON"
    kind = schema.get("type")
    if kind is None:
        return {**schema, "type": "object"}, ""
    if kind != "object":
        return None, f"its input schema has type {kind!r}, not object"
    if "properties" in schema and not isinstance(schema["properties"], dict):
        return None, "its input schema's properties are not an object"
    return schema, ""


def max_output_chars() -> int:
    try:
        tokens = int(os.environ.get("MAX_MCP_OUTPUT_TOKENS", ""))
    except ValueError:
        tokens = DEFAULT_MAX_OUTPUT_TOKENS
    return max(tokens, 1) * CHARS_PER_TOKEN


def convert_result(result: Any, *, spill_over: int | None = None) -> ToolResult:
    """A ``CallToolResult`` as the model's tool result. Past ``spill_over`` characters (the
    session's spill threshold) it stays whole: the tool runner saves it to a file."""
    blocks = content_blocks(getattr(result, "content", []) or [])
    structured = getattr(result, "structured_content", None)
    if structured is not None and not any(b["type"] == "text" for b in blocks):
        blocks.append({"type": "text", "text": json.dumps(structured, ensure_ascii=False)})
    return ToolResult(cap(blocks, spill_over), is_error=bool(getattr(result, "is_error", False)))


def content_blocks(items: list[Any]) -> list[JSON]:
    blocks: list[JSON] = []
    for item in items:
        kind = getattr(item, "type", "")
        if kind == "text":
            blocks.append({"type": "text", "text": item.text})
        elif kind == "image":
            blocks.append(image_block(item.data, item.mime_type))
        elif kind == "resource":
            blocks.extend(resource_blocks([item.resource]))
        elif kind == "resource_link":
            blocks.append({"type": "text", "text": f"[resource link: {item.name} {item.uri}]"})
        else:
            mime = getattr(item, "mime_type", "")
            blocks.append({"type": "text", "text": f"[{kind} content ({mime}) not shown]"})
    return blocks


def image_block(data: object, media: object) -> JSON:
    """A server's image as an image block, or a text note saying why it is not shown. Only
    base64 of a PNG, JPEG, GIF or WebP (told by its bytes) up to Read's size limit passes:
    anything else would make the API refuse the next request, or fill the context."""
    import base64
    import binascii

    from agentrun.tools.textfile import MAX_IMAGE_BYTES, sniff_image

    said = repr(media)[:60]
    limit = f"{MAX_IMAGE_BYTES // 1048576} MB"
    if not isinstance(media, str) or not media.startswith("image/"):
        return _note(f"[image ({said}) not shown: that is not an image type]")
    if not isinstance(data, str):
        return _note(f"[image ({said}) not shown: its data is not base64 text]")
    if len(data) > (MAX_IMAGE_BYTES + 2) // 3 * 4:  # before decoding: the size is known
        return _note(f"[image ({said}) not shown: it is over the {limit} limit for images]")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return _note(f"[image ({said}) not shown: its data is not valid base64]")
    sniffed = sniff_image(raw[:16])
    if sniffed is None:
        return _note(f"[image ({said}) not shown: its data is not a PNG, JPEG, GIF or WebP]")
    # the type the bytes have (the API refuses an image whose declared type is another)
    return {"type": "image", "source": {"type": "base64", "media_type": sniffed, "data": data}}


def _note(text: str) -> JSON:
    return {"type": "text", "text": text}


def resource_blocks(contents: list[Any]) -> list[JSON]:
    blocks: list[JSON] = []
    for c in contents:
        text = getattr(c, "text", None)
        if text is not None:
            blocks.append({"type": "text", "text": text})
        elif str(getattr(c, "mime_type", "") or "").startswith("image/"):
            blocks.append(image_block(c.blob, c.mime_type))
        else:
            blocks.append({"type": "text", "text": f"[binary resource {c.uri} not shown]"})
    return blocks


def cap(blocks: list[JSON], spill_over: int | None = None) -> list[JSON]:
    """The blocks, their text cut past the output limit, with a note saying so (whole when
    past ``spill_over``: such a result is saved to a file, not put in the context)."""
    limit = max_output_chars()
    total = sum(len(b.get("text", "")) for b in blocks)
    spilled = spill_over is not None and total > spill_over
    if total <= limit or (spilled and all(b["type"] == "text" for b in blocks)):
        return blocks or [{"type": "text", "text": "(no content)"}]
    kept: list[JSON] = []
    room = limit
    for block in blocks:
        if block["type"] != "text":
            kept.append(block)
            continue
        if room <= 0:
            continue
        kept.append({"type": "text", "text": block["text"][:room]})
        room -= len(block["text"])
    tokens = limit // CHARS_PER_TOKEN
    kept.append(
        {
            "type": "text",
            "text": f"\n[MCP output cut: it was about {total // CHARS_PER_TOKEN:,} tokens, over "
            f"the limit of {tokens:,} (MAX_MCP_OUTPUT_TOKENS). Ask the tool for less, e.g. "
            "with a narrower query or pagination.]",
        }
    )
    return kept


class McpTool:
    """One tool of one server."""

    read_only = False

    def __init__(self, client: McpClient, server: str, tool: Any, schema: JSON) -> None:
        self.name = tool_name(server, tool.name)
        self.description = (tool.description or "").strip() or f"{tool.name} (MCP server {server})"
        self.input_schema = schema
        self.server = server
        self.tool = tool.name
        self._client = client

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.mcp.client import McpCallError

        try:
            result = self._client.call_tool(self.server, self.tool, input, ctx.cancel)
        except McpCallError as e:
            return ToolResult(str(e), is_error=True)
        spill = ctx.spill
        return convert_result(result, spill_over=spill.threshold if spill is not None else None)


class _ResourceTool:
    """What both resource tools hold: the session's client and the servers they may reach."""

    read_only = True

    def __init__(self, client: McpClient, servers: list[str]) -> None:
        self._client = client
        self._servers = servers


class ListResourcesTool(_ResourceTool):
    name = LIST_RESOURCES
    description = (
        "Lists the resources MCP servers offer (uri, name, description, mimeType). "
        "Give `server` to list one server's only."
    )
    input_schema: ClassVar[JSON] = {
        "type": "object",
        "properties": {"server": {"type": "string", "description": "Only this server"}},
        "additionalProperties": False,
    }

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.mcp.client import McpCallError

        wanted = input.get("server")
        if wanted is not None and wanted not in self._servers:
            return ToolResult(_no_server(wanted, self._servers), is_error=True)
        found: list[JSON] = []
        for server in [wanted] if wanted else self._servers:
            try:
                listed = self._client.list_resources(server, ctx.cancel)
            except McpCallError as e:
                return ToolResult(str(e), is_error=True)
            for r in listed:
                found.append(
                    {
                        "uri": r.uri,
                        "name": r.name,
                        "mimeType": r.mime_type,
                        "description": r.description,
                        "server": server,
                    }
                )
        if not found:
            return ToolResult("No resources found.")
        return ToolResult(json.dumps(found, ensure_ascii=False, indent=2))


class ReadResourceTool(_ResourceTool):
    name = READ_RESOURCE
    description = "Reads one resource of an MCP server, by server name and resource URI."
    input_schema: ClassVar[JSON] = {
        "type": "object",
        "properties": {
            "server": {"type": "string", "description": "The MCP server name"},
            "uri": {"type": "string", "description": "The resource URI to read"},
        },
        "required": ["server", "uri"],
        "additionalProperties": False,
    }

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        from agentrun.mcp.client import McpCallError

        server = str(input["server"])
        if server not in self._servers:
            return ToolResult(_no_server(server, self._servers), is_error=True)
        try:
            contents = self._client.read_resource(server, str(input["uri"]), ctx.cancel)
        except McpCallError as e:
            return ToolResult(str(e), is_error=True)
        spill = ctx.spill
        return ToolResult(cap(resource_blocks(contents), spill.threshold if spill else None))


def _no_server(name: str, servers: list[str]) -> str:
    listed = ", ".join(servers) or "none"
    return f"No MCP server named {name!r} offers resources. Servers with resources: {listed}."


def session_tools(client: McpClient) -> tuple[list[Any], list[str]]:
    """Every connected server's tools (and the resource tools when any offers resources),
    and a warning for each tool left out."""
    tools: list[Any] = []
    warnings: list[str] = []
    with_resources: list[str] = []
    for server in client.servers.values():
        if server.status != "connected":
            continue
        if server.resources:
            with_resources.append(server.name)
        for tool in server.tools:
            name = tool_name(server.name, tool.name)
            schema, why = repair_schema(tool.input_schema)
            if schema is None:
                warnings.append(f"MCP tool {name} skipped: {why}")
            elif not _API_NAME.fullmatch(name):
                warnings.append(f"MCP tool {name} skipped: its name is over 64 characters")
            else:
                tools.append(McpTool(client, server.name, tool, schema))
    if with_resources:
        tools += [
            ListResourcesTool(client, with_resources),
            ReadResourceTool(client, with_resources),
        ]
    return tools, warnings
