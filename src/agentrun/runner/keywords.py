"""The fields of :class:`~agentrun.runner.options.RunOptions` as keyword arguments.

``agentrun.run(prompt, cwd=..., max_turns=...)``, ``AgentSession(...)`` and the testing kit take
these keywords, typed (``**keywords: Unpack[RunKeywords]``), and build one ``RunOptions`` from
them. ``tests/runner/test_options.py`` fails when a field is added to one and not the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.core.loop import Approver
    from agentrun.core.protocols import Model, SessionStore, Tool
    from agentrun.hooks.config import HookCommand
    from agentrun.runner.options import RunOptions, TranscriptSync


class RunKeywords(TypedDict, total=False):
    """Every :class:`RunOptions` field, each optional (its default is RunOptions')."""

    agent: Any
    cwd: str | Path
    model: str | Model | None
    max_turns: int | None
    max_budget_usd: float | None
    timeout_s: float | None
    permission_mode: str | None
    allowed_tools: Sequence[str]
    disallowed_tools: Sequence[str]
    sandbox: str
    add_dirs: Sequence[str | Path]
    allow_network: bool
    resume: str | None
    continue_session: bool
    append_system_prompt: str | None
    record: str | Path | None
    replay_drift: str
    max_retries: int | None
    strict: bool
    approver: Approver | None
    sessions_root: str | Path | None
    mcp_config: Sequence[str | Path | Mapping[str, Any]]
    strict_mcp_config: bool
    mcp_consent: Callable[[Any], bool] | None
    effort: str | None
    max_output_chars: int | None
    compact_threshold: float | None
    settings: str | Mapping[str, Any] | None
    disable_hooks: bool
    subagent: bool
    session_source: str | None
    session_store: SessionStore | None
    agents: Sequence[AgentSpec]
    extra_tools: Sequence[Tool]
    hook_commands: Sequence[HookCommand]
    fork_session: bool
    setting_sources: Sequence[str] | None
    bash_env: Mapping[str, str]
    start_jail_early: bool
    sync_transcript: TranscriptSync


def build_options(base: RunOptions | None, keywords: RunKeywords) -> RunOptions:
    """``base`` (else the defaults) with ``keywords`` in place of its fields."""
    from agentrun.runner.options import RunOptions

    if base is None:
        return RunOptions(**keywords)
    return dataclasses.replace(base, **keywords)
