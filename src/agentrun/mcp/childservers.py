"""A subagent's own ``mcpServers:``, as Claude Code reads a subagent's: started when the child
starts, stopped when it ends.

A name refers to a server the session configured: its tools are already among the session's,
which a child is offered through its parent (no new process); a name the session did not
configure (``--strict-mcp-config`` left it out, consent was refused, it is nowhere) or whose
server is not connected is a warning. An inline definition (``{name: {...}}``) starts a client
of the child's own, whose tools only that child is offered; one of the same name as a session
server takes its place for the child. Trust is the session agent's: an agent file of the
repository needs the same consent as ``.mcp.json``. A definition that is malformed, refused or
fails to start is a warning and a ``failed`` status; the child runs without it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import ConfigError
from agentrun.mcp.config import (
    Ask,
    Consent,
    ServerConfig,
    parse_server,
    read_json,
    unapproved,
    user_settings_path,
)
from agentrun.mcp.session import in_project

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.protocols import Tool
    from agentrun.mcp.client import JailSpawn, McpClient


@dataclass
class ChildServers:
    """What one child's ``mcpServers:`` gave it."""

    tools: list[Tool] = field(default_factory=list)
    """Its own servers' tools (those its ``keep`` allows)."""
    own: tuple[str, ...] = ()
    """Its own servers' names: the session's tools of these names are not the child's."""
    statuses: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    client: McpClient | None = None

    def close(self) -> None:
        """Stop its servers (and what they started); idempotent."""
        if self.client is not None:
            self.client.close()


def child_servers(
    agent: AgentSpec,
    *,
    cwd: Path,
    session: Mapping[str, str],
    keep: Callable[[str], bool],
    ask: Ask | None,
    jail_spawn: JailSpawn | None,
    cancel: threading.Event | None = None,
) -> ChildServers:
    """Start ``agent``'s inline servers and check the names it gives. ``session``: the status
    of each server the session configured; ``keep``: whether the child may have a tool of
    that name (its ``tools:`` and deny rules, and its parent's); ``cancel``: the run's
    interrupt, which stops the wait for servers still starting."""
    out = ChildServers()
    value = agent.extra.get("mcpServers")
    who = f"the {agent.name} agent"
    configs: dict[str, ServerConfig] = {}
    consent: Consent | None = None
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            status = session.get(item)
            if status is None:
                out.warnings.append(f"{who} names MCP server {item!r}, which is not configured")
            elif status != "connected":
                out.warnings.append(f"{who} names MCP server {item!r}, which is {status}")
            continue
        if not isinstance(item, dict):
            out.warnings.append(f"{who}'s mcpServers entry {item!r} is not a name or a server")
            continue
        for name, raw in item.items():
            try:
                # an agent defined in Python (the SDK's agents=) may hand over a live server
                live = agent.source == "sdk"
                server = parse_server(
                    str(name), raw, source="agent", origin=_origin(agent), live=live
                )
            except ConfigError as e:
                out.statuses.append((str(name), "failed"))
                out.warnings.append(f"{who}'s MCP server was not started: {e}")
                continue
            if in_project(agent, cwd):
                if consent is None:
                    consent = Consent(cwd, read_json(user_settings_path()), ask)
                if not consent.allows(server):
                    out.statuses.append((server.name, "failed"))
                    out.warnings.append(unapproved(server))
                    continue
            configs[server.name] = server
    if not configs:
        return out
    from agentrun.mcp.client import McpClient
    from agentrun.mcp.tools import McpTool, session_tools

    out.own = tuple(configs)
    out.client = McpClient(list(configs.values()), jail_spawn=jail_spawn)
    try:
        for started in out.client.start(cancel):
            out.statuses.append((started.name, started.status))
            if started.status != "connected":
                out.warnings.append(f"{who}'s MCP server {started.name!r} failed: {started.error}")
        tools, skipped = session_tools(out.client)
    except BaseException:
        out.close()  # Ctrl-C while they start: none is left running
        raise
    out.warnings += skipped
    # The resource tools stay the session's: a child lists and reads the session's servers'.
    out.tools = [t for t in tools if isinstance(t, McpTool) and keep(t.name)]
    return out


def _origin(agent: AgentSpec) -> str:
    return str(agent.path) if agent.path is not None else f"the {agent.name} agent"
