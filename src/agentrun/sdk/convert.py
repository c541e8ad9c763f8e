"""agentrun's loop events -> the SDK's messages, in the order the SDK documents:
``SystemMessage`` init first, an ``AssistantMessage`` per model turn, a ``UserMessage`` with
each turn's tool results, ``ResultMessage`` last. With ``include_partial_messages`` each piece
of streamed text is also a ``StreamEvent`` (a ``content_block_delta`` of the Messages API
stream); with ``include_hook_events`` each hook that ran is a ``SystemMessage``
(``hook_response``). A subagent's tool calls and results come as messages whose
``parent_tool_use_id`` is its Task call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentrun.core.events import (
    AssistantEvent,
    CompactEvent,
    HookEvent,
    InitEvent,
    ResultEvent,
    SubagentEvent,
    TextDelta,
    ToolResultsEvent,
)
from agentrun.sdk.types import (
    AssistantMessage,
    ContentBlock,
    Message,
    ResultMessage,
    ServerToolResultBlock,
    ServerToolUseBlock,
    StreamEvent,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    UserMessage,
)

if TYPE_CHECKING:
    from agentrun.core.events import Event

__all__ = ["Converter", "blocks"]


def blocks(content: Any) -> list[ContentBlock]:
    """Messages API content blocks as the SDK's dataclasses (unknown kinds are left out)."""
    if isinstance(content, str):
        return [TextBlock(content)]
    out: list[ContentBlock] = []
    for b in content or []:
        kind = b.get("type")
        if kind == "text":
            out.append(TextBlock(b.get("text", "")))
        elif kind == "thinking":
            out.append(ThinkingBlock(b.get("thinking", ""), b.get("signature", "")))
        elif kind == "tool_use":
            out.append(ToolUseBlock(b.get("id", ""), b.get("name", ""), dict(b.get("input", {}))))
        elif kind == "server_tool_use":
            out.append(
                ServerToolUseBlock(b.get("id", ""), b.get("name", ""), dict(b.get("input", {})))
            )
        elif isinstance(kind, str) and kind.endswith("_tool_result") and "tool_use_id" in b:
            # A server tool's result (web_search_tool_result, ...): the API's dict as is.
            out.append(ServerToolResultBlock(b["tool_use_id"], dict(b)))
        elif kind == "tool_result":
            out.append(
                ToolResultBlock(b.get("tool_use_id", ""), b.get("content"), b.get("is_error"))
            )
    return out


@dataclass
class Converter:
    partial: bool = False
    hook_events: bool = False
    structured_output: Any = None
    """Set by the structured output tool; the result carries it."""
    expect_structured: bool = False
    """``output_format`` asked for one: a successful run without it is an error."""
    session_id: str = ""
    """From the init message: stream events carry it like the other messages."""

    def convert(self, event: Event) -> Message | None:
        if isinstance(event, InitEvent):
            data = event.stream_json() or {}
            self.session_id = str(data.get("session_id") or "")
            return SystemMessage("init", data)
        if isinstance(event, TextDelta):
            if not self.partial:
                return None
            delta = {"type": "text_delta", "text": event.text}
            return StreamEvent(
                str(uuid.uuid4()),
                self.session_id,
                {"type": "content_block_delta", "index": 0, "delta": delta},
            )
        if isinstance(event, AssistantEvent):
            return AssistantMessage(
                blocks(event.message["content"]),
                event.model,
                usage=event.usage.to_dict(),
                message_id=event.id or None,
                stop_reason=event.stop_reason,
                session_id=event.session_id,
                uuid=str(uuid.uuid4()),
            )
        if isinstance(event, ToolResultsEvent):
            return UserMessage(blocks(event.content), uuid=str(uuid.uuid4()))
        if isinstance(event, HookEvent):
            if not self.hook_events:
                return None
            return SystemMessage("hook_response", event.stream_json() or {})
        if isinstance(event, CompactEvent):
            return SystemMessage("compact_boundary", event.stream_json() or {})
        if isinstance(event, SubagentEvent):
            return self._subagent(event)
        if isinstance(event, ResultEvent):
            return self.result(event)
        return None

    def _subagent(self, event: SubagentEvent) -> Message | None:
        inner = event.event
        while isinstance(inner, SubagentEvent):  # a nested one keeps the outer Task call's id
            inner = inner.event
        parent = event.parent_tool_use_id
        # Like the SDK by default: a subagent's tool calls and results, not its text.
        if isinstance(inner, AssistantEvent):
            calls: list[ContentBlock] = [
                b for b in blocks(inner.message["content"]) if isinstance(b, ToolUseBlock)
            ]
            if not calls:
                return None
            return AssistantMessage(calls, inner.model, parent_tool_use_id=parent)
        if isinstance(inner, ToolResultsEvent):
            return UserMessage(blocks(inner.content), parent_tool_use_id=parent)
        return None

    def result(self, event: ResultEvent) -> ResultMessage:
        subtype: str = event.subtype
        is_error, text = event.is_error, event.result
        errors = None
        if self.expect_structured and self.structured_output is None and not is_error:
            from agentrun.sdk.structured import NOT_GIVEN

            subtype, is_error = "error_max_structured_output_retries", True
            errors = [NOT_GIVEN]
        elif is_error:
            errors = [text] if text else None
        return ResultMessage(
            subtype=subtype,
            duration_ms=event.duration_ms,
            duration_api_ms=event.duration_ms,
            is_error=is_error,
            num_turns=event.num_turns,
            session_id=event.session_id,
            stop_reason=event.stop_reason,
            total_cost_usd=event.total_cost_usd,
            usage=event.usage.to_dict(),
            result=text,
            structured_output=self.structured_output,
            permission_denials=list(event.permission_denials),
            errors=errors,
            uuid=str(uuid.uuid4()),
        )
