"""``run_agent``: one agent run as a test wants it, and what it did, call by call."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentrun.api import RunResult
    from agentrun.protocols import Model
    from agentrun.types import ToolCall, ToolResult


@dataclass(frozen=True)
class ToolOutcome:
    """One tool call of a run and the result the model got back."""

    call: ToolCall
    result: ToolResult
    duration_ms: float

    @property
    def name(self) -> str:
        return self.call.name

    @property
    def text(self) -> str:
        return self.result.text()

    @property
    def is_error(self) -> bool:
        return self.result.is_error


def run_agent(
    prompt: str,
    *,
    model: Model | str,
    cwd: str | os.PathLike[str] = ".",
    agent: str = "backend-specialist",
    permission_mode: str = "bypassPermissions",
    strict: bool = True,
    **options: Any,
) -> RunResult:
    """Run ``agent`` on ``prompt`` in ``cwd`` with ``model`` (a Model, or a SPEC such as
    ``script:PATH`` or ``replay:PATH``); returns the ``RunResult``, every event included.

    Defaults suited to tests: ``bypassPermissions`` (nobody is there to approve, and the
    sandbox still confines every tool to the workspace) and ``strict`` (a tool that raises
    fails the test instead of becoming a polite error result). Every other keyword goes to
    :func:`agentrun.api.run` as is.
    """
    from agentrun import api

    return api.run(
        prompt,
        model=model,
        cwd=os.fspath(cwd),
        agent=agent,
        permission_mode=permission_mode,
        strict=strict,
        **options,
    )


def tool_outcomes(result: RunResult) -> list[ToolOutcome]:
    """Every tool call of the run with its result, in the order the model made the calls
    (read-only tools of one turn run concurrently and may finish in any order)."""
    from agentrun.events import AssistantEvent, ToolEndEvent

    order: dict[str, int] = {}
    for event in result.events:
        if isinstance(event, AssistantEvent):
            for block in event.message.get("content") or ():
                if isinstance(block, dict) and block.get("type") == "tool_use":
                    order.setdefault(str(block.get("id")), len(order))
    ends = [e for e in result.events if isinstance(e, ToolEndEvent)]
    ends.sort(key=lambda e: order.get(e.call.id, len(order)))
    return [ToolOutcome(call=e.call, result=e.result, duration_ms=e.duration_ms) for e in ends]
