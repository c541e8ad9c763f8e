"""TaskOutput (also AgentOutputTool, BashOutputTool, AgentOutput): a background task's output,
waiting for its end when asked to. A background agent's (by its agentId) comes from the
session's background agents; a background Bash job's (by its id) from BashOutput, so both
read it the same way."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agentrun.core.types import JSON, ToolResult
from agentrun.tools.nbspecs import TASK_OUTPUT_DESCRIPTION, TASK_OUTPUT_SCHEMA

if TYPE_CHECKING:
    from agentrun.core.toolcontext import BackgroundTask
    from agentrun.tools.base import ToolContext

DEFAULT_TIMEOUT_MS = 30_000
MAX_TIMEOUT_MS = 600_000
_POLL_S = 0.1
"""How often a wait looks at a Bash job (which has no event to wait on) and at the cancel flag."""


class TaskOutputTool:
    """Claude Code's TaskOutput (see the module docstring)."""

    name = "TaskOutput"
    description = TASK_OUTPUT_DESCRIPTION
    input_schema = TASK_OUTPUT_SCHEMA
    read_only = True

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        task_id = input.get("task_id")
        if not isinstance(task_id, str) or not task_id.strip():
            return ToolResult("task_id must be the id of a background task, like agent_1.", True)
        task_id = task_id.strip()
        block = input.get("block", True)
        if not isinstance(block, bool):
            return ToolResult("block must be true or false.", True)
        timeout = input.get("timeout", DEFAULT_TIMEOUT_MS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            return ToolResult("timeout must be a number of milliseconds.", True)
        if not 0 <= timeout <= MAX_TIMEOUT_MS:
            return ToolResult(f"timeout must be between 0 and {MAX_TIMEOUT_MS} ms.", True)
        agents = ctx.background
        agent = agents.get(task_id) if agents is not None else None
        if agent is not None:
            return _agent_output(agent, block, timeout / 1000, ctx)
        return _job_output(task_id, block, timeout / 1000, ctx)


def _agent_output(
    agent: BackgroundTask, block: bool, timeout_s: float, ctx: ToolContext
) -> ToolResult:
    deadline = time.monotonic() + timeout_s
    while block and not agent.done.is_set() and not ctx.cancel.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        agent.done.wait(min(left, _POLL_S))
    parts = [
        f"<task_id>{agent.id}</task_id>",
        "<task_type>local_agent</task_type>",
        f"<status>{agent.status}</status>",
    ]
    if agent.status == "running":
        if block:
            parts.append("<retrieval_status>timeout</retrieval_status>")
        parts.append("<output>(still running: its result comes when it ends)</output>")
    elif agent.status == "failed":
        parts.append(f"<error>{agent.error}</error>")
    else:
        parts.append(f"<output>{agent.result}</output>")
    return ToolResult("\n".join(parts))


def _job_output(task_id: str, block: bool, timeout_s: float, ctx: ToolContext) -> ToolResult:
    from agentrun.tools.jobtools import BashOutputTool, find_job

    job = find_job(ctx, task_id, "task_id", agents=ctx.background)
    if isinstance(job, ToolResult):
        return job
    deadline = time.monotonic() + timeout_s
    timed_out = False
    while block and job.status()[0] == "running" and not ctx.cancel.is_set():
        if time.monotonic() >= deadline:
            timed_out = True
            break
        ctx.cancel.wait(_POLL_S)
    result = BashOutputTool().run({"bash_id": task_id}, ctx)
    if result.is_error:
        return result
    head = f"<task_id>{task_id}</task_id>\n\n<task_type>local_bash</task_type>\n\n"
    if timed_out:
        head += "<retrieval_status>timeout</retrieval_status>\n\n"
    return ToolResult(head + str(result.content))
