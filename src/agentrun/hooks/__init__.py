"""Hooks: Claude Code's hook contract, so the formatters, guards and notifiers people wrote for
it run unchanged.

- :mod:`~agentrun.hooks.table` — the events, one row each;
- :mod:`~agentrun.hooks.config` — the ``hooks`` blocks of the settings files, validated;
- :mod:`~agentrun.hooks.matcher` — what a ``matcher`` selects;
- :mod:`~agentrun.hooks.runner` — running one hook (a command, or an HTTP POST);
- :mod:`~agentrun.hooks.answer` — its answer as a typed value, and one event's answers merged;
- :mod:`~agentrun.hooks.engine` — :class:`Hooks`, what the session fires events through.

Hooks run as the user, outside the jail: they are the user's own programs. That is why the
workspace's settings files are protected paths the model cannot write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.core.lazy import lazy_names

if TYPE_CHECKING:
    from agentrun.hooks.answer import HookAnswer, HookOutcome
    from agentrun.hooks.config import HookCommand, HookConfig, load_hook_config, read_settings_arg
    from agentrun.hooks.engine import Hooks
    from agentrun.hooks.table import EVENTS, EventSpec

__all__ = [
    "EVENTS",
    "EventSpec",
    "HookAnswer",
    "HookCommand",
    "HookConfig",
    "HookOutcome",
    "Hooks",
    "load_hook_config",
    "read_settings_arg",
]

# Each name from its module at first use: a session without hooks loads only the
# configuration reader and the engine, never the runner or the answer parser.
_HOME = {
    "EVENTS": "table",
    "EventSpec": "table",
    "HookAnswer": "answer",
    "HookOutcome": "answer",
    "HookCommand": "config",
    "HookConfig": "config",
    "load_hook_config": "config",
    "read_settings_arg": "config",
    "Hooks": "engine",
}


_lookup = lazy_names(__name__, {name: f"{__name__}.{home}" for name, home in _HOME.items()})


def __getattr__(name: str) -> object:
    return _lookup(name)
