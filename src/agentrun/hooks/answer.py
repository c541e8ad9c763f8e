"""A hook's answer, read into a typed :class:`HookAnswer`, and the answers of one event's hooks
merged into one :class:`HookOutcome`.

Exit code 0: go on (stdout is JSON when it parses as an object, else plain text: context for
the model on UserPromptSubmit/SessionStart, shown with ``--verbose`` elsewhere). Exit code 2:
block, stderr is the reason. Any other code, a timeout or a crash: a non-blocking error shown
to the user; for PreToolUse/PermissionRequest a hook configured ``onFailure: "block"`` denies.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from agentrun.core.types import JSON
    from agentrun.hooks.config import HookCommand
    from agentrun.hooks.runner import HookRun

__all__ = ["HookAnswer", "HookOutcome", "merge", "read_answer"]

Permission = Literal["allow", "ask", "deny"]
_RANK = {"allow": 0, "ask": 1, "deny": 2}


@dataclass(frozen=True)
class HookAnswer:
    """One hook's answer."""

    outcome: Literal["success", "error", "cancelled"] = "success"
    blocked: bool = False
    reason: str = ""
    """Why it blocked (for the model), or what failed (for the user)."""
    permission: Permission | None = None
    permission_reason: str = ""
    updated_input: JSON | None = None
    context: str = ""
    stop: bool = False
    stop_reason: str = ""
    suppress_output: bool = False
    system_message: str = ""
    text: str = ""
    """Plain stdout (not JSON)."""


@dataclass(frozen=True)
class HookOutcome:
    """What the hooks of one event said together: any block blocks, the strictest permission
    wins (deny > ask > allow), contexts and reasons are joined in configuration order."""

    blocked: bool = False
    reason: str = ""
    permission: Permission | None = None
    permission_reason: str = ""
    updated_input: JSON | None = None
    context: str = ""
    stop: bool = False
    stop_reason: str = ""
    notices: tuple[str, ...] = field(default_factory=tuple)
    """For the user: system messages, non-blocking errors."""


def read_answer(hook: HookCommand, run: HookRun, *, stdout_context: bool) -> HookAnswer:
    guards = hook.event in ("PreToolUse", "PermissionRequest")
    if run.exit_code is None or run.exit_code not in (0, 2):
        what = run.error or f"exit code {run.exit_code}: {run.stderr.strip()}".rstrip(": ")
        why = f"{hook.event} hook {hook.target!r} failed: {what}"
        if guards and hook.on_failure == "block":
            return HookAnswer(
                "cancelled" if run.timed_out else "error",
                permission="deny",
                permission_reason=f"{why} (onFailure: block)",
                reason=why,
            )
        return HookAnswer("cancelled" if run.timed_out else "error", reason=why)
    if run.exit_code == 2:
        reason = run.stderr.strip() or f"blocked by {hook.event} hook {hook.target!r}"
        if hook.event == "PreToolUse":
            return HookAnswer(
                blocked=True, reason=reason, permission="deny", permission_reason=reason
            )
        return HookAnswer(blocked=True, reason=reason)
    text = run.stdout.strip()
    data = _json_object(text)
    if data is None:
        return HookAnswer(text=text, context=text if stdout_context else "")
    return _from_json(hook.event, data)


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _from_json(event: str, data: dict[str, Any]) -> HookAnswer:
    specific = data.get("hookSpecificOutput")
    specific = specific if isinstance(specific, dict) else {}
    permission: Permission | None = None
    permission_reason = ""
    updated: JSON | None = None
    decision = data.get("decision")
    reason = _str(data.get("reason"))
    blocked = decision == "block"
    if event == "PreToolUse":
        wanted = specific.get("permissionDecision")
        if wanted in _RANK:
            permission = wanted
            permission_reason = _str(specific.get("permissionDecisionReason"))
        elif decision in ("approve", "block"):  # the older top-level form
            permission = "allow" if decision == "approve" else "deny"
            permission_reason = reason
        if isinstance(specific.get("updatedInput"), dict):
            updated = specific["updatedInput"]
        blocked = permission == "deny"
        reason = permission_reason if blocked else reason
    elif event == "PermissionRequest":
        answer = specific.get("decision")
        answer = answer if isinstance(answer, dict) else {}
        if answer.get("behavior") in ("allow", "deny"):
            permission = answer["behavior"]
            permission_reason = _str(answer.get("message"))
        if isinstance(answer.get("updatedInput"), dict):
            updated = answer["updatedInput"]
        blocked = permission == "deny"
    return HookAnswer(
        blocked=blocked,
        reason=reason,
        permission=permission,
        permission_reason=permission_reason,
        updated_input=updated,
        context=_str(specific.get("additionalContext")),
        stop=data.get("continue") is False,
        stop_reason=_str(data.get("stopReason")),
        suppress_output=data.get("suppressOutput") is True,
        system_message=_str(data.get("systemMessage")),
    )


def merge(answers: list[HookAnswer]) -> HookOutcome:
    blocked = [a for a in answers if a.blocked]
    permission: Permission | None = None
    permission_reason = ""
    for a in answers:
        if a.permission is not None and (
            permission is None or _RANK[a.permission] > _RANK[permission]
        ):
            permission, permission_reason = a.permission, a.permission_reason
    updated = next((a.updated_input for a in reversed(answers) if a.updated_input), None)
    notices = [a.system_message for a in answers if a.system_message]
    notices += [a.reason for a in answers if a.outcome != "success"]
    stops = [a for a in answers if a.stop]
    return HookOutcome(
        blocked=bool(blocked),
        reason="\n".join(a.reason for a in blocked if a.reason),
        permission=permission,
        permission_reason=permission_reason,
        updated_input=updated,
        context="\n".join(a.context for a in answers if a.context),
        stop=bool(stops),
        stop_reason="\n".join(a.stop_reason for a in stops if a.stop_reason),
        notices=tuple(notices),
    )
