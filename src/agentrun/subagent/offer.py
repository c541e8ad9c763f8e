"""The session's Task tool, when its agent may delegate (the runtime's one call into here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.permissions.delegation import delegation_tool_name, startable
from agentrun.subagent.task import Delegation, TaskTool

if TYPE_CHECKING:
    from collections.abc import Sequence

    from agentrun.protocols import PermissionChecker
    from agentrun.runtime import RunOptions, Runtime


def task_tool(
    rt: Runtime, o: RunOptions, gate: PermissionChecker, names: Sequence[str]
) -> TaskTool | None:
    """The Task (or Agent) tool of ``rt``'s agent, listing the agents it may start; None when
    its ``tools`` leave delegation out or a bare disallowed rule removes it."""
    name = delegation_tool_name(rt.agent.tools, [*rt.agent.disallowed_tools, *o.disallowed_tools])
    if name is None:
        return None
    from agentrun.agentfile import discover_agents

    found, _ = discover_agents(rt.cwd)
    agents = {n: found[n] for n in startable(rt.agent.tools, found)}
    delegation = Delegation(
        cwd=rt.cwd,
        session_id=rt.session_id,
        agents=agents,
        model=rt.model,
        gate=gate,
        ctx=rt.ctx,
        tools=tuple(names),
        gate_options=rt.gate_options,
        persist=rt.persist,
        approver=o.approver,
        max_retries=o.max_retries,
        strict=o.strict or rt.ctx.strict,
    )
    return TaskTool(name, delegation)
