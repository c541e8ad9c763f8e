"""The loop's hook calls: what each hook event changes in a turn (the prompt, a tool call, a
tool result, whether the agent may stop). The loop calls these through the
:class:`~agentrun.core.protocols.HookRunner` protocol only; with no hooks configured each is a
no-op that builds nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agentrun.core.types import ToolCall, ToolResult, block_text

if TYPE_CHECKING:
    from agentrun.core.protocols import HookRunner, PermissionChecker, PermissionDecision
    from agentrun.core.types import JSON, ContentBlock

__all__ = [
    "after_tool",
    "permission_request",
    "pre_tool",
    "stop_hook",
    "submit_prompt",
    "tool_fields",
]

Verdict = Literal["allow", "ask", "deny"]


def tool_fields(call: ToolCall) -> JSON:
    return {"tool_name": call.name, "tool_input": call.input, "tool_use_id": call.id}


def submit_prompt(
    hooks: HookRunner | None, prompt: str | list[ContentBlock]
) -> tuple[str | list[ContentBlock], str | None]:
    """UserPromptSubmit: the prompt to send (with the hooks' context added), and None, or
    why they refused it (then nothing is sent)."""
    if hooks is None or not hooks.has("UserPromptSubmit"):
        return prompt, None
    if isinstance(prompt, str):
        blocks: list[ContentBlock] = [{"type": "text", "text": prompt}]
    else:
        blocks = list(prompt)
    said = hooks.fire("UserPromptSubmit", {"prompt": block_text(blocks)})
    if said.blocked or said.stop:
        why = said.reason or said.stop_reason
        return prompt, f"The prompt was blocked by a UserPromptSubmit hook: {why}".rstrip(": ")
    if not said.context:
        return prompt, None
    return [*blocks, {"type": "text", "text": said.context}], None


def pre_tool(hooks: HookRunner | None, call: ToolCall) -> tuple[ToolCall, Verdict | None, str]:
    """PreToolUse: the call to decide (an ``updatedInput`` replaces its input: the gate
    decides it and the registry validates it like any other), the hooks' permission answer
    (an input to the gate's decision) and their reason."""
    if hooks is None or not hooks.has("PreToolUse"):
        return call, None, ""
    said = hooks.fire("PreToolUse", tool_fields(call))
    if said.updated_input is not None:
        call = ToolCall(call.id, call.name, said.updated_input)
    return call, said.permission, said.permission_reason


def permission_request(
    hooks: HookRunner | None, gate: PermissionChecker, call: ToolCall, asked: PermissionDecision
) -> tuple[ToolCall, str | None] | None:
    """PermissionRequest, for a call the gate asks about: None when no hook answered (the
    user is asked), else the call to run and None, or the refusal for the model. A hook's
    allow answers the ask as the user would, except a firm one (an ask rule, a protected
    path: only a person answers those); an ``updatedInput`` is decided again and must itself
    be a call the hook may answer (a deny rule still holds, and a rewrite onto a firm ask is
    not granted)."""
    if hooks is None or not hooks.has("PermissionRequest") or asked.firm:
        return None
    said = hooks.fire("PermissionRequest", tool_fields(call))
    if said.permission == "deny":
        why = said.permission_reason or said.reason or "no reason given"
        return call, f"Permission to use {call.name} was denied by a hook: {why}"
    if said.permission != "allow":
        return None
    if said.updated_input is not None:
        call = ToolCall(call.id, call.name, said.updated_input)
        again = gate.decide(call)
        if again.behavior == "deny":
            return call, f"Permission to use {call.name} was denied: {again.reason}"
        if again.behavior == "ask" and again.firm:
            return call, (
                f"Permission to use {call.name} was not granted: a PermissionRequest hook "
                f"rewrote the call into one only a person may approve ({again.reason})."
            )
    gate.answer(call, always=False)
    return call, None


def after_tool(hooks: HookRunner | None, call: ToolCall, result: ToolResult) -> ToolResult:
    """PostToolUse (PostToolUseFailure for an error result): a block's reason and the
    hooks' ``additionalContext`` are added to the result the model reads."""
    event = "PostToolUseFailure" if result.is_error else "PostToolUse"
    if hooks is None or not hooks.has(event):
        return result
    key = "error" if result.is_error else "tool_response"
    said = hooks.fire(event, {**tool_fields(call), key: result.text()})
    notes = [f"{event} hook feedback: {said.reason}"] if said.blocked else []
    notes += [said.context] if said.context else []
    if not notes:
        return result
    text = "\n".join(notes)
    if isinstance(result.content, str):
        return ToolResult(f"{result.content}\n\n{text}", result.is_error)
    return ToolResult([*result.content, {"type": "text", "text": text}], result.is_error)


def stop_hook(hooks: HookRunner | None, active: bool) -> str | None:
    """Stop (SubagentStop for a subagent): None lets the run end, else the reason the agent
    is sent back to work with. ``active``: the agent already goes on because of one."""
    if hooks is None:
        return None
    event = "SubagentStop" if hooks.subagent else "Stop"
    if not hooks.has(event):
        return None
    said = hooks.fire(event, {"stop_hook_active": active})
    if not said.blocked or said.stop:
        return None
    return said.reason or f"A {event} hook asked you to continue."
