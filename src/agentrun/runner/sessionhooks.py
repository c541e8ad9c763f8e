"""The session's hooks: the settings files' ``hooks``, ``--settings``, the agent file's own
``hooks:`` and a Python API's callbacks, and a subagent's hooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentrun.agentfile.agentfile import AgentSpec
    from agentrun.hooks import Hooks
    from agentrun.runner.options import RunOptions
    from agentrun.runner.runtime import Runtime


def session_hooks(rt: Runtime, o: RunOptions, cwd: Path) -> Hooks:
    """The session's hooks (a malformed ``hooks`` block is a ConfigError, before any model
    call); the agent file's own ``hooks:`` apply to this agent only."""
    from dataclasses import replace

    from agentrun.hooks import Hooks, load_hook_config

    layers = list(rt._layers)
    own = rt.agent.extra.get("hooks")
    label = f"agent {rt.agent.name} ({rt.agent.path})"
    if own is not None:
        layers.append((label, {"hooks": own}))
    config = load_hook_config(cwd, extra=layers, disable=o.disable_hooks, sources=o.setting_sources)
    if own is not None and o.subagent:
        from agentrun.hooks.config import as_subagent_hooks

        # Stop hooks of a subagent's own file fire as SubagentStop, beside its SubagentStop ones.
        mine = as_subagent_hooks([h for h in config.hooks if h.source == label])
        others = [h for h in config.hooks if h.source != label]
        config = replace(config, hooks=(*others, *mine))
    if o.hook_commands and not config.disabled:
        config = replace(config, hooks=(*config.hooks, *o.hook_commands))
    gate = rt.permissions
    return Hooks(
        config,
        cwd=cwd,
        session_id=rt.session_id,
        transcript_path=rt.store.path(rt.session_id),
        permission_mode=lambda: gate.mode,
        subagent=o.subagent,
    )


def child_hooks(hooks: Hooks, agent: AgentSpec) -> Hooks:
    """A subagent's hooks: the session's, plus its own file's ``hooks:`` if it has any."""
    own = agent.extra.get("hooks")
    if own is None:
        return hooks
    return hooks.for_subagent(f"agent {agent.name} ({agent.path})", own)


def settings_layers(o: RunOptions) -> list[tuple[str, Mapping[str, Any]]]:
    """``--settings``: a file, JSON text or (from Python) a mapping."""
    if o.settings is None:
        return []
    if isinstance(o.settings, str):
        from agentrun.hooks import read_settings_arg

        return [read_settings_arg(o.settings)]
    return [("--settings", o.settings)]
