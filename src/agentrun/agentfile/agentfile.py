"""Agent files (Markdown + YAML frontmatter) -> :class:`AgentSpec`, and where agents are found.

Field rules (the forms real agent files use: ``tests/agentfile/test_agentfile_variants.py``):

- ``name`` and ``description`` are required strings; a literal ``\\n`` in a description is a
  newline. ``name`` need not match the file name.
- ``tools``: a comma string (split on commas outside parentheses), a YAML list, or one name.
  Absent, ``tools:`` with nothing after it (YAML null, as Claude Code reads it) and ``"*"`` mean
  *all tools* (``None``); ``tools: []`` or ``tools: ""`` mean *no tools* (``()``). Names agentrun
  does not provide (MCP, WebFetch, Task, lower-case, free text) are kept and warned about.
  ``Bash(git diff:*)``-style entries are also kept in ``permission_rules``.
- ``disallowedTools`` (or ``disallowed_tools``): the same forms; absent or empty = ``()``.
- ``model``: any string is kept as written (``inherit`` included; consumers treat ``inherit`` and
  ``None`` as "the default"); anything else is an error.
- Claude Code's optional fields (``permissionMode``, ``maxTurns``, ``skills``, ``memory``,
  ``effort``, ``isolation``, ``background``, ``color``, ``mcpServers``, ``hooks``) are read into
  ``fields`` (see :mod:`agentrun.agentfile.fields`) and also kept in ``extra`` as written.
- Every other key is kept in ``extra``. Problems that do not stop a run are ``warnings``.

Discovery: :mod:`agentrun.agentfile.discovery` (its names are importable from here too).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrun.agentfile.agentyaml import Parsed, normalise, parse_frontmatter, split_frontmatter
from agentrun.agentfile.discovery import (
    builtin_agents_dir,
    discover_agents,
    find_agents,
    looks_like_path,
    resolve_agent,
)
from agentrun.agentfile.fields import Fields, read_fields
from agentrun.core.errors import AgentFileError
from agentrun.core.pricing import ALIASES
from agentrun.core.vocab import BUILTIN_TOOLS, DEFAULT_TOOLS, SUBAGENT_TOOLS, TOOL_ALIASES

__all__ = [
    "KNOWN_TOOLS",
    "AgentSpec",
    "builtin_agents_dir",
    "discover_agents",
    "find_agents",
    "load_agent",
    "looks_like_path",
    "parse_agent",
    "resolve_agent",
]

# Listed in warnings in this order: Claude Code's classic tools, the subagent's, then the rest.
KNOWN_TOOLS = (*DEFAULT_TOOLS, *SUBAGENT_TOOLS, *BUILTIN_TOOLS[len(DEFAULT_TOOLS) :], *TOOL_ALIASES)
_MODEL_ALIASES = frozenset({"inherit", "default", *ALIASES})
_RULE = re.compile(r"[A-Za-z_][\w-]*\(.*\)", re.DOTALL)
_NAME_STYLE = re.compile(r"[a-z0-9][a-z0-9._:-]*")
_CORE_KEYS = frozenset({"name", "description", "tools", "disallowedTools", "disallowed_tools"})


@dataclass(frozen=True)
class AgentSpec:
    """One agent file, validated. ``tools=None`` means all tools; ``()`` means none."""

    name: str
    description: str
    tools: tuple[str, ...] | None = None
    disallowed_tools: tuple[str, ...] = ()
    model: str | None = None
    prompt: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    permission_rules: tuple[str, ...] = ()
    """The ``Tool(spec)`` entries of ``tools``: what the agent is limited to, never a grant."""
    source: str = "path"
    shadows: Path | None = None
    """The built-in or user agent file this workspace file replaces (same name), if any."""
    fields: Fields = field(default_factory=Fields)
    """Claude Code's optional fields, typed (their raw values are in ``extra`` too)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (lists for tuples, strings for paths and dates)."""
        return {
            "name": self.name,
            "description": self.description,
            "tools": list(self.tools) if self.tools is not None else None,
            "disallowed_tools": list(self.disallowed_tools),
            "model": self.model,
            "prompt": self.prompt,
            "path": str(self.path) if self.path is not None else None,
            "extra": _jsonable(self.extra),
            "warnings": list(self.warnings),
            "permission_rules": list(self.permission_rules),
            "source": self.source,
            "fields": _jsonable(dataclasses.asdict(self.fields)),
            **({"shadows": str(self.shadows)} if self.shadows is not None else {}),
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def load_agent(
    path: str | os.PathLike[str], *, source: str = "path", strict: bool = False
) -> AgentSpec:
    """Read and validate one agent file; raise AgentFileError (with file and line) if unusable.

    ``strict=True`` refuses frontmatter that does not open on the first non-blank line; by
    default the two misplaced forms found in published files (inside a ```` ```yaml ```` fence
    under a heading, or indented) are read with a warning.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise AgentFileError(f"cannot read the agent file: {e.strerror or e}", path=file) from e
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise AgentFileError(
            f"not UTF-8 text (byte {raw[e.start]:#04x} at offset {e.start})", path=file, line=line
        ) from e
    return parse_agent(text, path=file, source=source, strict=strict)


def parse_agent(
    text: str, *, path: Path | None = None, source: str = "path", strict: bool = False
) -> AgentSpec:
    """Validate agent-file ``text``; ``path`` only labels messages. See :func:`load_agent`."""
    split = split_frontmatter(normalise(text), path, strict=strict)
    parsed = parse_frontmatter(split, path)
    warnings = list(split.warnings) + list(parsed.warnings)
    data = parsed.data
    where = _Where(path, parsed, split.open_line)

    name = _required_string(data, "name", where)
    if not _NAME_STYLE.fullmatch(name):
        warnings.append(where.say("name", f"name {name!r} is not lower-case-with-hyphens"))
    description = _required_string(data, "description", where).replace("\\n", "\n")

    tools: tuple[str, ...] | None = None
    rules: tuple[str, ...] = ()
    if "tools" in data:
        tools = _tool_list(data["tools"], "tools", where, warnings, empty_means_all=True)
        listed = tools or ()
        rules = tuple(entry for entry in listed if _RULE.fullmatch(entry))
        if tools is not None and "*" in tools:
            tools = None
    disallowed: list[str] = []
    for key in ("disallowedTools", "disallowed_tools"):
        if key in data:
            names = _tool_list(data[key], key, where, warnings, empty_means_all=False)
            disallowed.extend(n for n in names or () if n not in disallowed)

    model = data.get("model")
    if model is not None and not isinstance(model, str):
        raise AgentFileError(
            f"`model` must be a string such as sonnet, opus, haiku, inherit or a model id;"
            f" got {type(model).__name__} {model!r}",
            path=path,
            line=where.line("model"),
        )
    if isinstance(model, str):
        model = model.strip() or None
    if model is not None and model not in _MODEL_ALIASES and not model.startswith("claude-"):
        warnings.append(
            where.say("model", f"model {model!r} is not a known alias or Claude model id; kept")
        )

    if not split.body:
        warnings.append(where.say(None, "the body is empty, so the agent has no system prompt"))
    extra = {str(k): v for k, v in data.items() if k not in _CORE_KEYS and k != "model"}
    fields = read_fields(data, where.say, warnings)
    return AgentSpec(
        name=name,
        description=description,
        tools=tools,
        disallowed_tools=tuple(disallowed),
        model=model,
        prompt=split.body,
        path=path,
        extra=extra,
        warnings=tuple(warnings),
        permission_rules=rules,
        source=source,
        fields=fields,
    )


@dataclass(frozen=True)
class _Where:
    """Line lookup for messages about top-level keys."""

    path: Path | None
    parsed: Parsed
    open_line: int

    def line(self, key: str | None) -> int:
        return self.parsed.key_lines.get(key, self.open_line) if key else self.open_line

    def say(self, key: str | None, message: str) -> str:
        where = f"{self.path}:" if self.path is not None else "line "
        return f"{where}{self.line(key)}: {message}"


def _required_string(data: dict[Any, Any], key: str, where: _Where) -> str:
    if key not in data or data[key] is None:
        raise AgentFileError(
            f"the frontmatter has no `{key}:` (required: name and description)",
            path=where.path,
            line=where.line(key),
        )
    value = data[key]
    if not isinstance(value, str):
        raise AgentFileError(
            f"`{key}` must be a string, got {type(value).__name__} {value!r}",
            path=where.path,
            line=where.line(key),
        )
    if not value.strip():
        raise AgentFileError(f"`{key}` is empty", path=where.path, line=where.line(key))
    return value.strip()


def _split_names(text: str) -> list[str]:
    """Split on commas outside parentheses: ``Read, Bash(git diff:*, ls)`` -> 2 names."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for char in text:
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        current.append(char)
    names.append("".join(current))
    return [n.strip() for n in names if n.strip()]


def _tool_list(
    value: Any, key: str, where: _Where, warnings: list[str], *, empty_means_all: bool
) -> tuple[str, ...] | None:
    """Normalise a tools-like value; warn about entries agentrun cannot run."""
    if value is None:
        if empty_means_all:
            warnings.append(
                where.say(
                    key,
                    f"`{key}:` is empty, read as absent (all tools, as in Claude Code);"
                    " write `tools: []` for none",
                )
            )
            return None
        return ()
    if isinstance(value, str):
        names = _split_names(value)
    elif isinstance(value, list):
        names = []
        for item in value:
            if isinstance(item, str):
                names.extend(_split_names(item))
            else:
                warnings.append(where.say(key, f"`{key}` entry {item!r} is not a name; skipped"))
    else:
        raise AgentFileError(
            f"`{key}` must be a comma-separated string or a list of tool names;"
            f" got {type(value).__name__} {value!r}",
            path=where.path,
            line=where.line(key),
        )
    unique = tuple(dict.fromkeys(names))
    # `Bash(git diff:*)` offers Bash (narrowed by a rule): only the name before "(" counts.
    foreign = [n for n in unique if n.split("(", 1)[0].strip() not in (*KNOWN_TOOLS, "*")]
    if foreign:
        warnings.append(
            where.say(
                key,
                f"`{key}` names what agentrun does not provide, kept as written:"
                f" {', '.join(foreign)} (agentrun's tools: {', '.join(KNOWN_TOOLS)})",
            )
        )
    return unique
