"""Assembling one session: agent, model, sandbox, tools, permissions, transcript.

Everything that can be wrong with the configuration (agent file, model spec, API key, session to
resume, sandbox mode, a budget on a model whose price is unknown) raises a ConfigError here,
before any model call. The heavy parts (the path checks, the shell and its sandbox) are built at
the first tool call that needs them: a run that answers without tools never imports them. The
parts are assembled by :mod:`~agentrun.runner.sessionstart`, :mod:`~agentrun.runner.toolset`,
:mod:`~agentrun.runner.sessionhooks` and :mod:`~agentrun.runner.jailparts`.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError
from agentrun.core.loop import Conversation
from agentrun.core.vocab import JAILED_TOOLS, SANDBOX_MODES
from agentrun.runner.jailparts import make_policy, start_early
from agentrun.runner.options import RunOptions
from agentrun.runner.sessionhooks import child_hooks, session_hooks, settings_layers
from agentrun.runner.sessionstart import choose_session, session_header
from agentrun.runner.toolset import check_script, describe_bash, offer_tools, start_mcp
from agentrun.session.store import FileSessionStore

if TYPE_CHECKING:
    from agentrun.core.protocols import Model, PermissionChecker, Sandbox, SessionStore
    from agentrun.core.types import JSON
    from agentrun.jail.policy import SandboxPolicy
    from agentrun.mcp.client import McpClient
    from agentrun.permissions.keywords import GateKeywords
    from agentrun.runner.isolation import Worktree
    from agentrun.runner.preload import MemoryGrants, Preloader
    from agentrun.subagent.task import TaskTool
    from agentrun.tools.base import ToolContext
    from agentrun.tools.registry import ToolRunner
    from agentrun.tools.shell import BashSession
    from agentrun.tools.spill import Spill

__all__ = ["RunOptions", "Runtime"]


class Runtime:
    """One session's assembled parts. Build with :meth:`open`; always :meth:`close`."""

    spill: Spill | None
    output_chars: int
    ctx: ToolContext
    runner: ToolRunner
    task_tool: TaskTool | None
    """None: this agent may not delegate."""

    def __init__(self) -> None:
        self._cleanup: list[Any] = []
        self.tmp_dir: Path | None = None
        self.sandbox: Sandbox | None = None
        """Bash's sandbox, made at the first Bash call."""
        self._shell: BashSession | None = None
        self.mcp: McpClient | None = None
        self.mcp_servers: list[tuple[str, str]] = []
        """``(name, status)`` of every MCP server, for the init event."""
        self.warnings: list[str] = []
        self.forked_from: str | None = None
        """The session this one was forked from (``fork_session``)."""
        self._sandbox_lock = threading.RLock()
        self.preloader: Preloader
        self.worktree: Worktree | None = None
        """The temporary git worktree the session works in (``isolation: worktree``)."""
        self._early_jail: threading.Thread | None = None

    @classmethod
    def open(cls, options: RunOptions) -> Runtime:
        from agentrun.permissions import read_once

        rt = cls()
        try:
            with read_once():  # the gate and the hooks read the same settings files
                rt._build(options)
            if options.start_jail_early:
                rt._early_jail = start_early(rt)
        except BaseException:
            rt.close()
            raise
        return rt

    def _build(self, o: RunOptions) -> None:
        from agentrun.agentfile.agentfile import AgentSpec, resolve_agent
        from agentrun.agentfile.prompt import build_system_prompt
        from agentrun.core.pricing import PRICES, price_for
        from agentrun.models import resolve_model
        from agentrun.permissions import Gate, offered_tools

        cwd = Path(o.cwd).expanduser().resolve()
        if not cwd.is_dir():
            raise ConfigError(f"working directory {cwd} is not a directory")
        if o.sandbox not in SANDBOX_MODES:
            raise ConfigError(f"unknown sandbox mode {o.sandbox!r}; choose one of {SANDBOX_MODES}")
        self.cwd = cwd
        self.agent = (
            o.agent
            if isinstance(o.agent, AgentSpec)
            else resolve_agent(o.agent, cwd, sources=o.setting_sources)
        )
        if self.agent.fields.isolation == "worktree":
            from agentrun.runner.isolation import open_worktree

            self.worktree = open_worktree(cwd, self.agent.name)
            self.cwd = cwd = self.worktree.cwd
        self.store: SessionStore = o.session_store or FileSessionStore(o.sessions_root)
        self.store.check_writable()
        self._cleanup.append(self.store)
        self.session_id, messages, self.forked_from = choose_session(self.store, o, cwd)
        if isinstance(o.model, str) or o.model is None:
            self.model: Model = resolve_model(
                o.model,
                agent_model=self.agent.model,
                record=o.record,
                replay_drift=o.replay_drift,
                max_retries=o.max_retries,
            )
        else:
            self.model = o.model
            if o.record is not None:
                from agentrun.models.recording import RecordingModel

                self.model = RecordingModel(o.model, Path(o.record))
        self._cleanup.append(self.model)
        from agentrun.context.options import choose_effort

        self.effort = choose_effort(o.effort, self.agent.extra, cwd)
        adapter = getattr(self.model, "inner", self.model)  # a RecordingModel wraps it
        if hasattr(adapter, "effort"):
            adapter.effort = self.effort
        if o.max_budget_usd is not None and price_for(self.model.model_id) is None:
            # Running on would spend without the cap the user asked for.
            raise ConfigError(
                f"--max-budget-usd cannot be enforced: the price of model "
                f"{self.model.model_id!r} is unknown; pick a model with a known price "
                f"({', '.join(sorted(PRICES))}) or drop the budget"
            )
        add_dirs = [Path(d).expanduser().resolve() for d in o.add_dirs]
        memory = self._memory(o, cwd)
        add_dirs += [d for d in memory.roots if d not in add_dirs]
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="agentrun-"))
        writable: list[Path] | None = None  # danger-full-access: the sandbox refuses nothing
        if o.sandbox == "workspace-write":
            from agentrun.core.userhome import home_dirs, home_roots

            held = home_roots([cwd, *add_dirs], home_dirs())
            writable = [r for r in dict.fromkeys([cwd, *add_dirs]) if r not in held]
            self.warnings += [
                f"{r} contains your home directory, so it stays read-only in this session "
                "(Bash and the file tools cannot write there); start in a project directory or "
                "--add-dir one to let the agent write."
                for r in held
            ]
        elif o.sandbox == "read-only":
            writable = []
        self._layers = settings_layers(o)
        self.gate_options: GateKeywords = {
            "allowed": o.allowed_tools,
            "memory_dirs": memory.writable,
            "cwd": cwd,
            "add_dirs": add_dirs,
            "writable_roots": writable,
            "shell_writable": [self.tmp_dir, Path("/tmp"), Path("/dev/shm")]
            if o.sandbox == "workspace-write"
            else [],
            "shell_cwd": lambda: self._shell.cwd if self._shell is not None else None,
            "settings": self._layers,
            "sources": o.setting_sources,
        }
        """Gate.load's options of the session, for a subagent's own gate."""
        from agentrun.permissions.stricter import agent_file_mode

        mode, refused = agent_file_mode(
            o.permission_mode, self.agent.fields.permission_mode, source=self.agent.source
        )
        self.warnings += [refused] if refused else []
        self.permissions: PermissionChecker
        self.permissions = gate = Gate.load(
            mode,
            # The agent file's disallowedTools are deny rules too: `Bash(rm:*)` there must hold
            # like on the command line (bare names are also removed from the offered tools).
            disallowed=[*o.disallowed_tools, *self.agent.disallowed_tools],
            # The agent's `tools` only limit what it has (`Bash(git diff:*)`): never a grant.
            agent_tools=self.agent.tools,
            **self.gate_options,
        )
        names = offered_tools(self.agent.tools, [*self.agent.disallowed_tools, *o.disallowed_tools])
        self._options = o
        self._add_dirs = add_dirs
        offer_tools(self, names, o.strict, gate=gate)
        from agentrun.mcp.present import has_config

        servers = self.agent.extra.get("mcpServers")
        if has_config(cwd, o.mcp_config, servers):
            start_mcp(self, o, names)
        check_script(self.model, [spec.name for spec in self.runner.specs()])
        from agentrun.context.sandbox_text import sandbox_lines

        told = sandbox_lines(
            o.sandbox,
            writable=writable or [],
            allow_network=o.allow_network,
            read_only_roots=[
                r for r in (cwd, *add_dirs) if writable is not None and r not in writable
            ],
        )
        preload, missed = self.preloader.sections(self.agent)
        self.warnings += missed
        describe_bash(self, told)
        self.system = build_system_prompt(
            self.agent,
            cwd=cwd,
            model_id=self.model.model_id,
            append=o.append_system_prompt,
            sandbox=told,
            preload=preload,
            can_read=self.preloader.can_read,
        )
        self.conv = Conversation(self.session_id, messages=messages)
        from agentrun.context.budget import ContextManager

        self.context = ContextManager(
            self.conv,
            self.model,
            tools=self.runner.specs,
            system=self.system,
            persist=self.persist,
            share=o.compact_threshold,
        )
        self.resumed = bool(messages)
        self.hooks = session_hooks(self, o, cwd)
        hooks = self.hooks
        if self.task_tool is not None:
            self.task_tool.delegation.hooks = lambda agent: child_hooks(self.hooks, agent)
        self.context.pre_compact = lambda trigger, instructions: hooks.fire(
            "PreCompact", {"trigger": trigger, "custom_instructions": instructions or ""}
        )
        self.context.post_compact = lambda: (
            hooks.fire("SessionStart", {"source": "compact"}).context
        )
        forked = self.forked_from is not None
        self._header_written = (bool(messages) and not forked) or self.store.exists(self.session_id)
        self._header: JSON = session_header(
            self.session_id,
            cwd=cwd,
            agent=self.agent.name,
            model_id=self.model.model_id,
            forked_from=self.forked_from,
        )
        for message in messages if forked else []:  # the copy, so the fork resumes on its own
            self.persist({"type": "message", "message": message})

    def _memory(self, o: RunOptions, cwd: Path) -> MemoryGrants:
        """Memory directories and skills: see :mod:`agentrun.runner.preload`."""
        from agentrun.runner.preload import Preloader, session_memory

        disallowed = [*self.agent.disallowed_tools, *o.disallowed_tools]
        self.agent, self._found, grants = session_memory(
            self.agent,
            cwd=cwd,
            disallowed=disallowed,
            writable=o.sandbox != "read-only",
            inline=o.agents,
            sources=o.setting_sources,
        )
        self.warnings += grants.warnings
        can_read = lambda path: self.policy.can_read(path)  # noqa: E731 (the policy comes later)
        self.preloader = Preloader(cwd, Path.home(), can_read, grants.dirs, grants.pending)
        return grants

    @functools.cached_property
    def policy(self) -> SandboxPolicy:
        """The sandbox's rules (deny list, writable roots), worked out at the first tool call
        that needs them (see :func:`agentrun.runner.jailparts.make_policy`)."""
        return make_policy(self)

    def enforced_layers(self) -> tuple[str, ...]:
        """The layers Bash and the file tools run under: measured once the jail is up, before
        that the ones it will have (see :func:`agentrun.jail.layers.promised_layers`); none
        without a tool that touches the disk."""
        if self.sandbox is not None:
            return tuple(self.sandbox.enforced)
        if not JAILED_TOOLS.intersection(tool.name for tool in self.runner.tools):
            return ()
        from agentrun.jail.layers import promised_layers

        return promised_layers(self._options.sandbox, allow_network=self._options.allow_network)

    def persist(self, entry: JSON) -> None:
        """Write and flush one transcript entry (the session header first, once)."""
        if not self._header_written:
            self.store.append(self.session_id, self._header, sync=False)
            self._header_written = True
        entry = {**entry, "ts": entry.get("ts", time.time())}
        self.store.append(self.session_id, entry, sync=False)

    def sync(self) -> None:
        """Make the transcript durable; the loop calls it before each model call."""
        self.store.sync(self.session_id)

    def close(self) -> None:
        task = getattr(self, "task_tool", None)  # None too when the session failed to open
        background = task.delegation.background if task is not None else None
        if background is not None:
            # before the jail and the transcript go: a background child uses both
            with contextlib.suppress(Exception):
                background.stop_all()
        if self._early_jail is not None:
            self._early_jail.join()  # what it starts is in _cleanup once it is done
            self._early_jail = None
        for part in self._cleanup:
            closer = getattr(part, "close", None)
            if callable(closer):
                with contextlib.suppress(Exception):
                    closer()
        self._cleanup.clear()
        if self.worktree is not None and not self.worktree.kept:
            with contextlib.suppress(Exception):
                self.worktree.finish()  # after every process that could still write is gone
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None
