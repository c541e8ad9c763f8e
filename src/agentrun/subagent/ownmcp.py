"""A subagent's own ``mcpServers:`` in its run: which MCP tool names it may have, its own
servers started (see :mod:`agentrun.mcp.childservers`), and the session's tools it keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.protocols import Tool
    from agentrun.core.types import JSON
    from agentrun.mcp.childservers import ChildServers
    from agentrun.subagent.task import Delegation


def start_own(
    d: Delegation,
    agent: AgentSpec,
    shared: tuple[Tool, ...],
    persist: Callable[[JSON], None],
) -> tuple[Callable[[str], bool], tuple[Tool, ...], ChildServers | None]:
    """The child's MCP reach (its ``tools:`` and deny rules within its parent's), the
    session's MCP tools it keeps (less those of a server it defines itself), and its own
    servers (None when its file declares none). Their statuses go into the transcript."""
    parent = d.mcp_reach

    def reach(name: str) -> bool:
        from agentrun.mcp.session import wanted  # only once an MCP tool is judged

        return parent(name) and wanted(name, agent.tools, agent.disallowed_tools)

    if d.own_servers is None or not agent.extra.get("mcpServers"):
        return reach, shared, None
    servers = d.own_servers(agent, reach)
    if servers.statuses or servers.warnings:
        statuses = [{"name": n, "status": s} for n, s in servers.statuses]
        persist({"type": "mcp_servers", "servers": statuses, "warnings": servers.warnings})
    mine = tuple(f"mcp__{name}__" for name in servers.own)
    kept = tuple(t for t in shared if not (mine and t.name.startswith(mine)))
    return reach, kept, servers
