"""The values that cross agentrun's seams: model requests and responses, usage, tool results.

Content blocks and messages stay in the Anthropic Messages JSON shape (plain dicts) on purpose:
they go to the API, into transcripts and back verbatim (thinking blocks carry signatures that
must round-trip byte for byte), so a lossy typed copy would only add a conversion to get wrong.
Everything agentrun itself computes is a frozen dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]
ContentBlock = dict[str, Any]
"""One Anthropic content block: ``{"type": "text", "text": ...}``, ``tool_use``, ``tool_result``,
``thinking``, ``redacted_thinking`` or ``image``."""

Message = dict[str, Any]
"""``{"role": "user" | "assistant", "content": str | list[ContentBlock]}``."""


def block_text(content: Any, sep: str = "") -> str:
    """The text of a message's or a tool result's content: a string as is, else its ``text``
    blocks' texts joined with ``sep`` (other blocks and non-dict items are skipped)."""
    if isinstance(content, str):
        return content
    blocks = (b for b in content or () if isinstance(b, dict) and b.get("type") == "text")
    return sep.join(str(b.get("text", "")) for b in blocks)


@dataclass(frozen=True)
class Usage:
    """Token counts of one or more model calls, as the Messages API reports them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens
            + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
        )

    @property
    def total_input_tokens(self) -> int:
        """Every input token, whether billed fresh, written to the cache or read from it."""
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    def to_dict(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }

    @classmethod
    def from_dict(cls, data: JSON | None) -> Usage:
        data = data or {}
        return cls(
            input_tokens=int(data.get("input_tokens") or 0),
            output_tokens=int(data.get("output_tokens") or 0),
            cache_creation_input_tokens=int(data.get("cache_creation_input_tokens") or 0),
            cache_read_input_tokens=int(data.get("cache_read_input_tokens") or 0),
        )


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about one tool (the ``tools`` entry of a request)."""

    name: str
    description: str
    input_schema: JSON

    def to_dict(self) -> JSON:
        return {
            "name": self.name,
            "description": self.description,
            "input_schema": self.input_schema,
        }


@dataclass(frozen=True)
class ModelRequest:
    """One call to a model: everything needed to produce the next assistant message.

    ``system`` is the plain system prompt; cache breakpoints are the adapter's business.
    ``messages`` alternate user/assistant and end with a user message.
    """

    model: str
    system: str
    messages: list[Message]
    tools: list[ToolSpec] = field(default_factory=list)
    max_tokens: int = 32_000
    extra: JSON = field(default_factory=dict)
    """Adapter options passed through as request fields (e.g. ``thinking``)."""


@dataclass(frozen=True)
class ModelResponse:
    """One assistant message, in Messages API shape."""

    content: list[ContentBlock]
    stop_reason: str
    usage: Usage = Usage()
    model: str = ""
    id: str = ""

    def tool_uses(self) -> list[ContentBlock]:
        return [b for b in self.content if b.get("type") == "tool_use"]

    def text(self) -> str:
        return block_text(self.content)

    def to_message(self) -> Message:
        return {"role": "assistant", "content": list(self.content)}


@dataclass(frozen=True)
class ToolResult:
    """What a tool gives back to the model. ``content`` is text, or blocks (text/image)."""

    content: str | list[ContentBlock]
    is_error: bool = False
    usage: Usage | None = None
    """Tokens a tool spent on a model of its own (a subagent's run): added to the run's."""
    cost_usd: float | None = None
    """What those tokens cost (None: nothing spent, or the price is unknown)."""

    def to_block(self, tool_use_id: str) -> ContentBlock:
        block: ContentBlock = {
            "type": "tool_result",
            "tool_use_id": tool_use_id,
            "content": self.content,
        }
        if self.is_error:
            block["is_error"] = True
        return block

    def text(self) -> str:
        """The result's text (image blocks omitted), for expectations, previews and logs."""
        return block_text(self.content)


@dataclass(frozen=True)
class ToolCall:
    """One ``tool_use`` block from the model."""

    id: str
    name: str
    input: JSON

    @classmethod
    def from_block(cls, block: ContentBlock) -> ToolCall:
        raw = block.get("input")
        return cls(
            id=str(block["id"]), name=str(block["name"]), input=raw if isinstance(raw, dict) else {}
        )
