"""Hook configuration: the ``hooks`` blocks of the settings files, a ``--settings`` layer and an
agent file's own ``hooks:``, validated into :class:`HookCommand` values.

Shape (Claude Code's)::

    {"hooks": {"PreToolUse": [{"matcher": "Edit|Write",
                               "hooks": [{"type": "command", "command": "...", "timeout": 30}]}]}}

Files, in order (every one that exists adds its hooks): ``~/.claude/settings.json``,
``$AGENTRUN_HOME/settings.json``, the workspace's ``.claude/settings.json``,
``.claude/settings.local.json``, ``.agentrun/settings.json``, ``.agentrun/settings.local.json``,
then ``--settings FILE|JSON``. ``disableAllHooks: true`` in any of them turns every hook off.
A malformed block is a :class:`ConfigError` naming the file and the key: a guard that silently
did not load would be worse than not starting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agentrun.core.errors import ConfigError
from agentrun.permissions import read_settings_json

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "HookCommand",
    "HookConfig",
    "as_subagent_hooks",
    "describe",
    "load_hook_config",
    "parse_hooks",
    "read_settings_arg",
]

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class HookCommand:
    """One configured hook: what runs, for which event and matcher, and where it came from."""

    event: str
    matcher: str
    type: Literal["command", "http", "callback"]
    command: str = ""
    """The shell line; for a ``callback``, the function's name (what reports show)."""
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    timeout_s: float = DEFAULT_TIMEOUT_S
    on_failure: Literal["continue", "block"] = "continue"
    """What a PreToolUse/PermissionRequest hook that fails to answer (crash, timeout, exit
    code other than 0 and 2) means: ``continue`` lets the permission rules decide alone,
    ``block`` denies the call."""
    source: str = ""
    """The file (or ``--settings``, ``agent NAME``) it was configured in."""
    callback: Callable[[dict[str, Any]], dict[str, Any]] | None = field(default=None, compare=False)
    """A ``callback`` hook's function (a Python API's): given the envelope, it returns the
    answer a command hook would print as JSON, and raises ``TimeoutError`` past its time."""

    @property
    def target(self) -> str:
        return self.command if self.type == "command" else self.url


@dataclass(frozen=True)
class HookConfig:
    """Every hook of a session, and whether hooks are turned off."""

    hooks: tuple[HookCommand, ...] = ()
    disabled: bool = False
    warnings: tuple[str, ...] = ()

    def for_event(self, event: str) -> list[HookCommand]:
        if self.disabled:
            return []
        return [h for h in self.hooks if h.event == event]


def settings_files(cwd: Path, home: Path, agentrun_home: Path) -> list[Path]:
    """The settings files hooks are read from, in order."""
    return [
        home / ".claude" / "settings.json",
        agentrun_home / "settings.json",
        cwd / ".claude" / "settings.json",
        cwd / ".claude" / "settings.local.json",
        cwd / ".agentrun" / "settings.json",
        cwd / ".agentrun" / "settings.local.json",
    ]


def load_hook_config(
    cwd: Path,
    *,
    home: Path | None = None,
    agentrun_home: Path | None = None,
    extra: Sequence[tuple[str, Mapping[str, Any]]] = (),
    disable: bool = False,
    sources: Collection[str] | None = None,
) -> HookConfig:
    """Read the hooks of every settings file that exists, then of ``extra`` (``(label,
    settings)`` pairs: ``--settings``, the agent file's ``hooks``), in that order.
    ``sources``: only the files of these kinds (``user``, ``project``, ``local``; None: all)."""
    from agentrun.core.home import agentrun_home as default_home
    from agentrun.permissions import source_kind

    home = home if home is not None else Path.home()
    base = agentrun_home if agentrun_home is not None else default_home()
    layers: list[tuple[str, Mapping[str, Any]]] = []
    seen: set[Path] = set()
    for index, path in enumerate(settings_files(cwd, home, base)):
        resolved = path.resolve()
        if resolved in seen or not path.is_file():  # run from home: one file, read once
            continue
        if sources is not None and source_kind(path, user=index < 2) not in sources:
            continue
        seen.add(resolved)
        layers.append((str(path), read_settings_json(path)))
    layers.extend(extra)
    hooks: list[HookCommand] = []
    warnings: list[str] = []
    disabled = disable
    for label, data in layers:
        flag = data.get("disableAllHooks", False)
        if not isinstance(flag, bool):
            raise ConfigError(f"{label}: disableAllHooks must be true or false")
        disabled = disabled or flag
        if "hooks" in data:
            found, warned = parse_hooks(data["hooks"], label)
            hooks += found
            warnings += warned
    return HookConfig(tuple(hooks), disabled, tuple(warnings))


def as_subagent_hooks(hooks: Sequence[HookCommand]) -> tuple[HookCommand, ...]:
    """A subagent's own hooks (its file's ``hooks:``): its ``Stop`` ones fire when it stops,
    that is as SubagentStop, beside any SubagentStop ones it also has."""
    from dataclasses import replace

    return tuple(replace(h, event="SubagentStop") if h.event == "Stop" else h for h in hooks)


def read_settings_arg(text: str) -> tuple[str, dict[str, Any]]:
    """``--settings FILE|JSON``: a JSON object given inline, or the path of a JSON file."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as e:
            raise ConfigError(f"--settings: invalid JSON: {e.msg} (column {e.colno})") from e
        if not isinstance(data, dict):
            raise ConfigError("--settings: settings must be a JSON object")
        return "--settings", data
    path = Path(text).expanduser()
    return str(path), read_settings_json(path)


def parse_hooks(block: object, label: str) -> tuple[list[HookCommand], list[str]]:
    """Validate one ``hooks`` block; errors name ``label`` and the key at fault."""
    from agentrun.hooks.table import EVENTS  # only where some file has a hooks block

    if not isinstance(block, dict):
        raise ConfigError(f"{label}: 'hooks' must be an object mapping event names to lists")
    found: list[HookCommand] = []
    warnings: list[str] = []
    for event, groups in block.items():
        key = f"hooks.{event}"
        if event not in EVENTS:
            warnings.append(
                f"{label}: {key}: unknown hook event {event!r} (ignored); known events: "
                f"{', '.join(EVENTS)}"
            )
            continue
        if not isinstance(groups, list):
            raise ConfigError(f"{label}: {key} must be a list of {{matcher, hooks}} objects")
        for i, group in enumerate(groups):
            found += _group(group, event, f"{key}[{i}]", label)
    return found, warnings


def _group(group: object, event: str, key: str, label: str) -> list[HookCommand]:
    from agentrun.hooks.matcher import check_matcher

    if not isinstance(group, dict):
        raise ConfigError(f"{label}: {key} must be an object with 'matcher' and 'hooks'")
    matcher = group.get("matcher", "")
    if not isinstance(matcher, str):
        raise ConfigError(f"{label}: {key}.matcher must be a string")
    problem = check_matcher(matcher)
    if problem is not None:
        raise ConfigError(f"{label}: {key}.matcher {matcher!r}: {problem}")
    entries = group.get("hooks")
    if not isinstance(entries, list):
        raise ConfigError(f"{label}: {key}.hooks must be a list of hook objects")
    return [_hook(h, event, matcher, f"{key}.hooks[{j}]", label) for j, h in enumerate(entries)]


def _hook(entry: object, event: str, matcher: str, key: str, label: str) -> HookCommand:
    if not isinstance(entry, dict):
        raise ConfigError(f"{label}: {key} must be an object with 'type' and 'command'")
    kind = entry.get("type", "command")
    timeout = entry.get("timeout", DEFAULT_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{label}: {key}.timeout must be a positive number of seconds")
    on_failure = entry.get("onFailure", "continue")
    if on_failure not in ("continue", "block"):
        raise ConfigError(f"{label}: {key}.onFailure must be 'continue' or 'block'")
    common: dict[str, Any] = {
        "event": event,
        "matcher": matcher,
        "timeout_s": float(timeout),
        "on_failure": on_failure,
        "source": label,
    }
    if kind == "command":
        command = entry.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ConfigError(f"{label}: {key}.command must be a non-empty string")
        return HookCommand(type="command", command=command, **common)
    if kind == "http":
        url = entry.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{label}: {key}.url must be an http:// or https:// URL")
        headers = entry.get("headers", {})
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise ConfigError(f"{label}: {key}.headers must map names to strings")
        return HookCommand(type="http", url=url, headers=tuple(headers.items()), **common)
    raise ConfigError(f"{label}: {key}.type {kind!r} is not a hook type; use 'command' or 'http'")


def describe(config: HookConfig) -> list[str]:
    """One line per configured hook, grouped by event, each with the file it came from."""
    if not config.hooks:
        return ["no hooks configured"]
    lines = ["all hooks are turned off (disableAllHooks / --no-hooks)"] if config.disabled else []
    for event in dict.fromkeys(h.event for h in config.hooks):
        lines.append(f"{event}:")
        for h in (h for h in config.hooks if h.event == event):
            matcher = f"[{h.matcher}] " if h.matcher not in ("", "*") else ""
            extra = f", onFailure {h.on_failure}" if h.on_failure != "continue" else ""
            lines.append(
                f"  {matcher}{h.type} {h.target}  (timeout {h.timeout_s:g} s{extra}; {h.source})"
            )
    return lines
