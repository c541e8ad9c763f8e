"""Permissions: the one gate that allows, asks or denies each tool call.

- :mod:`~agentrun.permissions.gate` — :class:`Gate` (``decide(call) -> Decision``), grants;
- :mod:`~agentrun.permissions.decision` — modes, tool names, :class:`Decision`;
- :mod:`~agentrun.permissions.rules` — what one rule matches;
- :mod:`~agentrun.permissions.bashview` / :mod:`~agentrun.permissions.bashrun` /
  :mod:`~agentrun.permissions.shellparse` — what a Bash line runs and writes;
- :mod:`~agentrun.permissions.protected` — paths never edited without approval;
- :mod:`~agentrun.permissions.settings` — the settings files.

Nothing outside this package matches rules or builds decisions (a test checks it).
"""

from __future__ import annotations

from agentrun.permissions.decision import ALL_TOOLS, PERMISSION_MODES, Decision, offered_tools
from agentrun.permissions.gate import Gate
from agentrun.permissions.rules import Rule, split_rules
from agentrun.permissions.settings import read_once, read_settings_json, source_kind

PermissionPolicy = Gate
"""The gate's earlier name, kept for scripts that import it."""

__all__ = [
    "ALL_TOOLS",
    "PERMISSION_MODES",
    "Decision",
    "Gate",
    "PermissionPolicy",
    "Rule",
    "offered_tools",
    "read_once",
    "read_settings_json",
    "source_kind",
    "split_rules",
]
