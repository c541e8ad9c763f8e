"""Running one answer's tool calls: each decided by the gate (after the PreToolUse hooks, asking
the approver when the gate says "ask") immediately before it runs; results in call order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from agentrun.core.loophooks import after_tool, permission_request, pre_tool
from agentrun.core.looptexts import INTERRUPTED
from agentrun.core.looptypes import Answer
from agentrun.core.types import ToolCall, ToolResult

if TYPE_CHECKING:
    from agentrun.core.protocols import PermissionChecker
    from agentrun.core.runstate import RunState
    from agentrun.core.types import ContentBlock


def dispatch(run: RunState, calls: list[ToolCall]) -> list[ContentBlock]:
    """Run the calls, each decided by the gate immediately before it runs (asking in call
    order); results in call order."""
    from agentrun.core.moreevents import PermissionDeniedEvent, ToolEndEvent, ToolStartEvent

    results: dict[str, ToolResult] = {}

    def on_end(call: ToolCall, result: ToolResult, seconds: float) -> None:
        result = results[call.id] = after_tool(run.io.hooks, call, result)
        if result.usage is not None:  # a subagent's tokens are the run's too
            run.add_spent(result.usage, result.cost_usd)
        run.io.emit(ToolEndEvent(call, result, seconds * 1000))

    def admit(call: ToolCall) -> ToolResult | ToolCall | None:
        admitted, refusal = permission(run, call)
        if refusal is None:
            return None if admitted is call else admitted  # a hook's updatedInput
        result = results[call.id] = ToolResult(refusal, is_error=True)
        run.denials.append(
            {"tool_name": call.name, "tool_use_id": call.id, "tool_input": call.input}
        )
        run.io.emit(PermissionDeniedEvent(call, refusal))
        return result

    try:
        run.io.tools.run_calls(
            calls,
            on_start=lambda c: run.io.emit(ToolStartEvent(c)),
            on_end=on_end,
            admit=admit,
        )
    except KeyboardInterrupt:
        # Ctrl-C at an approval prompt or in a tool: stop whatever still runs; every call
        # without a result is reported as interrupted, so the transcript stays valid.
        run.io.cancel.set()
        run.interrupted = True
    return [results.get(c.id, ToolResult(INTERRUPTED, is_error=True)).to_block(c.id) for c in calls]


def permission(run: RunState, call: ToolCall) -> tuple[ToolCall, str | None]:
    """The call to run (a PreToolUse hook may rewrite its input) and None when it may
    run, else the error text the model gets."""
    gate, hooks = run.io.permissions, run.io.hooks
    if call.name not in run.offered:
        return call, None  # an unknown tool is the dispatcher's to refuse, naming them
    call, verdict, why = pre_tool(hooks, call)
    if gate is None:
        denied = verdict == "deny"
        return call, f"Permission to use {call.name} was denied: {why}" if denied else None
    if verdict is None:
        decision = gate.decide(call)
    else:
        decision = gate.decide(call, hook=verdict, hook_reason=why)
    if decision.behavior == "allow":
        return call, None
    if decision.behavior == "deny":
        return call, f"Permission to use {call.name} was denied: {decision.reason}"
    answered = permission_request(hooks, gate, call, decision)
    if answered is not None:
        return answered
    if run.io.approver is None:
        return call, (
            f"Permission to use {call.name} was not granted: it needs approval and this run "
            f"is non-interactive ({decision.reason})."
        )
    answer = run.io.approver(call, decision)
    if isinstance(answer, Answer):
        return apply_answer(run, gate, call, answer, always=decision.grant is not None)
    if answer not in ("allow", "always"):
        return call, f"The user denied this {call.name} call."
    gate.answer(call, always=answer == "always" and decision.grant is not None)
    return call, None


def apply_answer(
    run: RunState, gate: PermissionChecker, call: ToolCall, answer: Answer, *, always: bool
) -> tuple[ToolCall, str | None]:
    if answer.behavior != "allow":
        if answer.interrupt:  # the rest of this turn's calls and the run stop
            run.io.cancel.set()
            run.interrupted = True
        return call, answer.message or f"The user denied this {call.name} call."
    if answer.updated_input is not None:
        call = ToolCall(call.id, call.name, dict(answer.updated_input))
        again = gate.decide(call)  # the rewritten call, decided like any other
        if again.behavior == "deny":
            return call, f"Permission to use {call.name} was denied: {again.reason}"
        always = False  # the grant offered was for the input asked about
    gate.answer(call, always=always and answer.always)
    return call, None
