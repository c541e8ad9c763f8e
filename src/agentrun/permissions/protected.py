"""Protected paths: files that configure agentrun, Claude Code or git, and so decide what the
next session (or the next ``git`` on the host) may do. A write there is never auto-accepted —
not by acceptEdits, not by bypassPermissions, not by an "always" answer — unless an allow rule
names the path explicitly (``Edit(./.claude/agents/**)``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from agentrun.permissions.rules import Rule

__all__ = ["PROTECTED_NAMES", "names_protected", "protected_part"]

PROTECTED_NAMES = (".git", ".gitmodules", ".claude", ".agentrun", ".mcp.json")
"""Path components that make a path protected, at any depth."""


def protected_part(paths: list[Path]) -> str | None:
    """The protected component of any of ``paths`` (each spelling of one path), or None."""
    for path in paths:
        for part in path.parts:
            if part in PROTECTED_NAMES:
                return part
    return None


def names_protected(rule: Rule, part: str) -> bool:
    """Whether an allow rule's pattern spells out the protected component itself: ``Edit(**)``
    matches ``.claude/settings.json`` but does not name it, so it does not open it."""
    return rule.spec is not None and part in rule.spec.replace("\\", "/").split("/")
