"""The session's Task tool, when its agent may delegate (the runtime's one call into here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.permissions.delegation import delegation_tool_name, startable
from agentrun.subagent.background import BackgroundAgents
from agentrun.subagent.task import Delegation, TaskTool

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.loop import Approver
    from agentrun.core.protocols import Model, PermissionChecker
    from agentrun.core.types import JSON
    from agentrun.tools.base import ToolContext
    from agentrun.tools.shell import BashSession


def task_tool(
    agent: AgentSpec,
    *,
    disallowed: Sequence[str],
    cwd: Path,
    session_id: str,
    model: Model,
    gate: PermissionChecker,
    ctx: ToolContext,
    tools: Sequence[str],
    gate_options: Mapping[str, Any],
    persist: Callable[[JSON], None],
    approver: Approver | None,
    max_retries: int | None,
    strict: bool,
    found: Mapping[str, AgentSpec] | None = None,
    preload: Callable[[AgentSpec], list[str]] | None = None,
    can_read: Callable[[Path], bool] | None = None,
    new_shell: Callable[[], BashSession] | None = None,
    deny: Sequence[str] = (),
) -> TaskTool | None:
    """The Task (or Agent) tool of ``agent``, listing the agents it may start; None when its
    ``tools`` leave delegation out or a bare disallowed rule (``disallowed``) removes it.
    ``found``: the agents already discovered from ``cwd``; ``preload``: an agent's skills and
    memory sections for its system prompt."""
    name = delegation_tool_name(agent.tools, disallowed)
    if name is None:
        return None
    if found is None:
        from agentrun.agentfile.agentfile import discover_agents

        found, _ = discover_agents(cwd, sources=gate_options.get("sources"))
    delegation = Delegation(
        cwd=cwd,
        session_id=session_id,
        agents={n: found[n] for n in startable(agent.tools, found)},
        model=model,
        gate=gate,
        ctx=ctx,
        tools=tuple(tools),
        gate_options=gate_options,
        persist=persist,
        approver=approver,
        max_retries=max_retries,
        strict=strict,
        preload=preload or (lambda agent: []),
        can_read=can_read,
        new_shell=new_shell,
        deny=tuple(deny),
        background=BackgroundAgents(),
    )
    return TaskTool(name, delegation)
