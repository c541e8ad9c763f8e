"""Compaction by the runtime itself: a summary request, then a shorter history.

The summary request is the conversation as it stands plus one more user text asking for a
summary (:data:`SUMMARY_PROMPT`), so it reads the history from the prompt cache like any turn.
The new history is one user message (the summary, the files the dropped part touched) followed
by the last messages verbatim, cut at an assistant message so every ``tool_use`` keeps its
``tool_result``. Server-side compaction (``compact_20260112``) needs none of this: see
:mod:`agentrun.context.budget`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from agentrun.context.tokens import estimate_tokens
from agentrun.core.types import ModelRequest, Usage
from agentrun.models.catalog import SUMMARY_PROMPT

if TYPE_CHECKING:
    from agentrun.core.protocols import Model
    from agentrun.core.types import ContentBlock, Message, ToolSpec

CONTINUED = (
    "This session is being continued from a previous conversation that ran out of context. "
    "The summary below covers the earlier part; the most recent messages follow verbatim.\n\n"
)
OMITTED = "[The earliest part of this conversation was left out of this summary request.]"
_FILE_TOOLS = ("Read", "Write", "Edit", "MultiEdit", "NotebookEdit")
_MAX_FILES = 12


@dataclass(frozen=True)
class Compacted:
    """A compaction's outcome: the new history and what it took."""

    messages: list[Message]
    summary: str
    kept: int
    """Messages kept verbatim at the end."""
    pre_tokens: int
    post_tokens: int
    usage: Usage = field(default_factory=Usage)
    """What the summary request used."""


def summary_request(
    model: str,
    messages: list[Message],
    tools: list[ToolSpec],
    system: str,
    *,
    limit: int,
    instructions: str | None = None,
) -> ModelRequest:
    """The request asking ``model`` for a summary of ``messages``, at most ``limit`` tokens:
    the oldest messages are left out (the request starts at an assistant message, after a short
    user note saying so) until it fits."""
    ask = SUMMARY_PROMPT + (f"\n\nAdditional instructions: {instructions}" if instructions else "")
    history = list(messages)
    tail: Message = {"role": "user", "content": [{"type": "text", "text": ask}]}
    if history and history[-1]["role"] == "user":
        last = history.pop()
        tail = {"role": "user", "content": [*_blocks(last["content"]), *tail["content"]]}
    budget = limit - estimate_tokens([system, [t.to_dict() for t in tools], tail])
    sizes = [estimate_tokens(m) for m in history]
    start, total = 0, sum(sizes)
    while total > budget and start < len(history):
        total -= sizes[start]
        start += 1
    while start < len(history) and start > 0 and history[start]["role"] != "assistant":
        total -= sizes[start]
        start += 1
    kept = history[start:]
    if start > 0:
        kept.insert(0, {"role": "user", "content": [{"type": "text", "text": OMITTED}]})
    return ModelRequest(
        model=model,
        system=system,
        messages=[*kept, tail],
        tools=tools,
        max_tokens=8_000,
    )


def compact(
    model: Model,
    messages: list[Message],
    *,
    tools: list[ToolSpec],
    system: str,
    window: int,
    keep_tokens: int,
    pre_tokens: int,
    instructions: str | None = None,
) -> Compacted:
    """Ask ``model`` for a summary and build the shorter history (raises ModelError)."""
    request = summary_request(
        model.model_id, messages, tools, system, limit=window, instructions=instructions
    )
    response = model.complete(request)
    summary = response.text().strip() or "(The summary came back empty.)"
    cut = keep_from(messages, keep_tokens)
    dropped, kept = messages[:cut], messages[cut:]
    files = touched_files(dropped)
    text = CONTINUED + summary
    if files:
        text += "\n\nFiles worked on before this point: " + ", ".join(files)
    head: Message = {"role": "user", "content": [{"type": "text", "text": text}]}
    if kept and kept[0]["role"] == "user":  # nothing answered yet: one user message
        head = {"role": "user", "content": [*head["content"], *_blocks(kept.pop(0)["content"])]}
    new = [head, *kept]
    post = estimate_tokens([system, [t.to_dict() for t in tools], new])
    return Compacted(new, summary, len(kept), pre_tokens, post, response.usage)


def keep_from(messages: list[Message], keep_tokens: int) -> int:
    """Where the verbatim tail starts: an assistant message, as late as needed to stay within
    ``keep_tokens``, but always keeping the last exchange (the tool results being answered)."""
    candidates = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    if not candidates:
        return 0
    total, cut = 0, len(messages)
    for i in range(len(messages) - 1, -1, -1):
        total += estimate_tokens(messages[i])
        if messages[i]["role"] == "assistant":
            if total > keep_tokens and cut < len(messages):
                break
            cut = i
    return cut


def touched_files(messages: list[Message]) -> list[str]:
    """The files the file tools opened in ``messages``, the latest last (at most a dozen)."""
    seen: dict[str, None] = {}
    for message in messages:
        if message["role"] != "assistant":
            continue
        for block in _blocks(message["content"]):
            if block.get("type") == "tool_use" and block.get("name") in _FILE_TOOLS:
                given = block.get("input") or {}
                path = given.get("file_path") or given.get("notebook_path")
                if isinstance(path, str):
                    seen.pop(path, None)
                    seen[path] = None
    return list(seen)[-_MAX_FILES:]


def _blocks(content: str | list[ContentBlock]) -> list[ContentBlock]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
