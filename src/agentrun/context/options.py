"""The effort level a run asks for: ``--effort``, else the agent file's ``effort:``, else the
settings files' ``effortLevel`` (Claude Code's key), else the model table's default."""

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


def settings_effort(cwd: Path) -> str | None:
    """The last ``effortLevel`` in the settings files, the user's then the workspace's (effort
    is no right: a workspace may set it). A file that cannot be read or parsed is skipped here;
    the permission settings report it. Read with the permissions' reader, so a session reads
    each file once (see :func:`agentrun.permissions.read_once`)."""
    from agentrun.core.home import agentrun_home
    from agentrun.permissions import read_settings_json

    found: str | None = None
    paths = [agentrun_home() / "settings.json", *(cwd.joinpath(*p) for p in SETTINGS_FILES)]
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = read_settings_json(path)
        except ConfigError:
            continue
        if isinstance(data, dict) and data.get("effortLevel") is not None:
            found = _checked(data["effortLevel"], f"{path}: effortLevel")
    return found


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
