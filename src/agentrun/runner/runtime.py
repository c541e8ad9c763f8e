"""Assembling one session: agent, model, sandbox, tools, permissions, transcript.

Everything that can be wrong with the configuration (agent file, model spec, API key, session to
resume, sandbox mode, a budget on a model whose price is unknown) raises a ConfigError here,
before any model call. The heavy parts (the path checks, the shell and its sandbox) are built at
the first tool call that needs them: a run that answers without tools never imports them.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from agentrun.core.errors import ConfigError, SessionError
from agentrun.core.loop import Approver, Conversation
from agentrun.core.vocab import DEFAULT_AGENT, DEFAULT_SANDBOX, JAILED_TOOLS, SANDBOX_MODES
from agentrun.session.store import (
    SESSION_FORMAT,
    FileSessionStore,
    new_session_id,
    rebuild_messages,
)

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.protocols import Model, PermissionChecker, Sandbox, SessionStore, Tool
    from agentrun.core.types import JSON
    from agentrun.hooks import Hooks
    from agentrun.hooks.config import HookCommand
    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.paths import Workspace
    from agentrun.jail.policy import SandboxMode, SandboxPolicy
    from agentrun.mcp.client import McpClient
    from agentrun.mcp.config import ServerConfig
    from agentrun.runner.isolation import Worktree
    from agentrun.runner.preload import MemoryGrants, Preloader
    from agentrun.subagent.task import TaskTool
    from agentrun.tools.shell import BashSession
    from agentrun.tools.spill import Spill


@dataclass(frozen=True)
class RunOptions:
    """The options of :func:`agentrun.runner.api.run` and
    :class:`agentrun.runner.api.AgentSession`."""

    agent: Any = DEFAULT_AGENT
    """An agent name, a path to an agent file, or an ``AgentSpec``."""
    cwd: str | Path = "."
    model: str | Model | None = None
    max_turns: int | None = None
    max_budget_usd: float | None = None
    timeout_s: float | None = None
    permission_mode: str | None = "default"
    """None: the settings files' ``defaultMode``, else ``default``."""
    allowed_tools: Sequence[str] = ()
    disallowed_tools: Sequence[str] = ()
    sandbox: str = DEFAULT_SANDBOX
    add_dirs: Sequence[str | Path] = ()
    allow_network: bool = False
    resume: str | None = None
    continue_session: bool = False
    append_system_prompt: str | None = None
    record: str | Path | None = None
    replay_drift: str = "error"
    max_retries: int | None = None
    """API retries (the SDK's); None: ``$AGENTRUN_MAX_RETRIES``, else 2."""
    strict: bool = False
    approver: Approver | None = None
    sessions_root: str | Path | None = None
    """Where transcripts go; default ``$AGENTRUN_HOME/sessions``."""
    mcp_config: Sequence[str | Path | Mapping[str, Any]] = ()
    """``--mcp-config`` values: files, JSON text, or ``{"mcpServers": ...}`` mappings (only a
    mapping may hold an in-process ``sdk`` server, from ``agentrun.sdk.create_sdk_mcp_server``)."""
    strict_mcp_config: bool = False
    mcp_consent: Callable[[Any], bool] | None = None
    """Asks whether a project's ``.mcp.json`` server may start (interactive); None: only
    the user's settings decide."""
    effort: str | None = None
    """``output_config.effort`` (low ... max); None: agent file, settings, else the default."""
    max_output_chars: int | None = None
    """A tool output longer than this (Bash, Grep, MCP results; Read past its own 25,000-token
    limit) is saved whole to a file; the model gets a preview and the path (0: it is only cut).
    None: the settings files' ``maxOutputChars``, else 30,000."""
    compact_threshold: float | None = None
    """Compact past this share of the window; None: ``$CLAUDE_AUTOCOMPACT_PCT_OVERRIDE``, 0.85."""
    settings: str | Mapping[str, Any] | None = None
    """One more settings layer for this run (``--settings``): a JSON file's path, JSON text,
    or a mapping; its ``hooks`` and ``disableAllHooks`` apply."""
    disable_hooks: bool = False
    """Run no hooks at all (``--no-hooks``), like ``disableAllHooks``."""
    subagent: bool = False
    """The agent runs as a subagent: its Stop hooks fire as SubagentStop."""
    agents: Sequence[AgentSpec] = ()
    """Agents defined in code (Claude Code's ``--agents``, the SDK's ``agents=``): offered to
    the Task tool beside the discovered agent files, replacing one of the same name."""
    session_source: str | None = None
    """What SessionStart hooks are told (``clear``, ``compact``); None: startup or resume."""
    session_store: SessionStore | None = None
    """Where transcripts go instead of JSONL files under ``sessions_root`` (closed with the
    session); it must pass :mod:`agentrun.testing.storesuite`."""
    extra_tools: Sequence[Tool] = ()
    """More tools offered to the model (a Python API's own), decided by the gate like any."""
    hook_commands: Sequence[HookCommand] = ()
    """More hooks (a Python API's callbacks), after the settings files' ones."""
    fork_session: bool = False
    """With ``resume``/``continue_session``: start a new session from a copy of that one."""
    setting_sources: Sequence[str] | None = None
    """Which settings files are read (``user``, ``project``, ``local``; None: all of them), and
    which agent files: ``~/.claude/agents`` with ``user``, the workspace's ``.claude/agents``
    (and its parents') with ``project``; the built-in agents always."""
    bash_env: Mapping[str, str] = field(default_factory=dict)
    """Variables added to every Bash command's environment (never ``ANTHROPIC_*``)."""


class Runtime:
    """One session's assembled parts. Build with :meth:`open`; always :meth:`close`."""

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

    @classmethod
    def open(cls, options: RunOptions) -> Runtime:
        from agentrun.permissions import read_once

        rt = cls()
        try:
            with read_once():  # the gate and the hooks read the same settings files
                rt._build(options)
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
        self.session_id, messages = self._session(o, cwd)
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
            writable = [cwd, *add_dirs]
        elif o.sandbox == "read-only":
            writable = []
        self._layers = self._settings_layers(o)
        self.gate_options: dict[str, Any] = {
            "allowed": (*o.allowed_tools, *memory.allow),
            "cwd": cwd,
            "add_dirs": add_dirs,
            "writable_roots": writable,
            "shell_writable": [self.tmp_dir, Path("/tmp"), Path("/dev/shm")] if writable else [],
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
        self._tools(names, o.strict, gate=gate)
        from agentrun.mcp.present import has_config

        servers = self.agent.extra.get("mcpServers")
        if has_config(cwd, o.mcp_config, servers):
            self._mcp(o, names)
        _check_script(self.model, [spec.name for spec in self.runner.specs()])
        from agentrun.context.sandbox_text import sandbox_lines

        told = sandbox_lines(o.sandbox, writable=writable or [], allow_network=o.allow_network)
        preload, missed = self.preloader.sections(self.agent)
        self.warnings += missed
        self._describe_bash(told)
        self.system = build_system_prompt(
            self.agent,
            cwd=cwd,
            model_id=self.model.model_id,
            append=o.append_system_prompt,
            sandbox=told,
            preload=preload,
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
        self.hooks = self._hooks(o, cwd)
        hooks = self.hooks
        if self.task_tool is not None:
            self.task_tool.delegation.hooks = self._child_hooks
        self.context.pre_compact = lambda trigger, instructions: hooks.fire(
            "PreCompact", {"trigger": trigger, "custom_instructions": instructions or ""}
        )
        self.context.post_compact = lambda: (
            hooks.fire("SessionStart", {"source": "compact"}).context
        )
        forked = self.forked_from is not None
        self._header_written = (bool(messages) and not forked) or self.store.exists(self.session_id)
        self._header: JSON = {
            "type": "session",
            "version": SESSION_FORMAT,
            "session_id": self.session_id,
            "cwd": str(cwd),
            "agent": self.agent.name,
            "model": self.model.model_id,
            "created": time.time(),
            **({"forked_from": self.forked_from} if forked else {}),
        }
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
        self.preloader = Preloader(cwd, Path.home(), can_read, grants.dirs)
        return grants

    def _hooks(self, o: RunOptions, cwd: Path) -> Hooks:
        """The session's hooks (a malformed ``hooks`` block is a ConfigError, before any model
        call); the agent file's own ``hooks:`` apply to this agent only."""
        from dataclasses import replace

        from agentrun.hooks import Hooks, load_hook_config

        layers = list(self._layers)
        own = self.agent.extra.get("hooks")
        label = f"agent {self.agent.name} ({self.agent.path})"
        if own is not None:
            layers.append((label, {"hooks": own}))
        config = load_hook_config(
            cwd, extra=layers, disable=o.disable_hooks, sources=o.setting_sources
        )
        if own is not None and o.subagent:
            from agentrun.hooks.config import as_subagent_hooks

            mine = as_subagent_hooks([h for h in config.hooks if h.source == label])
            others = [h for h in config.hooks if h.source != label]
            config = replace(config, hooks=(*others, *mine))
        if o.hook_commands and not config.disabled:
            config = replace(config, hooks=(*config.hooks, *o.hook_commands))
        gate = self.permissions
        return Hooks(
            config,
            cwd=cwd,
            session_id=self.session_id,
            transcript_path=self.store.path(self.session_id),
            permission_mode=lambda: gate.mode,
            subagent=o.subagent,
        )

    def _child_hooks(self, agent: AgentSpec) -> Hooks:
        """A subagent's hooks: the session's, plus its own file's ``hooks:`` if it has any."""
        own = agent.extra.get("hooks")
        if own is None:
            return self.hooks
        return self.hooks.for_subagent(f"agent {agent.name} ({agent.path})", own)

    @staticmethod
    def _settings_layers(o: RunOptions) -> list[tuple[str, Mapping[str, Any]]]:
        """``--settings``: a file, JSON text or (from Python) a mapping."""
        if o.settings is None:
            return []
        if isinstance(o.settings, str):
            from agentrun.hooks import read_settings_arg

            return [read_settings_arg(o.settings)]
        return [("--settings", o.settings)]

    def _session(self, o: RunOptions, cwd: Path) -> tuple[str, list[Any]]:
        session_id = o.resume
        if o.continue_session and session_id is None:
            session_id = self.store.latest_for_cwd(cwd)
            if session_id is None:
                raise ConfigError(f"no saved session to continue in {cwd}")
        if session_id is None:
            return new_session_id(), []
        try:
            session_id = self.store.resolve(session_id)
            if o.fork_session:  # a new session starting from a copy: the original is untouched
                self.forked_from = session_id
                return new_session_id(), rebuild_messages(self.store.load(session_id))
            if self.store.exists(session_id):
                # Held for this run (another run resuming it now is refused), and a line torn
                # by a crash is dropped before anything is appended after it.
                self.store.claim(session_id)
            return session_id, rebuild_messages(self.store.load(session_id))
        except SessionError as e:
            raise ConfigError(str(e)) from e

    def _tools(
        self,
        names: list[str],
        strict: bool,
        *,
        gate: PermissionChecker,
    ) -> None:
        from agentrun.tools.base import ToolContext
        from agentrun.tools.records import ReadRecords
        from agentrun.tools.registry import ToolRunner, build_tools

        self.spill: Spill | None = None
        from agentrun.context.options import choose_output_chars

        self.output_chars = choose_output_chars(self._options.max_output_chars, self.cwd)
        if self.output_chars:
            from agentrun.tools.spill import Spill

            # Made now: the jail binds this directory read-only when it starts.
            assert self.tmp_dir is not None
            self.spill = Spill(self.tmp_dir, threshold=self.output_chars)
        self.ctx = ToolContext(
            reads=ReadRecords(),
            open_workspace=self._open_workspace,
            open_shell=self._open_shell if "Bash" in names else None,
            strict=strict,
            search_filter=gate.search_filter,
            check_resolved=gate.check_resolved,
            spill=self.spill,
        )
        tools = [*build_tools(names), *self._options.extra_tools]
        from agentrun.permissions.delegation import delegation_tool_name

        o = self._options
        disallowed = [*self.agent.disallowed_tools, *o.disallowed_tools]
        self.task_tool: TaskTool | None = None  # None: this agent may not delegate
        if delegation_tool_name(self.agent.tools, disallowed) is not None:
            self.task_tool = self._offer_task(names, strict, gate=gate, disallowed=disallowed)
        if self.task_tool is not None:
            tools.append(self.task_tool)
        self.runner = ToolRunner(tools, self.ctx, strict=strict)

    def _offer_task(
        self,
        names: list[str],
        strict: bool,
        *,
        gate: PermissionChecker,
        disallowed: list[str],
    ) -> TaskTool | None:
        """The Task tool, for an agent that may delegate (only then is the subagent package
        loaded)."""
        from agentrun.subagent.offer import task_tool

        o = self._options
        return task_tool(
            self.agent,
            disallowed=disallowed,
            cwd=self.cwd,
            session_id=self.session_id,
            model=self.model,
            gate=gate,
            ctx=self.ctx,
            tools=names,
            gate_options=self.gate_options,
            persist=self.persist,
            approver=o.approver,
            max_retries=o.max_retries,
            strict=strict,
            found=self._found,
            preload=self.preloader.for_subagent,
            new_shell=self._child_shell,
            deny=o.disallowed_tools,
        )

    def _mcp(self, o: RunOptions, names: list[str]) -> None:
        """Start the session's MCP servers (concurrently) and offer their tools."""
        _preload_sdk_for(self.model)
        from agentrun.mcp.session import open_mcp

        opened = open_mcp(
            self.cwd,
            flags=o.mcp_config,
            strict=o.strict_mcp_config,
            agent=self.agent,
            disallowed=[*self.agent.disallowed_tools, *o.disallowed_tools],
            ask=o.mcp_consent,
            jail_spawn=self._mcp_jail_spawn,
            sources=o.setting_sources,
        )
        self.mcp = opened.client
        if opened.client is not None:
            self._cleanup.insert(0, opened.client)
        self.mcp_servers = opened.statuses
        self.warnings += opened.warnings
        if opened.tools:
            from agentrun.tools.registry import ToolRunner

            self.runner = ToolRunner([*self.runner.tools, *opened.tools], self.ctx, strict=o.strict)

    def _mcp_jail_spawn(self, config: ServerConfig, env: dict[str, str]) -> tuple[Any, Any]:
        """A ``"sandbox": true`` stdio server, started in the session jail (network as
        ``--allow-network`` says): its stdin and stdout are one socket, its stderr dropped."""
        import socket

        with self._sandbox_lock:
            sandbox = self._open_sandbox()
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = ["/bin/sh", "-c", 'exec "$@" <&1 2>/dev/null', "sh", config.command, *config.args]
        try:
            cwd = Path(config.cwd) if config.cwd else self.cwd
            process = sandbox.spawn(argv, cwd=cwd, env=env, stdout=theirs.fileno())
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        return mine, process

    def _describe_bash(self, told: list[str]) -> None:
        """Bash's description gains the sandbox lines: the model reads them with the tool."""
        from agentrun.context.sandbox_text import bash_description
        from agentrun.tools.registry import LazyTool

        for tool in self.runner.tools:
            if tool.name == "Bash" and isinstance(tool, LazyTool):
                tool.description = bash_description(
                    tool.description, told, spill_chars=self.output_chars
                )

    @functools.cached_property
    def policy(self) -> SandboxPolicy:
        """The sandbox's rules (deny list, writable roots), worked out at the first tool call
        that needs them: it reads the file system and the interpreter's layout (~2 ms)."""
        from agentrun.jail.policy import SandboxPolicy

        o = self._options
        return SandboxPolicy.create(
            self.cwd,
            mode=cast("SandboxMode", o.sandbox),
            add_dirs=self._add_dirs,
            allow_network=o.allow_network,
            # Read deny rules hold for Bash too where the kernel can enforce them
            extra_read_deny=self.permissions.read_deny_paths(),
            # `.claude/agents` named by `Edit(./.claude/agents/**)`: writable after all.
            unprotect=self.permissions.writable_protected_paths(),
            state_dirs=[o.sessions_root] if o.sessions_root is not None else (),
        )

    def _open_workspace(self) -> Workspace:
        """The file tools' door: in a confined mode, through the jail's file server (the jail
        starts at the first file tool call), so they reach exactly what Bash can."""
        if not self.policy.confined:
            from agentrun.jail.paths import Workspace

            return Workspace(self.policy)
        from agentrun.jail.fileclient import jailed_workspace

        jail = cast("JailSandbox", self._open_sandbox())  # open_sandbox's answer when confined
        workspace = jailed_workspace(self.policy, jail)
        self._cleanup.append(workspace.channel)
        return workspace

    def _open_sandbox(self) -> Sandbox:
        """The session's one sandbox, shared by Bash and the file tools (callers hold the
        tool context's lock; a subagent's shell comes from its own thread: the lock)."""
        with self._sandbox_lock:
            return self._make_sandbox()

    def _make_sandbox(self) -> Sandbox:
        if self.sandbox is None:
            from agentrun.jail import open_sandbox

            assert self.tmp_dir is not None
            # One private tmp for both: the jail makes exactly this directory writable.
            sealed = [self.spill.dir] if self.spill is not None else []
            self.sandbox = open_sandbox(self.policy, tmp_dir=self.tmp_dir, sealed=sealed)
            self._cleanup.append(self.sandbox)
        return self.sandbox

    def _open_shell(self) -> BashSession:
        """The shell and its sandbox, at the first Bash call (the jail itself starts at the
        first spawn)."""
        from agentrun.tools.shell import BashSession

        assert self.tmp_dir is not None
        sandbox = self._open_sandbox()
        roots = self.policy.readable_roots
        env = self._bash_env(self.tmp_dir)
        shell = self._shell = BashSession(
            sandbox, cwd=self.cwd, tmp_dir=self.tmp_dir, env=env, roots=roots
        )
        # Big outputs go whole to a file in the tmp dir, which the jail binds read-only.
        shell.spill = self.spill
        self._cleanup.insert(0, shell)  # the shell's jobs die before the sandbox closes
        return shell

    def _child_shell(self) -> BashSession:
        """A subagent's own shell: its own cwd, environment and jobs, in the session's jail.
        Its tmp dir is a fresh one inside the session's (made by mkdtemp: the jailed commands
        that can write there cannot have planted it)."""
        from agentrun.tools.shell import BashSession

        assert self.tmp_dir is not None
        sandbox = self._open_sandbox()
        tmp = Path(tempfile.mkdtemp(prefix="subagent-", dir=self.tmp_dir))
        roots = self.policy.readable_roots
        env = self._bash_env(tmp)
        shell = BashSession(sandbox, cwd=self.cwd, tmp_dir=tmp, env=env, roots=roots)
        shell.spill = self.spill  # the session's sealed directory, read-only to jailed commands
        return shell

    def _bash_env(self, tmp_dir: Path) -> dict[str, str] | None:
        """A shell's environment: None for BashSession's own allowlist, else that allowlist
        with the run's ``bash_env`` added."""
        if not self._options.bash_env:
            return None
        from agentrun.tools.shell import build_env

        home = tmp_dir / "home"
        home.mkdir(exist_ok=True)
        return build_env(home=home, tmp_dir=tmp_dir, extra=self._options.bash_env)

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


def _preload_sdk_for(model: Model) -> None:
    """Import the Anthropic SDK in a background thread while the MCP servers start: the first
    request needs it, and the servers' start (seconds) would otherwise come before it instead
    of alongside. Only for the Anthropic adapter (already loaded when it is the model)."""
    adapter = sys.modules.get("agentrun.models.anthropic")
    if adapter is None or "anthropic" in sys.modules:
        return
    inner = getattr(model, "inner", model)  # a RecordingModel wraps it
    if isinstance(inner, adapter.AnthropicModel):
        threading.Thread(target=adapter.preload_sdk, name="sdk-preload", daemon=True).start()


def _check_script(model: Model, offered: list[str]) -> None:
    """A scripted model's tool names, checked before any turn (see ScriptedModel.check_tools).
    Only when the scripted module is loaded at all: a real run never imports it for this."""
    scripted = sys.modules.get("agentrun.models.scripted")
    recording = sys.modules.get("agentrun.models.recording")
    if recording is not None and isinstance(model, recording.RecordingModel):
        model = model.inner
    if scripted is not None and isinstance(model, scripted.ScriptedModel):
        model.check_tools(offered)
