"""What the fake Messages API checks and computes like the real one: a request's problems (the
API's 400 wording), its input usage with prompt caching, and server-side compaction's view of
it. :mod:`agentrun.testing.fake_server` serves with these."""

from __future__ import annotations

import hashlib
import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentrun.core.types import JSON


def request_problem(body: JSON) -> str | None:
    """What the real Messages API would reject in ``body`` (its wording), or None."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    if messages[0].get("role") != "user":
        return "messages: the first message must use the user role"
    marks = json.dumps(body).count('"cache_control"')
    if marks > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {marks}."
    for i, message in enumerate(messages):
        content = message.get("content")
        if not content and not (i == len(messages) - 1 and message.get("role") == "assistant"):
            return (
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        if message.get("role") == "user":
            offered = _ids(messages[i - 1], "tool_use", "id") if i else []
            strays = [r for r in _ids(message, "tool_result", "tool_use_id") if r not in offered]
            if strays:
                return (
                    f"messages.{i}.content: unexpected `tool_use_id` found in `tool_result` "
                    f"blocks: {strays[0]}. Each `tool_result` block must have a corresponding "
                    "`tool_use` block in the previous message."
                )
        elif i + 1 < len(messages):
            answered = _ids(messages[i + 1], "tool_result", "tool_use_id")
            missing = [a for a in _ids(message, "tool_use", "id") if a not in answered]
            if missing:
                return (
                    f"messages.{i + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(missing)}. Each `tool_use` block must have "
                    "a corresponding `tool_result` block in the next message."
                )
    return None


def _ids(message: JSON, block_type: str, key: str) -> list[str]:
    content = message.get("content")
    blocks = content if isinstance(content, list) else []
    return [str(b.get(key)) for b in blocks if isinstance(b, dict) and b.get("type") == block_type]


def tokens(value: object) -> int:
    return math.ceil(len(json.dumps(value, sort_keys=True)) / 4)


def segments(body: JSON) -> list[tuple[JSON, bool]]:
    """(segment without its cache_control, has a breakpoint) in cache-prefix order."""
    out: list[tuple[JSON, bool]] = []

    def add(block: Any) -> None:
        if isinstance(block, dict):
            marked = "cache_control" in block
            out.append(({k: v for k, v in block.items() if k != "cache_control"}, marked))
        else:
            out.append(({"text": block}, False))

    for tool in body.get("tools") or []:
        add(tool)
    system = body.get("system")
    for block in [system] if isinstance(system, str) else system or []:
        add(block)
    for message in body.get("messages") or []:
        content = message.get("content")
        for block in [content] if isinstance(content, str) else content:
            add({"role": message.get("role"), **block} if isinstance(block, dict) else block)
    return out


def compute_usage(body: JSON, cached: set[str]) -> dict[str, int]:
    """Input usage of a request as the API reports it; remembers this request's breakpoints."""
    digest = hashlib.sha256()
    prefixes: list[tuple[str, int, bool]] = []  # (hash, tokens so far, breakpoint here)
    total = 0
    for segment, marked in segments(body):
        digest.update(json.dumps(segment, sort_keys=True).encode())
        total += tokens(segment)
        prefixes.append((digest.copy().hexdigest(), total, marked))
    marks = [i for i, (_, _, marked) in enumerate(prefixes) if marked]
    last_mark = marks[-1] if marks else -1
    read = max(
        (t for i, (h, t, _) in enumerate(prefixes) if i <= last_mark and h in cached), default=0
    )
    written = prefixes[last_mark][1] - read if marks else 0
    for i in marks:
        cached.add(prefixes[i][0])
    return {
        "input_tokens": total - read - max(written, 0),
        "cache_creation_input_tokens": max(written, 0),
        "cache_read_input_tokens": read,
    }


COMPACT_EDIT = "compact_20260112"
COMPACT_BETA = "compact-2026-01-12"


def compact_edit(body: JSON) -> JSON | None:
    """The request's ``compact_20260112`` edit, if it asks for server-side compaction."""
    edits = (body.get("context_management") or {}).get("edits") or []
    return next((e for e in edits if isinstance(e, dict) and e.get("type") == COMPACT_EDIT), None)


def after_compaction(body: JSON) -> JSON:
    """``body`` as the API reads it: everything before the last ``compaction`` block is dropped
    and the block stands in for it (as the opening user text)."""
    messages = body.get("messages") or []
    for i in range(len(messages) - 1, -1, -1):
        content = messages[i].get("content")
        blocks = content if isinstance(content, list) else []
        at = [j for j, b in enumerate(blocks) if b.get("type") == "compaction"]
        if not at:
            continue
        summary = blocks[at[-1]].get("content") or ""
        rest = blocks[at[-1] + 1 :]
        head: JSON = {"role": "user", "content": [{"type": "text", "text": summary}]}
        tail = [{"role": messages[i]["role"], "content": rest}] if rest else []
        return {**body, "messages": [head, *tail, *messages[i + 1 :]]}
    return body
