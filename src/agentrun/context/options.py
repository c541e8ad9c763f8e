"""The effort level a run asks for: ``--effort``, else the agent file's ``effort:``, else the
settings files' ``effortLevel`` (Claude Code's key), else the model table's default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentrun.errors import ConfigError
from agentrun.models.catalog import check_effort

if TYPE_CHECKING:
    from pathlib import Path


def settings_effort(cwd: Path) -> str | None:
    """The last ``effortLevel`` in the settings files (a workspace's wins: effort is no right)."""
    from agentrun.permissions.settings import _read_json, settings_paths

    found: str | None = None
    for path, _root in settings_paths(cwd):
        if path.is_file():
            value = _read_json(path).get("effortLevel")
            if value is not None:
                found = _checked(value, f"{path}: effortLevel")
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
