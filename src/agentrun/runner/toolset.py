"""What the model is offered: the built-in tools, the run's own, the Task tool (only for an agent
that may delegate), and the MCP servers' tools (only when MCP is configured)."""

from __future__ import annotations

import functools
import sys
import threading
from typing import TYPE_CHECKING

from agentrun.runner.jailparts import child_shell, mcp_jail_spawn, open_shell, open_workspace

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.protocols import Model, PermissionChecker
    from agentrun.mcp.childservers import ChildServers
    from agentrun.mcp.config import ServerConfig
    from agentrun.runner.options import RunOptions
    from agentrun.runner.runtime import Runtime
    from agentrun.subagent.task import TaskTool


def offer_tools(rt: Runtime, names: list[str], strict: bool, *, gate: PermissionChecker) -> None:
    """The session's tool context, spill directory and tool runner (``rt.ctx``, ``rt.spill``,
    ``rt.runner``, ``rt.task_tool``)."""
    from agentrun.tools.base import ToolContext
    from agentrun.tools.records import ReadRecords
    from agentrun.tools.registry import ToolRunner, build_tools

    rt.spill = None
    from agentrun.context.options import choose_output_chars

    rt.output_chars = choose_output_chars(rt._options.max_output_chars, rt.cwd)
    if rt.output_chars:
        from agentrun.tools.spill import Spill

        # Made now: the jail binds this directory read-only when it starts.
        assert rt.tmp_dir is not None
        rt.spill = Spill(rt.tmp_dir, threshold=rt.output_chars)
    rt.ctx = ToolContext(
        reads=ReadRecords(),
        open_workspace=functools.partial(open_workspace, rt),
        open_shell=functools.partial(open_shell, rt) if "Bash" in names else None,
        strict=strict,
        search_filter=gate.search_filter,
        check_resolved=gate.check_resolved,
        spill=rt.spill,
        model=rt.model,
        names_host=gate.names_host,
        search_domains=gate.web_search_domains(),
    )
    tools = [*build_tools(names), *rt._options.extra_tools]
    from agentrun.permissions.delegation import delegation_tool_name

    o = rt._options
    disallowed = [*rt.agent.disallowed_tools, *o.disallowed_tools]
    rt.task_tool = None  # None: this agent may not delegate
    if delegation_tool_name(rt.agent.tools, disallowed) is not None:
        rt.task_tool = offer_task(rt, names, strict, gate=gate, disallowed=disallowed)
    if rt.task_tool is not None:
        tools.append(rt.task_tool)
        # its background agents: TaskOutput reads them, KillShell stops them
        rt.ctx.background = rt.task_tool.delegation.background
        if rt.agent.tools is None:  # "all tools": TaskOutput comes with Task, as in Claude Code
            tools += build_tools(["TaskOutput"])
    rt.runner = ToolRunner(tools, rt.ctx, strict=strict)


def offer_task(
    rt: Runtime,
    names: list[str],
    strict: bool,
    *,
    gate: PermissionChecker,
    disallowed: list[str],
) -> TaskTool | None:
    """The Task tool, for an agent that may delegate (only then is the subagent package
    loaded)."""
    from agentrun.subagent.offer import task_tool

    o = rt._options
    tool = task_tool(
        rt.agent,
        disallowed=disallowed,
        cwd=rt.cwd,
        session_id=rt.session_id,
        model=rt.model,
        gate=gate,
        ctx=rt.ctx,
        tools=names,
        gate_options=rt.gate_options,
        persist=rt.persist,
        approver=o.approver,
        max_retries=o.max_retries,
        strict=strict,
        found=rt._found,
        preload=rt.preloader.for_subagent,
        can_read=rt.preloader.can_read,
        new_shell=functools.partial(child_shell, rt),
        deny=o.disallowed_tools,
    )
    if tool is not None:
        tool.delegation.own_servers = functools.partial(child_mcp, rt)
        tool.delegation.mcp_reach = functools.partial(_reaches, rt.agent.tools, tuple(disallowed))
    return tool


def _reaches(agent_tools: Sequence[str] | None, disallowed: Sequence[str], name: str) -> bool:
    from agentrun.mcp.session import wanted

    return wanted(name, agent_tools, disallowed)


def child_mcp(rt: Runtime, agent: AgentSpec, keep: Callable[[str], bool]) -> ChildServers:
    """A subagent's own ``mcpServers:``, started as the session's are: the same consent (the
    user asked under the lock the approval prompts take), jail and configured servers."""
    from agentrun.mcp.childservers import child_servers

    ask = rt._options.mcp_consent
    if ask is not None and rt.task_tool is not None:
        lock, prompt = rt.task_tool.delegation.lock, ask

        def ask_locked(server: ServerConfig) -> bool:
            with lock:
                return prompt(server)

        ask = ask_locked
    return child_servers(
        agent,
        cwd=rt.cwd,
        session=dict(rt.mcp_servers),
        keep=keep,
        ask=ask,
        jail_spawn=functools.partial(mcp_jail_spawn, rt),
        cancel=rt.ctx.cancel,
    )


def start_mcp(rt: Runtime, o: RunOptions, names: list[str]) -> None:
    """Start the session's MCP servers (concurrently) and offer their tools."""
    preload_sdk_for(rt.model)
    from agentrun.mcp.session import open_mcp

    opened = open_mcp(
        rt.cwd,
        flags=o.mcp_config,
        strict=o.strict_mcp_config,
        agent=rt.agent,
        disallowed=[*rt.agent.disallowed_tools, *o.disallowed_tools],
        ask=o.mcp_consent,
        jail_spawn=functools.partial(mcp_jail_spawn, rt),
        sources=o.setting_sources,
    )
    rt.mcp = opened.client
    if opened.client is not None:
        rt._cleanup.insert(0, opened.client)
    rt.mcp_servers = opened.statuses
    if rt.task_tool is not None:  # a subagent's MCP tools are among these
        rt.task_tool.delegation.mcp_tools = tuple(opened.tools)
    rt.warnings += opened.warnings
    if opened.tools:
        from agentrun.tools.registry import ToolRunner

        rt.runner = ToolRunner([*rt.runner.tools, *opened.tools], rt.ctx, strict=o.strict)


def describe_bash(rt: Runtime, told: list[str]) -> None:
    """Bash's description gains the sandbox lines: the model reads them with the tool."""
    from agentrun.context.sandbox_text import bash_description
    from agentrun.tools.registry import LazyTool

    for tool in rt.runner.tools:
        if tool.name == "Bash" and isinstance(tool, LazyTool):
            tool.description = bash_description(tool.description, told, spill_chars=rt.output_chars)


def preload_sdk_for(model: Model) -> None:
    """Import the Anthropic SDK in a background thread while the MCP servers start: the first
    request needs it, and the servers' start (seconds) would otherwise come before it instead
    of alongside. Only for the Anthropic adapter (already loaded when it is the model)."""
    adapter = sys.modules.get("agentrun.models.anthropic")
    if adapter is None or "anthropic" in sys.modules:
        return
    inner = getattr(model, "inner", model)  # a RecordingModel wraps it
    if isinstance(inner, adapter.AnthropicModel):
        threading.Thread(target=adapter.preload_sdk, name="sdk-preload", daemon=True).start()


def check_script(model: Model, offered: list[str]) -> None:
    """A scripted model's tool names, checked before any turn (see ScriptedModel.check_tools).
    Only when the scripted module is loaded at all: a real run never imports it for this."""
    scripted = sys.modules.get("agentrun.models.scripted")
    recording = sys.modules.get("agentrun.models.recording")
    if recording is not None and isinstance(model, recording.RecordingModel):
        model = model.inner
    if scripted is not None and isinstance(model, scripted.ScriptedModel):
        model.check_tools(offered)
