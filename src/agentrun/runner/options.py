"""The options of one run: the only copy, typed, built by ``run()``, ``AgentSession``, the CLI and
the testing kit (see :mod:`agentrun.runner.keywords`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from agentrun.core.vocab import DEFAULT_AGENT, DEFAULT_SANDBOX

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.loop import Approver
    from agentrun.core.protocols import Model, SessionStore, Tool
    from agentrun.hooks.config import HookCommand

TranscriptSync = Literal["each_call", "end"]
"""When a run's transcript is made durable (see ``RunOptions.sync_transcript``)."""


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
    start_jail_early: bool = False
    """Start the jail and its file server as the session opens, on a thread, so the first tool
    call finds them up (a batch task, which almost surely uses a tool; its sandbox policy is
    then fixed as the session opens, not at that call); by default the jail starts at the first
    tool call that needs it, and a session that never needs it never pays."""
    sync_transcript: TranscriptSync = "each_call"
    """When the transcript is fsynced (its entries are written and flushed as they happen
    either way, so a killed process loses nothing): ``"each_call"`` before every model call and
    as the run ends, so not even an OS crash loses a completed step of a session one may resume
    (``-p``, the REPL, the Python API); ``"end"`` only as the run ends, before ``run`` returns
    (a batch task: one that dies is rerun from scratch in a fresh worktree and its results line
    is the durable record, so a per-call sync buys nothing there; a finished task's transcript
    is still complete and synced before that line is written)."""
