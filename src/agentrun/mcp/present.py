"""Whether a session has any MCP configuration at all: asked by every session, so it reads
as little as it can and imports nothing more (a run without MCP pays ~nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentrun.core.home import agentrun_home

PROJECT_FILE = ".mcp.json"


def user_settings_path() -> Path:
    return agentrun_home() / "settings.json"


def has_config(cwd: Path, flags: Sequence[Any], agent_servers: Any) -> bool:
    """Cheaply, whether any MCP configuration exists (no MCP import otherwise)."""
    if flags or agent_servers or (cwd / PROJECT_FILE).is_file():
        return True
    path = user_settings_path()
    if not path.is_file():
        return False
    from agentrun.core.errors import ConfigError
    from agentrun.permissions import read_settings_json  # loaded already: the gate reads it

    try:
        return "mcpServers" in read_settings_json(path)
    except ConfigError:
        return False
