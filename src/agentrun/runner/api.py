"""The Python API: ``agentrun.run(...)`` for one prompt, ``AgentSession`` for several.

Both share everything with the CLI (which is a thin layer over them)::

    import agentrun
    result = agentrun.run("Add pagination to /items", cwd="service", max_turns=30)
    print(result.result, result.total_cost_usd, result.session_id)

    with agentrun.AgentSession(cwd="service", model="script:session.yaml") as session:
        first = session.send("Look around")
        second = session.send("Now fix the failing test")

Configuration errors (bad agent file, unknown model, missing API key, unknown session) raise
:class:`agentrun.core.errors.ConfigError` when the session is built, before any model call. Run
failures are not exceptions: they come back as a ``RunResult`` with ``is_error`` and a
``subtype`` (``error_max_turns``, ``error_during_execution``, ...) and a ``stop_reason``
(``"interrupted"`` after Ctrl-C, ``"refusal"``, ...).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Unpack

from agentrun.core.events import InitEvent
from agentrun.core.loop import Limits, LoopIO, run_turns
from agentrun.core.vocab import INTERRUPTED_STOP
from agentrun.runner.keywords import RunKeywords, build_options
from agentrun.runner.result import RunResult
from agentrun.runner.runtime import RunOptions, Runtime
from agentrun.session.store import repair

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.context.budget import ContextManager
    from agentrun.core.events import Event
    from agentrun.core.loop import Conversation
    from agentrun.core.moreevents import CompactEvent
    from agentrun.core.protocols import Model
    from agentrun.core.types import JSON, Usage
    from agentrun.hooks import Hooks
    from agentrun.runner.isolation import Worktree
    from agentrun.subagent.background import BackgroundAgents

__all__ = ["AgentSession", "RunOptions", "RunResult", "run"]


def _remaining(budget: float | None, conv: Conversation) -> Callable[[], float | None]:
    """What is left of one prompt's ``budget`` at any moment: the conversation's cost counts
    the parent's turns and the children already finished (concurrent children each get what
    was left when they started)."""
    base = conv.spent_usd
    if budget is None:
        return lambda: None
    return lambda: budget - (conv.spent_usd - base)


class AgentSession:
    """A conversation with one agent: :meth:`send` a prompt, get a :class:`RunResult`, repeat.

    Takes a :class:`RunOptions`, or its fields as keywords (both: the keywords replace those
    fields), like :func:`run`. The transcript is saved as it goes, so the
    session can be resumed later (``resume=session.session_id``). Ctrl-C during a model call or
    a tool cancels that turn (tools are stopped, their results say so) and ``send`` returns a
    result with stop_reason ``"interrupted"``; the session stays usable.
    """

    def __init__(
        self,
        options: RunOptions | None = None,
        /,
        *,
        on_event: Callable[[Event], None] | None = None,
        **keywords: Unpack[RunKeywords],
    ) -> None:
        self.options = build_options(options, keywords)
        self.on_event = on_event
        self._rt = Runtime.open(self.options)
        self._started = False
        self._interrupt = threading.Event()
        # background subagents emit from their own threads while this prompt's loop does:
        # one event at a time reaches on_event (a stream-json line is never split)
        self._emit_lock = threading.RLock()
        self.wait_background = True
        """At a prompt's end, wait for running background subagents and let the agent go on
        with their notifications (headless); the REPL sets False: their notifications come
        with its next prompt."""

    @property
    def session_id(self) -> str:
        return self._rt.session_id

    @property
    def usage(self) -> Usage:
        """Tokens used by every prompt sent through this object."""
        return self._rt.conv.usage

    @property
    def cost(self) -> float | None:
        """Dollars spent through this object; None when the model's price is unknown."""
        return self._rt.conv.cost_usd

    @property
    def model(self) -> Model:
        return self._rt.model

    @property
    def remembered_rules(self) -> list[str]:
        """The allow rules this session's "always" answers added (to carry into another)."""
        return list(self._rt.permissions.remembered)

    @property
    def warnings(self) -> list[str]:
        """What the settings files asked for that this session does not do (say it on stderr)."""
        return [*self._rt.permissions.warnings, *self._rt.hooks.config.warnings, *self._rt.warnings]

    @property
    def hooks(self) -> Hooks:
        """The session's hooks (``hooks.config.hooks`` lists them with the file of each)."""
        return self._rt.hooks

    @property
    def tool_names(self) -> list[str]:
        """The tools the model is offered, MCP tools included."""
        return [spec.name for spec in self._rt.runner.specs()]

    @property
    def mcp_servers(self) -> list[tuple[str, str]]:
        """``(name, status)`` of each MCP server of this session."""
        return list(self._rt.mcp_servers)

    @property
    def agent_colors(self) -> dict[str, str]:
        """The ``color:`` of each agent this session's Task tool may start."""
        task = self._rt.task_tool
        agents = task.delegation.agents.values() if task is not None else ()
        return {a.name: a.fields.color for a in agents if a.fields.color}

    @property
    def worktree(self) -> Worktree | None:
        """The temporary git worktree the session works in (``isolation: worktree``); after
        :meth:`close`, ``kept`` says whether it was left in place (it changed)."""
        return self._rt.worktree

    @property
    def agent(self) -> AgentSpec:
        """The agent file this session runs (its ``warnings`` say what was not understood)."""
        return self._rt.agent

    @property
    def messages(self) -> list[JSON]:
        """The conversation so far (Messages API shape)."""
        return list(self._rt.conv.messages)

    def set_permission_mode(self, mode: str) -> None:
        """Change the permission mode for the next calls (the program is the user here)."""
        from agentrun.core.errors import ConfigError
        from agentrun.permissions import PERMISSION_MODES, Gate

        if mode not in PERMISSION_MODES:
            raise ConfigError(f"unknown permission mode {mode!r}; choose one of {PERMISSION_MODES}")
        gate = self._rt.permissions
        if not isinstance(gate, Gate):
            raise ConfigError("this session's permission checker has no modes")
        gate.mode = mode

    def set_model(self, model: str | Model | None) -> None:
        """Answer the next prompts with ``model`` (a SPEC or a Model; None: the default)."""
        from agentrun.models import resolve_model

        rt = self._rt
        if model is None or isinstance(model, str):
            new = resolve_model(model, agent_model=None, max_retries=self.options.max_retries)
        else:
            new = model
        rt._cleanup.append(new)
        rt.model = new

    def interrupt(self) -> None:
        """Stop the prompt :meth:`send` is answering (from another thread): running tools are
        stopped and ``send`` returns a result with stop_reason ``"interrupted"``."""
        self._interrupt.set()
        self._rt.ctx.cancel.set()
        if (background := self._background) is not None:
            background.stop_all(timeout_s=0)  # their threads end on their own; close waits

    def _stop_background(self, stop_reason: str | None) -> None:
        if stop_reason == INTERRUPTED_STOP and (background := self._background) is not None:
            background.stop_all(timeout_s=0)

    @property
    def _background(self) -> BackgroundAgents | None:
        task = self._rt.task_tool
        return task.delegation.background if task is not None else None

    def send(self, prompt: str | list[JSON]) -> RunResult:
        """Answer ``prompt`` (text, or user content blocks)."""
        rt, o = self._rt, self.options
        events: list[Event] = []
        self._interrupt.clear()

        def emit(event: Event) -> None:
            with self._emit_lock:
                events.append(event)
                rt.context.observe(event)
                if self.on_event is not None:
                    self.on_event(event)

        rt.context.emit = emit
        adapter = getattr(rt.model, "inner", rt.model)  # a RecordingModel wraps it
        if hasattr(adapter, "on_thinking"):  # a streaming adapter: thinking shown as it comes
            from agentrun.core.moreevents import ThinkingDelta

            adapter.on_thinking = lambda text: emit(ThinkingDelta(text))

        emit(
            InitEvent(
                session_id=rt.session_id,
                cwd=str(rt.cwd),
                model=rt.model.model_id,
                tools=tuple(spec.name for spec in rt.runner.specs()),
                permission_mode=rt.permissions.mode,
                agent=rt.agent.name,
                agent_shadows=str(rt.agent.shadows or ""),
                agent_file=str(rt.agent.path or "") if rt.agent.shadows else "",
                sandbox_mode=o.sandbox,
                sandbox_enforced=rt.enforced_layers(),
                mcp_servers=tuple(rt.mcp_servers),
            )
        )
        if rt.task_tool is not None:  # subagents' events go where this prompt's go
            rt.task_tool.delegation.emit = emit
            rt.task_tool.delegation.remaining_budget = _remaining(o.max_budget_usd, rt.conv)
        rt.hooks.emit = emit
        if not self._started:
            self._started = True
            source = o.session_source or ("resume" if rt.resumed else "startup")
            if rt.hooks.has("SessionStart"):
                start = rt.hooks.fire("SessionStart", {"source": source})
                if start.context and isinstance(prompt, str):
                    prompt = f"{prompt}\n\n{start.context}"
                elif start.context:
                    prompt = [*prompt, {"type": "text", "text": start.context}]
        # Compaction fires the PreCompact hooks first (rt.context.pre_compact, set by Runtime).
        io = LoopIO(
            tools=rt.runner,
            permissions=rt.permissions,
            emit=emit,
            persist=rt.persist,
            sync=rt.sync,
            sync_each_call=o.sync_transcript != "end",
            cancel=rt.ctx.cancel,
            approver=o.approver,
            system=rt.system,
            before_call=rt.context.before_call,
            hooks=rt.hooks,
            interrupted=self._interrupt.is_set,
            notices=self._background,
            wait_notices=self.wait_background,
        )
        # the agent file's maxTurns applies when the run sets no limit of its own
        turns = o.max_turns if o.max_turns is not None else rt.agent.fields.max_turns
        limits = Limits(turns, o.max_budget_usd, o.timeout_s)
        try:
            final = run_turns(rt.conv, prompt, rt.model, io, limits)
        except BaseException:  # a Ctrl-C between steps stops the background agents too
            self._stop_background(INTERRUPTED_STOP)
            raise
        else:
            self._stop_background(final.stop_reason)
        finally:
            # However the run ended (a refusal cut mid tool call, a Ctrl-C between steps, a bug)
            # the next send must be a valid conversation: unanswered tool calls get a result.
            # A resume from the transcript applies the same repair.
            rt.conv.messages = repair(rt.conv.messages)
        return RunResult.from_event(final, events)

    def compact(self, instructions: str | None = None) -> CompactEvent:
        """Summarise the conversation so far and continue from the summary (``/compact``);
        raises :class:`~agentrun.errors.ModelError` when the summary request fails."""
        context = self._rt.context
        context.emit = self.on_event or (lambda event: None)
        try:
            return context.compact("manual", instructions)
        finally:
            self._rt.sync()

    @property
    def context_tokens(self) -> int:
        """The size of the next request's prompt, in tokens (the context budget's use)."""
        return self._rt.context.estimate()

    @property
    def context(self) -> ContextManager:
        """The context budget: ``window``, ``threshold``, ``server_side``, ``estimate()``;
        ``pre_compact`` is where a ``PreCompact`` hook is wired."""
        return self._rt.context

    def close(self, reason: str = "other") -> None:
        """Stop every process the session started and release its files. Idempotent.
        ``reason`` is what the SessionEnd hooks are told (``clear``, ``logout``,
        ``prompt_input_exit``, ``other``)."""
        if self._started:
            self._started = False
            self._rt.hooks.emit = None  # stream-json has ended with its result line
            if self._rt.hooks.has("SessionEnd"):
                self._rt.hooks.fire("SessionEnd", {"reason": reason})
        self._rt.close()

    def __enter__(self) -> AgentSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(
    prompt: str,
    options: RunOptions | None = None,
    /,
    *,
    on_event: Callable[[Event], None] | None = None,
    **keywords: Unpack[RunKeywords],
) -> RunResult:
    """Run an agent on one prompt and return the :class:`RunResult`.

    The run is described by a :class:`RunOptions`, or by its fields as keywords (both: the
    keywords replace those fields): ``agent``, ``cwd``, ``model``, ``max_turns``,
    ``max_budget_usd``, ``timeout_s``, ``permission_mode``, ``allowed_tools``,
    ``disallowed_tools``, ``sandbox``, ``add_dirs``, ``allow_network``, ``resume``,
    ``continue_session``, ``append_system_prompt``, ``approver``, ``record``, ``max_retries``,
    ``strict``, ``replay_drift``, ``sessions_root``, ``mcp_config``, ... (type checkers know
    each one's type).

    ``model``: a SPEC (alias, model id, ``script:PATH``, ``replay:PATH``) or a Model object
    (``ScriptedModel``, ``FunctionModel``, ...); None means the agent's model, else the default.
    ``approver(call, decision)`` answers "ask" decisions with ``"allow"``, ``"deny"`` or
    ``"always"`` (``str(decision)`` is the reason; ``decision.grant`` what "always" would allow,
    None when it is not offered); None (headless) denies them and lists them in
    ``permission_denials``. ``max_retries``: API retries (408/409/429/5xx/529, connection
    errors; None: ``$AGENTRUN_MAX_RETRIES``, else 2).
    """
    with AgentSession(build_options(options, keywords), on_event=on_event) as session:
        return session.send(prompt)
