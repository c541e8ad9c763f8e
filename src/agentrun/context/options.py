"""The effort level a run asks for: ``--effort``, else the agent file's ``effort:``, else the
settings files' ``effortLevel`` (Claude Code's key), else the model table's default. Also the
spill threshold (``maxOutputChars``), read from the same files."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.core.errors import ConfigError
from agentrun.models.catalog import check_effort

if TYPE_CHECKING:
    from pathlib import Path


SETTINGS_FILES = (
    (".claude", "settings.json"),
    (".claude", "settings.local.json"),
    (".agentrun", "settings.json"),
    (".agentrun", "settings.local.json"),
)
"""The workspace's settings files, lowest precedence first (the permission settings' list; the
permissions package reads their rules, which nothing else may do, so effort reads on its own)."""


def _settings_value(cwd: Path, key: str) -> tuple[object, str] | None:
    """The last ``key`` in the settings files, the user's then the workspace's, with where it
    was found. A file that cannot be read or parsed is skipped here; the permission settings
    report it. Read with the permissions' reader, so a session reads each file once (see
    :func:`agentrun.permissions.read_once`)."""
    from agentrun.core.home import agentrun_home
    from agentrun.permissions import read_settings_json

    found: tuple[object, str] | None = None
    paths = [agentrun_home() / "settings.json", *(cwd.joinpath(*p) for p in SETTINGS_FILES)]
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = read_settings_json(path)
        except ConfigError:
            continue
        if isinstance(data, dict) and data.get(key) is not None:
            found = (data[key], f"{path}: {key}")
    return found


def settings_effort(cwd: Path) -> str | None:
    """The last ``effortLevel`` in the settings files (effort is no right: a workspace may set
    it)."""
    found = _settings_value(cwd, "effortLevel")
    return None if found is None else _checked(*found)


DEFAULT_OUTPUT_CHARS = 30_000


def choose_output_chars(value: int | None, cwd: Path) -> int:
    """How long a tool output may be before it is saved to a file and previewed: ``value``,
    else the settings' ``maxOutputChars`` (a workspace may set it: it only moves what stays in
    the context), else 30,000. 0 turns saving off (outputs are only cut)."""
    raw: object = value
    where = "max_output_chars"
    if raw is None:
        found = _settings_value(cwd, "maxOutputChars")
        if found is None:
            return DEFAULT_OUTPUT_CHARS
        raw, where = found
    if isinstance(raw, bool) or not isinstance(raw, int) or not (raw == 0 or raw >= 1000):
        raise ConfigError(f"{where}: {raw!r} is not 0 or a character count of at least 1000")
    return raw


def choose_effort(flag: str | None, agent_extra: dict[str, Any], cwd: Path) -> str | None:
    """The effort level for a run (None: the model's default); a bad value is a ConfigError
    naming where it came from."""
    if flag is not None:
        return _checked(flag, "--effort")
    if agent_extra.get("effort") is not None:
        return _checked(agent_extra["effort"], "the agent file's effort")
    return settings_effort(cwd)


def _checked(value: object, where: str) -> str:
    text = str(value).strip().lower()
    problem = check_effort(text)
    if problem is not None:
        raise ConfigError(f"{where}: {problem}")
    return text
