"""A scripted turn as values: what it answers (:class:`ScriptTurn`), the checks on the tool
results it is sent (:class:`Expectation`), and the assistant message it makes
(:func:`turn_response`). :class:`~agentrun.models.function.FunctionModel` answers with them too."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agentrun.core.types import (
    JSON,
    ContentBlock,
    ModelRequest,
    ModelResponse,
    Usage,
    block_text,
)

STOP_REASONS = (
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "pause_turn",
    "refusal",
    "model_context_window_exceeded",
)
"""The Messages API's stop reasons: a script may give any of them, and nothing else."""


@dataclass(frozen=True)
class Expectation:
    """Checks on one tool result. ``contains``/``not_contains`` take one string or several."""

    is_error: bool | None = None
    contains: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    matches: str | None = None
    equals: str | None = None

    def failures(self, text: str, is_error: bool) -> list[str]:
        """What differs, worded for a person reading a failed test; empty when all hold."""
        out: list[str] = []
        if self.is_error is not None and self.is_error != is_error:
            out.append(
                f"expected is_error {str(self.is_error).lower()}, got {str(is_error).lower()}"
            )
        out.extend(f"expected it to contain {s!r}" for s in self.contains if s not in text)
        out.extend(f"expected it not to contain {s!r}" for s in self.not_contains if s in text)
        if self.matches is not None and re.search(self.matches, text) is None:
            out.append(f"expected it to match /{self.matches}/")
        if self.equals is not None and text != self.equals:
            out.append(f"expected it to equal {self.equals!r}")
        return out


@dataclass(frozen=True)
class ScriptTurn:
    """One scripted model response."""

    text: str = ""
    tool_calls: tuple[tuple[str, JSON], ...] = ()
    expect: tuple[Expectation, ...] = ()
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    line: int | None = None
    """Where the turn starts in its file, for messages."""


def turn_response(
    turn: ScriptTurn, *, turn_number: int, model: str, prefix: str = "script"
) -> ModelResponse:
    """The assistant message for one scripted turn; tool_use ids depend only on the position
    (and ``prefix``: a subagent's script is tagged with the Task call it answers)."""
    content: list[ContentBlock] = []
    if turn.text:
        content.append({"type": "text", "text": turn.text})
    for i, (name, tool_input) in enumerate(turn.tool_calls, 1):
        content.append(
            {
                "type": "tool_use",
                "id": f"toolu_{prefix}_{turn_number:03d}_{i:02d}",
                "name": name,
                "input": tool_input,
            }
        )
    stop = turn.stop_reason or ("tool_use" if turn.tool_calls else "end_turn")
    return ModelResponse(
        content=content,
        stop_reason=stop,
        usage=turn.usage,
        model=model,
        id=f"msg_{prefix}_{turn_number:03d}",
    )


def last_tool_results(request: ModelRequest) -> list[tuple[str, str, bool]]:
    """(tool name, text, is_error) of each tool_result in the request's last message, in order."""
    if not request.messages:
        return []
    names: dict[str, str] = {}
    for message in request.messages:
        if message.get("role") == "assistant" and isinstance(message.get("content"), list):
            for block in message["content"]:
                if block.get("type") == "tool_use":
                    names[str(block.get("id"))] = str(block.get("name"))
    content = request.messages[-1].get("content")
    if not isinstance(content, list):
        return []
    out = []
    for block in content:
        if block.get("type") != "tool_result":
            continue
        raw = block.get("content", "")
        text = block_text(raw)
        out.append(
            (names.get(str(block.get("tool_use_id")), "?"), text, bool(block.get("is_error")))
        )
    return out
