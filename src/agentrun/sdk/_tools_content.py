"""A tool handler's answer (``{"content": [...], "is_error"?: bool}``, the Claude Agent SDK's
shape) as the MCP ``CallToolResult`` its server sends back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.types import CallToolResult


def result_from(answer: dict[str, Any]) -> CallToolResult:
    import mcp.types as mt

    items = answer.get("content", [])
    if not isinstance(items, list):
        items = [items]
    is_error = bool(answer.get("is_error", answer.get("isError", False)))
    return mt.CallToolResult(content=[_one(item) for item in items], is_error=is_error)


def _one(item: Any) -> Any:
    """One content item: text and images pass; links and text resources become text; what the
    model could not be shown becomes a line saying so (never a silent gap)."""
    import mcp.types as mt

    def text(value: str) -> mt.TextContent:
        return mt.TextContent(type="text", text=value)

    if isinstance(item, str):
        return text(item)
    if not isinstance(item, dict):
        return text(f"[tool content of type {type(item).__name__} not shown]")
    kind = item.get("type")
    if kind == "text":
        return text(str(item.get("text", "")))
    if kind == "image":
        mime = item.get("mimeType", item.get("mime_type"))
        if isinstance(item.get("data"), str) and isinstance(mime, str):
            return mt.ImageContent(type="image", data=item["data"], mime_type=mime)
        return text("[image content without data and mimeType not shown]")
    if kind == "resource_link":
        parts = [str(item[k]) for k in ("name", "uri", "description") if item.get(k)]
        return text("\n".join(parts) or "Resource link")
    if kind == "resource":
        resource = item.get("resource") or {}
        if isinstance(resource, dict) and "text" in resource:
            return text(str(resource["text"]))
        return text("[binary resource not shown]")
    return text(f"[tool content of type {kind!r} not shown]")
