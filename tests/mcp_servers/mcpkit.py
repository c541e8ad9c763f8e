"""Helpers of the MCP tests: one scripted run that makes some tool calls in its first turn
through the session's MCP servers, and the results of those calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentrun.core.types import ToolResult
from agentrun.models.scripted import ScriptedModel
from agentrun.runner.api import RunResult
from agentrun.runner.api import run as agentrun_run


def run_calls(
    ws: Path,
    calls: list[tuple[str, dict[str, Any]]],
    mcp: list[Any],
    *,
    agent: str = "plain.md",
    mode: str = "bypassPermissions",
    **options: Any,
) -> RunResult:
    """Run agent file ``ws / agent`` with MCP config ``mcp``: a scripted model makes ``calls``
    (name, input) in its first turn and answers "done" in its second."""
    turns: list[dict[str, Any]] = [
        {"tool_calls": [{"name": n, "input": i} for n, i in calls]},
        {"text": "done"},
    ]
    return agentrun_run(
        "go",
        agent=str(ws / agent),
        cwd=ws,
        model=ScriptedModel.from_data({"turns": turns}),
        permission_mode=mode,
        mcp_config=mcp,
        **options,
    )


def results(result: RunResult) -> list[ToolResult]:
    """The results of the run's tool calls, in order."""
    return [r for _, r in result.tool_calls]
