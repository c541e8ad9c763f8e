"""The hook events, one row each: what a matcher is matched against, what the event's envelope
carries, and what a blocking answer (exit code 2, ``decision: "block"``) does there.

A new event is one row here plus the one line that fires it (see :meth:`Hooks.fire`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EVENTS", "EventSpec"]


@dataclass(frozen=True)
class EventSpec:
    """One hook event as Claude Code defines it."""

    name: str
    match_field: str | None
    """The envelope field a matcher is matched against (None: matchers are ignored)."""
    blocks: bool
    """Whether exit code 2 / ``decision: "block"`` does something (else it is only shown)."""
    stdout_context: bool = False
    """Plain stdout of exit code 0 becomes context for the model."""


EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec("PreToolUse", "tool_name", blocks=True),
        EventSpec("PermissionRequest", "tool_name", blocks=True),
        EventSpec("PostToolUse", "tool_name", blocks=True),
        EventSpec("PostToolUseFailure", "tool_name", blocks=True),
        EventSpec("UserPromptSubmit", None, blocks=True, stdout_context=True),
        EventSpec("Stop", None, blocks=True),
        EventSpec("SubagentStart", "agent_type", blocks=False, stdout_context=True),
        EventSpec("SubagentStop", "agent_type", blocks=True),
        EventSpec("SessionStart", "source", blocks=False, stdout_context=True),
        EventSpec("SessionEnd", "reason", blocks=False),
        EventSpec("PreCompact", "trigger", blocks=False),
        EventSpec("Notification", "notification_type", blocks=False),
    )
}
