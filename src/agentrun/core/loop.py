"""The turn loop: model call -> persist -> permissions -> tools -> tool results -> repeat.

It talks only to protocols (a Model, a tool dispatcher, a PermissionChecker) and two callbacks:
``emit`` for typed events, ``persist`` for transcript entries (written and flushed at once, so a
killed process loses nothing) and ``sync`` (fsync), called before every model call and at the end,
so every completed step is durable on disk before the next model call (``sync_each_call``
False: at the end only, for a run whose durable record is kept elsewhere).

Stop reasons: ``tool_use`` -> dispatch; ``end_turn``/``stop_sequence`` -> done;
``max_tokens`` -> keep the partial answer and ask the model to continue; ``pause_turn`` -> send
the assistant message back as is; ``refusal`` and ``model_context_window_exceeded`` -> stop with
that subtype. Limits (turns, budget, wall clock) each end the run with their own subtype.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from agentrun.core.dispatch import dispatch
from agentrun.core.errors import ModelError
from agentrun.core.events import INTERRUPTED_STOP, AssistantEvent, ResultEvent
from agentrun.core.loophooks import stop_hook, submit_prompt
from agentrun.core.looptexts import (
    CONTINUE_NOTE,
    CUT_OFF_RUN,
    INTERRUPTED,
    INTERRUPTED_RUN,
    MAX_CUT_OFF,
)
from agentrun.core.looptypes import (
    Answer,
    Approval,
    Approver,
    Conversation,
    Limits,
    LoopIO,
    ToolDispatcher,
)
from agentrun.core.messages import add_user, append_message, drop_truncated_tool_use
from agentrun.core.runstate import RunState
from agentrun.core.types import ContentBlock, Message, ModelRequest, ToolCall

if TYPE_CHECKING:
    from agentrun.core.protocols import Model

__all__ = [
    "CONTINUE_NOTE",
    "CUT_OFF_RUN",
    "INTERRUPTED",
    "INTERRUPTED_RUN",
    "MAX_CUT_OFF",
    "Answer",
    "Approval",
    "Approver",
    "Conversation",
    "Limits",
    "LoopIO",
    "ToolDispatcher",
    "add_user",
    "append_message",
    "run_turns",
]

# Stop reasons that end the run unsuccessfully; the reason itself stays in ``stop_reason``.
_STOPS = frozenset({"refusal", "model_context_window_exceeded"})


def run_turns(
    conv: Conversation,
    prompt: str | list[ContentBlock],
    model: Model,
    io: LoopIO,
    limits: Limits = Limits(),  # noqa: B008 (frozen: one shared default is safe)
) -> ResultEvent:
    """Answer one prompt: call the model and run its tools until it stops or a limit hits."""
    run = RunState(conv, io, limits, model)
    try:
        if io.hooks is not None:
            io.hooks.take_stop()  # a stop asked during an earlier prompt is spent
        prompt, refused = submit_prompt(io.hooks, prompt)
        if refused is not None:
            return run.finish("error_during_execution", "hook", refused)
        add_user(conv, io, prompt)
        while True:
            _tell_notices(conv, io, run)  # first: their cost counts toward the limits
            if (subtype := run.limit_reached()) is not None:
                return run.finish(subtype, None)
            if io.interrupted():
                return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
            io.before_call()
            request = ModelRequest(
                model=model.model_id,
                system=io.system,
                messages=list(conv.messages),
                tools=io.tools.specs(),
                extra=dict(io.request_extra),
            )
            if io.sync_each_call:
                io.sync()
            try:
                response = run.call(request)
            except KeyboardInterrupt:
                return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
            except ModelError as e:
                late = run.limit_reached() == "error_timeout"  # a call cut short by the deadline
                return run.finish(
                    "error_timeout" if late else "error_during_execution", "error", str(e)
                )
            if response is None:  # the wall clock ran out while the model was answering
                return run.finish("error_timeout", None)
            run.account(response.usage)
            content = drop_truncated_tool_use(response.content, response.stop_reason)
            message: Message = {"role": "assistant", "content": content}
            append_message(conv.messages, message)
            io.persist(
                {
                    "type": "message",
                    "message": message,
                    "usage": response.usage.to_dict(),
                    "stop_reason": response.stop_reason,
                    "model": model.model_id or response.model,
                }
            )
            io.emit(
                AssistantEvent(
                    conv.session_id,
                    message,
                    response.usage,
                    response.stop_reason,
                    model=response.model or model.model_id,
                    id=response.id,
                )
            )
            run.text = run.text + response.text() if run.continuing else response.text()
            run.continuing = response.stop_reason in ("max_tokens", "pause_turn")
            run.cut_off = run.cut_off + 1 if response.stop_reason == "max_tokens" else 0
            if response.stop_reason in _STOPS:
                return run.finish("error_during_execution", response.stop_reason)
            if run.cut_off > MAX_CUT_OFF:
                return run.finish("error_during_execution", "max_tokens", CUT_OFF_RUN)
            if response.stop_reason == "pause_turn":
                continue
            calls = [ToolCall.from_block(b) for b in content if b.get("type") == "tool_use"]
            if calls and io.interrupted():  # the session's repair answers the calls
                return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
            if not calls and response.stop_reason != "max_tokens":
                again = stop_hook(io.hooks, run.stop_hook_active)
                run.stop_hook_active = run.stop_hook_active or again is not None
                waited = _await_notices(io) if again is None else "none"
                if waited == "ready":
                    continue  # the next request carries their notifications
                if waited == "stopped":  # the deadline, Ctrl-C or interrupt() cut the wait
                    if run.limit_reached() == "error_timeout":
                        return run.finish("error_timeout", None)
                    return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
                if again is None:
                    return run.finish("success", response.stop_reason)
                add_user(conv, io, again)
                continue
            blocks = dispatch(run, calls) if calls else []
            if response.stop_reason == "max_tokens":
                blocks.append({"type": "text", "text": CONTINUE_NOTE})
            add_user(conv, io, blocks, tool_results=bool(calls))
            if io.hooks is not None and (why := io.hooks.take_stop()) is not None:
                return run.finish("success", "hook", why)  # a hook answered continue: false
            if io.cancel.is_set() and (run.interrupted or io.interrupted()):
                return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
    finally:
        run.stop_timer()  # however the run ends, a pending deadline must not fire later


def _tell_notices(conv: Conversation, io: LoopIO, run: RunState) -> None:
    """Background tasks that ended: their notifications join the next request's user
    message, their usage and cost the run's."""
    if io.notices is None:
        return
    notices = io.notices.take()
    for notice in notices:
        run.add_spent(notice.usage, notice.cost_usd)
    if notices:
        add_user(conv, io, [{"type": "text", "text": n.text} for n in notices])


def _await_notices(io: LoopIO) -> Literal["ready", "stopped", "none"]:
    """At a turn's end in a headless run: wait until a background task's notification is ready
    (one that ended during this turn is ready at once); ``stopped`` when the run was stopped
    while waiting, ``none`` when no task is left running."""
    if io.notices is None or not io.wait_notices:
        return "none"

    def stop() -> bool:
        return io.cancel.is_set() or io.interrupted()

    if io.notices.wait(stop):
        return "ready"
    return "stopped" if stop() and io.notices.running() else "none"
