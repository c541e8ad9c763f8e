"""What the context tests share: a run of the workspace's ``worker.md`` with every call allowed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

from agentrun.core.events import Event
from agentrun.runner.api import RunResult, run
from agentrun.runner.keywords import RunKeywords

READER = """---
name: worker
description: Reads files.
tools: Read
---
You read files.
"""
"""``worker.md`` for the tests that only read."""


def tool_results(request: Any) -> list[dict[str, Any]]:
    """The tool results the request's last message carries (none when it is not tool results)."""
    last = request.messages[-1]["content"]
    if isinstance(last, list) and last and last[0].get("type") == "tool_result":
        return list(last)
    return []


def first_result_text(request: Any) -> str | None:
    """The text of the first tool result in the request's last message, if it carries any."""
    found = tool_results(request)
    if not found:
        return None
    body = found[0]["content"]
    return body if isinstance(body, str) else str(body[0]["text"])


def note_result(request: Any, seen: list[str]) -> int:
    """Appends the request's :func:`first_result_text` (if any) to ``seen``; how many are in it."""
    text = first_result_text(request)
    if text is not None:
        seen.append(text)
    return len(seen)


def run_worker(
    ws: Path,
    *,
    agent: Path | None = None,
    on_event: Callable[[Event], None] | None = None,
    **keywords: Unpack[RunKeywords],
) -> RunResult:
    """``go`` in ``ws`` as ``agent`` (else ``ws/worker.md``) in bypassPermissions: these tests
    are about what tools return, not about what the gate asks."""
    worker = str(agent or ws / "worker.md")
    return run(
        "go",
        agent=worker,
        cwd=ws,
        permission_mode="bypassPermissions",
        on_event=on_event,
        **keywords,
    )
