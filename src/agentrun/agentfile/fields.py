"""Claude Code's optional agent-file fields, read into typed values.

Each field keeps Claude Code's meaning; a value Claude Code would ignore is a warning naming the
file and line (the run goes on without it), never an error: published agent files carry many
small mistakes and one of them should not stop an agent that otherwise works. The keys stay in
``AgentSpec.extra`` as written, too.

- ``permissionMode``: one of :data:`PERMISSION_MODES`.
- ``maxTurns``: a whole number of turns, at least 1 (``"30"`` is read as 30).
- ``skills``: skill names, as a YAML list or a comma string.
- ``memory``: ``user``, ``project`` or ``local`` (where the agent's memory directory lives).
- ``effort``: kept lower-cased; the run checks it against the model's levels.
- ``isolation``: ``worktree`` (the agent works in a temporary git worktree).
- ``background``: a boolean (a Task of this agent runs in the background).
- ``color``: the REPL's colour for the agent (Claude Code's names are :data:`COLORS`; another
  name is kept).
- ``mcpServers`` and ``hooks``: kept as written; the MCP and hooks packages validate them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentrun.core.vocab import PERMISSION_MODES

MEMORY_SCOPES = ("user", "project", "local")
ISOLATIONS = ("worktree",)
COLORS = ("red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan")
_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")

Say = Callable[[str | None, str], str]
"""``say(key, message)``: the message prefixed with the file and the key's line."""


@dataclass(frozen=True)
class Fields:
    """The optional fields of one agent file; None (or ``()``) where absent or unusable."""

    permission_mode: str | None = None
    max_turns: int | None = None
    skills: tuple[str, ...] = ()
    memory: str | None = None
    effort: str | None = None
    isolation: str | None = None
    background: bool = False
    color: str | None = None
    mcp_servers: Any = None
    hooks: Any = None


def read_fields(data: dict[Any, Any], say: Say, warnings: list[str]) -> Fields:
    """The optional fields of frontmatter ``data``; problems are appended to ``warnings``."""

    def warn(key: str, message: str) -> None:
        warnings.append(say(key, f"{message}; ignored"))

    def choice(key: str, allowed: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip() in allowed:
            return value.strip()
        warn(key, f"`{key}` must be one of {', '.join(allowed)}, got {value!r}")
        return None

    return Fields(
        permission_mode=choice("permissionMode", PERMISSION_MODES),
        max_turns=_max_turns(data.get("maxTurns"), warn),
        skills=_names(data.get("skills"), warn),
        memory=choice("memory", MEMORY_SCOPES),
        effort=_effort(data.get("effort"), warn),
        isolation=choice("isolation", ISOLATIONS),
        background=_flag(data.get("background"), warn),
        color=_color(data.get("color"), warnings, say),
        mcp_servers=data.get("mcpServers"),
        hooks=data.get("hooks"),
    )


def _max_turns(value: Any, warn: Callable[[str, str], None]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        warn("maxTurns", f"`maxTurns` must be a whole number of at least 1, got {value!r}")
        return None
    return value


def _names(value: Any, warn: Callable[[str, str], None]) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        warn("skills", f"`skills` must be a list of skill names, got {value!r}")
        return ()
    names = [i.strip() for i in items if i.strip()]
    bad = [n for n in names if "/" in n or n in (".", "..") or "\x00" in n]
    if bad:
        # A skill name is a directory under a skills folder, never a path out of it.
        warn("skills", f"`skills` names may not contain '/' or be '.'/'..': {', '.join(bad)}")
        names = [n for n in names if n not in bad]
    return tuple(dict.fromkeys(names))


def _effort(value: Any, warn: Callable[[str, str], None]) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        warn("effort", f"`effort` must be a level such as low, medium or high, got {value!r}")
        return None
    return str(value).strip().lower() or None


def _flag(value: Any, warn: Callable[[str, str], None]) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    warn("background", f"`background` must be true or false, got {value!r}")
    return False


def _color(value: Any, warnings: list[str], say: Say) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        warnings.append(say("color", f"`color` must be a colour name, got {value!r}; ignored"))
        return None
    # Claude Code's REPL knows the names of COLORS; another name is kept (a terminal may know it)
    return value.strip().lower()
