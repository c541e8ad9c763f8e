"""Appending to a conversation's message list: what the loop and the transcript rebuild share."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.core.looptypes import Conversation, LoopIO
    from agentrun.core.types import ContentBlock, Message


def add_user(
    conv: Conversation, io: LoopIO, content: str | list[ContentBlock], *, tool_results: bool = False
) -> None:
    """Append a user message; a dangling user message (a crash before the answer) is merged."""
    blocks = _blocks(content)
    append_message(conv.messages, {"role": "user", "content": blocks})
    io.persist({"type": "message", "message": {"role": "user", "content": blocks}})
    if tool_results:
        from agentrun.core.moreevents import ToolResultsEvent

        io.emit(ToolResultsEvent(conv.session_id, blocks))


def append_message(messages: list[Message], message: Message) -> None:
    """Append, merging into a trailing message of the same role (the API wants alternation).

    Both the live loop and the transcript rebuild use this, so a resumed list is identical.
    """
    if messages and messages[-1]["role"] == message["role"]:
        merged = [*_blocks(messages[-1]["content"]), *_blocks(message["content"])]
        messages[-1] = {"role": message["role"], "content": merged}
    else:
        messages.append(message)


def _blocks(content: str | list[ContentBlock]) -> list[ContentBlock]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def drop_truncated_tool_use(content: list[ContentBlock], stop_reason: str) -> list[ContentBlock]:
    # A tool_use cut off by max_tokens has incomplete input: running it would be a guess.
    if stop_reason == "max_tokens" and (not content or content[-1].get("type") == "tool_use"):
        # The turn goes on, and an assistant message may not be empty: leave a note instead.
        return content[:-1] or [{"type": "text", "text": "[output cut off by the token limit]"}]
    return list(content)
