"""The Task/Agent tool: one call runs another agent file as a subagent and answers with its
final text.

The child gets a fresh conversation, its own system prompt, the tools its file names that the
parent has too (never more; the session's MCP tools among them), the parent's model unless its
file or the call names another, a permission mode never looser than the parent's (every call
is decided by the parent's gate and its own:
:class:`~agentrun.permissions.stricter.StricterGate`), its ``maxTurns``, and the same jail and
workspace (the parent's tool context opens them). Its transcript entries go into the
parent's transcript as ``sidechain`` entries (a resume ignores them), its events out as
:class:`~agentrun.core.events.SubagentEvent` tagged with the Task call's id; its tokens and cost are
the run's. Task calls of one turn run concurrently (the tool is marked read-only for the
dispatcher's batching: starting a child changes nothing, each child's calls meet the gate).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError
from agentrun.core.events import AssistantEvent, SubagentEvent, TextDelta
from agentrun.core.types import JSON, ToolResult
from agentrun.core.vocab import INTERRUPTED_STOP
from agentrun.permissions.delegation import delegation_tool_name, startable
from agentrun.subagent.childparts import ChildHooks, child_model
from agentrun.subagent.spec import MAX_DEPTH, task_spec

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.events import Event, ResultEvent
    from agentrun.core.loop import Approver
    from agentrun.core.looptypes import Conversation
    from agentrun.core.protocols import (
        HookRunner,
        Model,
        PermissionChecker,
        PermissionDecision,
        Tool,
    )
    from agentrun.core.types import ToolCall
    from agentrun.mcp.childservers import ChildServers
    from agentrun.subagent.background import BackgroundAgents
    from agentrun.tools.base import ToolContext
    from agentrun.tools.shell import BashSession


@dataclass
class Delegation:
    """What a Task tool needs from the session (or subagent) that offers it."""

    cwd: Path
    session_id: str
    agents: Mapping[str, AgentSpec]
    """The agents the tool may start (the description lists them; the gate enforces)."""
    model: Model
    gate: PermissionChecker
    ctx: ToolContext
    tools: tuple[str, ...]
    """The offering agent's other tools: a child has at most these."""
    gate_options: Mapping[str, Any]
    """The session's :meth:`Gate.load` options (allow rules, roots) for each child's gate."""
    persist: Callable[[JSON], None]
    approver: Approver | None = None
    depth: int = 1
    """The depth of the agents this tool starts (the session's own agent is 0)."""
    max_retries: int | None = None
    strict: bool = False
    emit: Callable[[Event], None] = lambda event: None
    """Set by each send (the CLI's or the API's event sink of that prompt)."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    new_shell: Callable[[], BashSession] | None = None
    """A Bash shell of its own for each child (its own cwd and jobs, the session's jail);
    None: children use the offering agent's shell."""
    deny: tuple[str, ...] = ()
    """The session's own deny rules (``--disallowedTools``), for each child's gate: it is the
    one that knows where the child's shell is."""
    remaining_budget: Callable[[], float | None] = lambda: None
    """What is left of the run's ``max_budget_usd`` now (None: no budget): a child stops at
    it during its own run, not only once its Task returns."""
    hooks: Callable[[AgentSpec], HookRunner] | None = None
    """A child's hooks: the session's (its tool calls meet them as the parent's do, and
    SubagentStart/SubagentStop fire for it) plus its agent file's own ``hooks:``."""
    preload: Callable[[AgentSpec], list[str]] = lambda agent: []
    """The skills and memory sections of a child's system prompt (the session reads them
    through its sandbox's rules)."""
    can_read: Callable[[Path], bool] | None = None
    """Whether the session's sandbox lets an agent read a resolved path: a child's project
    memory files are read through it (None: no sandbox to ask)."""
    own_servers: Callable[[AgentSpec, Callable[[str], bool]], ChildServers] | None = None
    """Starts a child's own ``mcpServers:`` (checked against the session's servers, its
    consent and jail), given which MCP tool names the child may have."""
    mcp_reach: Callable[[str], bool] = lambda name: True
    """Whether the offering agent may have MCP tool ``name`` (its ``tools:`` and deny rules,
    and its parent's): a child's own servers' tools never pass where this does not."""
    mcp_tools: tuple[Tool, ...] = ()
    """The session's MCP tools the offering agent has (its ``tools:`` and deny rules already
    applied): a child gets those its own ``tools:`` and ``disallowedTools`` keep, calling the
    session's one client (no server starts again); its gate decides each call."""
    background: BackgroundAgents | None = None
    """Where background children run (the session's own agent only: a subagent's Task calls
    run in the foreground, its loop has no notifications to take)."""
    """Serialises concurrent children's events, transcript lines and approval prompts."""


class TaskTool:
    """Claude Code's Task tool (also called Agent)."""

    read_only = True  # for batching: a turn's Task calls run concurrently

    def __init__(self, name: str, delegation: Delegation) -> None:
        self.name = name
        self.delegation = delegation
        spec = task_spec(name, delegation.agents.values())
        self.description, self.input_schema = spec.description, spec.input_schema

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        return self.run_call("", input, ctx)

    def run_call(self, call_id: str, input: JSON, ctx: ToolContext) -> ToolResult:
        d = self.delegation
        name = str(input["subagent_type"])
        agent = d.agents.get(name)
        if agent is None:
            available = ", ".join(sorted(d.agents)) or "none"
            return ToolResult(
                f"Agent type {name!r} not found. Available agents: {available}", is_error=True
            )
        if agent.fields.isolation is not None:
            # a child shares its parent's jail, whose roots are fixed when it starts
            return ToolResult(
                f"The {name} agent asks for isolation: {agent.fields.isolation}, which agentrun "
                f"gives only to the session's own agent (run it with --agent {name}).",
                is_error=True,
            )
        background = input.get("run_in_background") is True or agent.fields.background
        if background and d.background is not None:
            from agentrun.subagent.launch import launch

            return launch(d, d.background, agent, call_id, input)
        try:
            child = Child(d, agent, call_id, input.get("model"))
        except ConfigError as e:
            return ToolResult(f"The {name} agent could not start: {e}", is_error=True)
        try:
            final = child.run(str(input["prompt"]))
        finally:
            child.close()
        if final.stop_reason == INTERRUPTED_STOP and not d.ctx.cancel.is_set():
            # Ctrl-C that reached the child's loop first (or its approval prompt) is the
            # user's stop of the whole turn: the parent's dispatch ends it as interrupted
            raise KeyboardInterrupt
        return _result(name, final, child.notes)


def _result(name: str, final: ResultEvent, notes: list[str]) -> ToolResult:
    usage, cost = final.usage, final.total_cost_usd
    # what the child's own MCP servers lacked: the parent learns why a tool was missing
    said = "".join(f"\n\n[agentrun: {note}]" for note in notes)
    if final.subtype == "success":
        text = final.result or f"(the {name} agent gave no answer)"
        return ToolResult(text + said, usage=usage, cost_usd=cost)
    why = final.result or final.stop_reason or final.subtype
    text = f"The {name} agent stopped without finishing ({final.subtype}): {why}"
    return ToolResult(text + said, is_error=True, usage=usage, cost_usd=cost)


class Child:
    """One subagent run: its model, gate, tools and loop wiring."""

    def __init__(self, d: Delegation, agent: AgentSpec, call_id: str, model: Any) -> None:
        from agentrun.permissions import Gate, offered_tools
        from agentrun.permissions.stricter import StricterGate, stricter_mode
        from agentrun.tools.base import ToolContext
        from agentrun.tools.records import ReadRecords
        from agentrun.tools.registry import ToolRunner, build_tools

        self.d, self.agent, self.call_id = d, agent, call_id
        self.conv: Conversation | None = None
        # a malformed `hooks:` in the child's file is a ConfigError: the Task says it could
        # not start
        self.hooks = ChildHooks(d.hooks(agent), call_id, agent.name) if d.hooks else None
        self.model, self.owned = child_model(d, agent, model, call_id)
        mode = stricter_mode(d.gate.mode, agent.fields.permission_mode)
        self._shell: BashSession | None = None
        opts = dict(d.gate_options)
        if d.new_shell is not None:
            # a redirection's target is relative to where the child's own shell is
            opts["shell_cwd"] = lambda: self._shell.cwd if self._shell is not None else None
        inner = Gate.load(
            mode,
            # the session's allow rules and grants hold here too; the parent's gate still
            # decides every call as well, so nothing here can widen what it allows
            allowed=[*opts.pop("allowed", ()), *d.gate.remembered],
            disallowed=[*d.deny, *agent.disallowed_tools],
            agent_tools=agent.tools,
            **opts,
        )
        self.gate = StricterGate(d.gate, inner)
        names = [n for n in offered_tools(agent.tools, agent.disallowed_tools) if n in d.tools]
        self.cancel = threading.Event()
        self.stopped = threading.Event()
        """Set by :meth:`stop` (KillShell, an interrupt, the session's end): unlike ``cancel``,
        which the child's loop clears when it starts, it stays set."""
        self.on_spent: Callable[[float], None] | None = None
        """Told each model call's cost (a background child: the run's budget counts it live)."""
        self.over_budget: Callable[[], bool] = lambda: False
        """Whether the run's budget is spent, checked before each model call (a background
        child: its own limit is only what was left when it started, and its siblings and
        parent spend too)."""
        parent_ctx = d.ctx
        shell: Callable[[], BashSession] | None = None
        if "Bash" in names:
            shell = self._open_shell if d.new_shell is not None else lambda: parent_ctx.shell  # type: ignore[assignment]
        self.ctx = ToolContext(
            reads=ReadRecords(),  # a child reads a file itself before it may edit it
            open_workspace=lambda: parent_ctx.workspace,
            open_shell=shell,
            strict=d.strict,
            cancel=self.cancel,
            search_filter=self.gate.search_filter,
            check_resolved=self.gate.check_resolved,
            spill=parent_ctx.spill,
            model=self.model,
            names_host=self.gate.names_host,
            search_domains=self.gate.web_search_domains(),
        )
        tools: list[Tool] = build_tools(names)
        mcp_tools: tuple[Tool, ...] = ()
        if d.mcp_tools:
            from agentrun.mcp.session import wanted

            keep = agent.tools, agent.disallowed_tools
            mcp_tools = tuple(t for t in d.mcp_tools if wanted(t.name, *keep))
        reach, self.servers, self.notes = d.mcp_reach, None, []
        if d.own_servers is not None:  # its own servers; close() stops them
            from agentrun.subagent.ownmcp import start_own

            reach, mcp_tools, self.servers = start_own(d, agent, mcp_tools, self._persist)
            self.notes = self.servers.warnings if self.servers is not None else []
        tool_name = delegation_tool_name(agent.tools, agent.disallowed_tools)
        if tool_name is not None and d.depth < MAX_DEPTH:
            allowed = startable(agent.tools, d.agents)
            nested = replace(
                d,
                agents={n: d.agents[n] for n in allowed},
                model=self.model,
                gate=self.gate,
                ctx=self.ctx,
                tools=tuple(names),
                persist=self._persist,
                emit=self._emit,
                approver=self._approve if d.approver is not None else None,
                depth=d.depth + 1,
                lock=threading.Lock(),
                mcp_tools=mcp_tools,
                background=None,
                mcp_reach=reach,
            )
            tools.append(TaskTool(tool_name, nested))
        tools += mcp_tools
        tools += self.servers.tools if self.servers is not None else []
        self.runner = ToolRunner(tools, self.ctx, strict=d.strict)

    def run(self, prompt: str) -> ResultEvent:
        from agentrun.agentfile.prompt import build_system_prompt
        from agentrun.core.loop import Conversation, Limits, LoopIO, run_turns
        from agentrun.subagent.stoppable import Stoppable

        hooks = self.hooks
        if hooks is not None:
            started = hooks.fire("SubagentStart", {})
            if started.context:
                prompt = f"{prompt}\n\n{started.context}"
        io = LoopIO(
            tools=self.runner,
            permissions=self.gate,
            hooks=hooks,
            emit=self._emit,
            persist=self._persist,
            cancel=self.cancel,
            approver=self._approve if self.d.approver is not None else None,
            system=build_system_prompt(
                self.agent,
                cwd=self.d.cwd,
                model_id=self.model.model_id,
                preload=self.d.preload(self.agent),
                can_read=self.d.can_read,
            ),
        )
        done = threading.Event()
        # The parent's interrupt or deadline stops the child too (the child's loop clears its
        # own event when it starts, so it cannot share the parent's).
        link = threading.Thread(target=self._follow_cancel, args=(done,), daemon=True)
        link.start()
        try:
            conv = self.conv = Conversation(self.d.session_id)
            model = Stoppable(self.model, self.cancel, self.stopped, self.over_budget)
            limits = Limits(self.agent.fields.max_turns, self.d.remaining_budget())
            return run_turns(conv, prompt, model, io, limits)
        finally:
            done.set()

    def tool_uses(self) -> int:
        """How many tool calls the child's model made (a background agent's usage line)."""
        if self.conv is None:
            return 0
        return sum(
            1
            for m in self.conv.messages
            if m["role"] == "assistant" and isinstance(m["content"], list)
            for b in m["content"]
            if b.get("type") == "tool_use"
        )

    def stop(self) -> None:
        """Stop this child for good (a background agent's KillShell, interrupt, session end)."""
        self.stopped.set()
        self.cancel.set()

    def _follow_cancel(self, done: threading.Event) -> None:
        # Polled, and set again while it holds: the child's loop clears its cancel flag when it
        # starts, which would otherwise lose a stop that came just before.
        while not done.is_set():
            if self.d.ctx.cancel.is_set() or self.stopped.is_set():
                self.cancel.set()
            done.wait(0.1)

    def _emit(self, event: Event) -> None:
        if isinstance(event, AssistantEvent) and self.on_spent is not None:
            from agentrun.core.pricing import budget_cost

            self.on_spent(budget_cost(self.model.model_id, event.usage))
        if isinstance(event, TextDelta):
            return  # a subagent's text reaches the parent as its tool result, not as a stream
        with self.d.lock:
            self.d.emit(SubagentEvent(self.call_id, self.agent.name, event))

    def _persist(self, entry: JSON) -> None:
        line = {
            "type": "sidechain",
            "parent_tool_use_id": self.call_id,
            "agent": self.agent.name,
            "entry": entry,
        }
        with self.d.lock:
            self.d.persist(line)

    def _approve(self, call: ToolCall, decision: PermissionDecision) -> Any:
        assert self.d.approver is not None
        with self.d.lock:
            return self.d.approver(call, decision)

    def _open_shell(self) -> BashSession:
        assert self.d.new_shell is not None
        self._shell = self.d.new_shell()
        return self._shell

    def close(self) -> None:
        if self.servers is not None:
            self.servers.close()  # its own MCP servers end with it
        if self._shell is not None:
            self._shell.close()  # the child's background jobs end with it
        if self.owned:
            closer = getattr(self.model, "close", None)
            if callable(closer):
                closer()
