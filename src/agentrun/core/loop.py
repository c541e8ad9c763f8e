"""The turn loop: model call -> persist -> permissions -> tools -> tool results -> repeat.

It talks only to protocols (a Model, a tool dispatcher, a PermissionChecker) and two callbacks:
``emit`` for typed events, ``persist`` for transcript entries (written and flushed at once, so a
killed process loses nothing) and ``sync`` (fsync), called before every model call and at the end,
so every completed step is durable on disk before the next model call.

Stop reasons: ``tool_use`` -> dispatch; ``end_turn``/``stop_sequence`` -> done;
``max_tokens`` -> keep the partial answer and ask the model to continue; ``pause_turn`` -> send
the assistant message back as is; ``refusal`` and ``model_context_window_exceeded`` -> stop with
that subtype. Limits (turns, budget, wall clock) each end the run with their own subtype.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from agentrun.core.errors import ModelError
from agentrun.core.events import (
    INTERRUPTED_STOP,
    AssistantEvent,
    Event,
    PermissionDeniedEvent,
    ResultEvent,
    ResultSubtype,
    TextDelta,
    ToolEndEvent,
    ToolResultsEvent,
    ToolStartEvent,
)
from agentrun.core.loophooks import (
    after_tool,
    permission_request,
    pre_tool,
    stop_hook,
    submit_prompt,
)
from agentrun.core.pricing import cost_usd
from agentrun.core.types import (
    JSON,
    ContentBlock,
    Message,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from agentrun.core.vocab import INTERRUPTED_STOPPED

if TYPE_CHECKING:
    from agentrun.core.protocols import HookRunner, Model, PermissionChecker, PermissionDecision

Approval = Literal["allow", "deny", "always"]


@dataclass(frozen=True)
class Answer:
    """An approver's fuller answer than an :data:`Approval`: an allow may carry the input to
    run instead (decided by the gate again: a deny rule still holds); a deny may carry the
    words the model reads and stop the whole run (``interrupt``)."""

    behavior: Literal["allow", "deny"]
    updated_input: JSON | None = None
    message: str = ""
    interrupt: bool = False
    always: bool = False
    """Also grant what the gate's decision offered for the session (like "always")."""


Approver = Callable[[ToolCall, "PermissionDecision"], "Approval | Answer"]
"""Asked when the gate says "ask", with its decision (``str()`` of it is the reason; its
``grant`` what "always" would allow, None when "always" must not be offered); None
(headless) denies every such call."""

INTERRUPTED = INTERRUPTED_STOPPED
INTERRUPTED_RUN = "Interrupted by the user."
CONTINUE_NOTE = (
    "Your answer was cut off by the output token limit. Continue exactly where it stopped."
)
# Stop reasons that end the run unsuccessfully; the reason itself stays in ``stop_reason``.
_STOPS = frozenset({"refusal", "model_context_window_exceeded"})
MAX_CUT_OFF = 5
"""Answers cut off by ``max_tokens`` in a row before the run stops: a model that keeps writing
one output too big for the limit (a huge Write) would otherwise go on until a limit or budget."""
CUT_OFF_RUN = (
    f"The model's answers were cut off by the output token limit {MAX_CUT_OFF + 1} times in a "
    "row; the run stopped."
)


class ToolDispatcher(Protocol):
    """What the loop needs from :class:`agentrun.tools.registry.ToolRunner`."""

    def specs(self) -> list[ToolSpec]: ...

    def run_calls(
        self,
        calls: Sequence[ToolCall],
        *,
        on_start: Callable[[ToolCall], None] | None = None,
        on_end: Callable[[ToolCall, ToolResult, float], None] | None = None,
        admit: Callable[[ToolCall], ToolResult | ToolCall | None] | None = None,
    ) -> list[ToolResult]: ...


@dataclass(frozen=True)
class Limits:
    """When the loop stops on its own: turns, spend, wall-clock time (None: no limit)."""

    max_turns: int | None = None
    max_budget_usd: float | None = None
    timeout_s: float | None = None


@dataclass
class Conversation:
    """A session's running state; the loop appends to ``messages`` and adds up the totals."""

    session_id: str
    messages: list[Message] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0


@dataclass
class LoopIO:
    """Everything the loop talks to besides the model."""

    tools: ToolDispatcher
    permissions: PermissionChecker | None
    emit: Callable[[Event], None]
    persist: Callable[[JSON], None]
    cancel: threading.Event
    sync: Callable[[], None] = lambda: None
    approver: Approver | None = None
    system: str = ""
    request_extra: JSON = field(default_factory=dict)
    before_call: Callable[[], None] = lambda: None
    """Called before each model call (the context manager compacts there when it must)."""
    hooks: HookRunner | None = None
    interrupted: Callable[[], bool] = lambda: False
    """An outside request to stop this prompt (a Python API's ``interrupt()``; it sets
    ``cancel`` too, which stops running tools): the run ends as interrupted."""


def run_turns(
    conv: Conversation,
    prompt: str | list[ContentBlock],
    model: Model,
    io: LoopIO,
    limits: Limits = Limits(),
) -> ResultEvent:
    """Answer one prompt: call the model and run its tools until it stops or a limit hits."""
    run = _Run(conv, io, limits, model)
    try:
        if io.hooks is not None:
            io.hooks.take_stop()  # a stop asked during an earlier prompt is spent
        prompt, refused = submit_prompt(io.hooks, prompt)
        if refused is not None:
            return run.finish("error_during_execution", "hook", refused)
        add_user(conv, io, prompt)
        while True:
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
            content = _drop_truncated_tool_use(response.content, response.stop_reason)
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
                if again is None:
                    return run.finish("success", response.stop_reason)
                add_user(conv, io, again)
                continue
            blocks = run.dispatch(calls) if calls else []
            if response.stop_reason == "max_tokens":
                blocks.append({"type": "text", "text": CONTINUE_NOTE})
            add_user(conv, io, blocks, tool_results=bool(calls))
            if io.hooks is not None and (why := io.hooks.take_stop()) is not None:
                return run.finish("success", "hook", why)  # a hook answered continue: false
            if io.cancel.is_set() and (run.interrupted or io.interrupted()):
                return run.finish("error_during_execution", INTERRUPTED_STOP, INTERRUPTED_RUN)
    finally:
        run.stop_timer()  # however the run ends, a pending deadline must not fire later


def add_user(
    conv: Conversation, io: LoopIO, content: str | list[ContentBlock], *, tool_results: bool = False
) -> None:
    """Append a user message; a dangling user message (a crash before the answer) is merged."""
    blocks = _blocks(content)
    append_message(conv.messages, {"role": "user", "content": blocks})
    io.persist({"type": "message", "message": {"role": "user", "content": blocks}})
    if tool_results:
        io.emit(ToolResultsEvent(conv.session_id, blocks))


def append_message(messages: list[Message], message: Message) -> None:
    """Append, merging into a trailing message of the same role (the API wants alternation).

    Both the live loop and the transcript rebuild use this, so a resumed list is identical.
    """
    if messages and messages[-1]["role"] == message["role"]:
        merged = [*_blocks(messages[-1]["content"]), *_blocks(message["content"])]
        messages[-1] = {"role": message["role"], "content": merged}
    else:
        messages.append(message)


def _blocks(content: str | list[ContentBlock]) -> list[ContentBlock]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content)


def _drop_truncated_tool_use(content: list[ContentBlock], stop_reason: str) -> list[ContentBlock]:
    # A tool_use cut off by max_tokens has incomplete input: running it would be a guess.
    if stop_reason == "max_tokens" and (not content or content[-1].get("type") == "tool_use"):
        # The turn goes on, and an assistant message may not be empty: leave a note instead.
        return content[:-1] or [{"type": "text", "text": "[output cut off by the token limit]"}]
    return list(content)


class _AbandonedCallError(Exception):
    """Raised into a model call the loop gave up on (the wall clock ran out), to stop it."""


class _Run:
    """Bookkeeping for one run_turns call: limits, totals, dispatch and the final event."""

    def __init__(self, conv: Conversation, io: LoopIO, limits: Limits, model: Model) -> None:
        self.conv, self.io, self.limits, self.model = conv, io, limits, model
        self.started = time.monotonic()
        self.turns = 0
        self.usage = Usage()
        self.cost: float | None = 0.0
        self.text = ""
        self.continuing = False
        self.cut_off = 0  # answers cut off by max_tokens in a row
        self.interrupted = False
        self.denials: list[JSON] = []
        self.stop_hook_active = False
        self.offered = frozenset(spec.name for spec in io.tools.specs())
        self.timer: threading.Timer | None = None
        io.cancel.clear()
        if limits.timeout_s is not None:
            # Past the deadline, running tools are stopped; the loop then ends with error_timeout.
            self.timer = threading.Timer(limits.timeout_s, io.cancel.set)
            self.timer.daemon = True
            self.timer.start()

    def call(self, request: ModelRequest) -> ModelResponse | None:
        """The model's answer, or None when the wall-clock limit passed first.

        Under a wall-clock limit the call runs in a worker thread, so the deadline ends the run
        even while the model is still answering. The abandoned call emits nothing more, and a
        streaming adapter stops at its next text delta (``on_text`` raises there).
        """

        def emit(text: str) -> None:
            self.io.emit(TextDelta(text))

        if self.limits.timeout_s is None:
            return self.model.complete(request, on_text=emit)
        outcome: list[ModelResponse | BaseException] = []
        done, lock = threading.Event(), threading.Lock()
        abandoned = False

        def on_text(text: str) -> None:
            with lock:
                if abandoned:
                    raise _AbandonedCallError
                emit(text)

        def work() -> None:
            try:
                outcome.append(self.model.complete(request, on_text=on_text))
            except BaseException as e:  # handed to the waiting thread as is
                outcome.append(e)
            finally:
                done.set()

        threading.Thread(target=work, name="agentrun-model-call", daemon=True).start()
        try:
            answered = done.wait(max(0.0, self.started + self.limits.timeout_s - time.monotonic()))
        finally:
            with lock:
                abandoned = not done.is_set()  # a Ctrl-C while waiting abandons the call too
        if not answered:
            return None
        if isinstance(outcome[0], BaseException):
            raise outcome[0]
        return outcome[0]

    def stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def limit_reached(self) -> ResultSubtype | None:
        lim = self.limits
        if lim.timeout_s is not None and time.monotonic() - self.started >= lim.timeout_s:
            return "error_timeout"
        if lim.max_budget_usd is not None and (self.cost or 0.0) >= lim.max_budget_usd:
            return "error_max_budget_usd"
        if lim.max_turns is not None and self.turns >= lim.max_turns:
            return "error_max_turns"
        return None

    def account(self, usage: Usage) -> None:
        self.turns += 1
        self.add_spent(usage, cost_usd(self.model.model_id, usage))

    def add_spent(self, usage: Usage, cost: float | None) -> None:
        self.usage += usage
        self.conv.usage += usage
        if cost is None:
            self.cost = self.conv.cost_usd = None
        else:
            self.cost = None if self.cost is None else self.cost + cost
            self.conv.cost_usd = None if self.conv.cost_usd is None else self.conv.cost_usd + cost

    def dispatch(self, calls: list[ToolCall]) -> list[ContentBlock]:
        """Run the calls, each decided by the gate immediately before it runs (asking in call
        order); results in call order."""
        results: dict[str, ToolResult] = {}

        def on_end(call: ToolCall, result: ToolResult, seconds: float) -> None:
            result = results[call.id] = after_tool(self.io.hooks, call, result)
            if result.usage is not None:  # a subagent's tokens are the run's too
                self.add_spent(result.usage, result.cost_usd)
            self.io.emit(ToolEndEvent(call, result, seconds * 1000))

        def admit(call: ToolCall) -> ToolResult | ToolCall | None:
            admitted, refusal = self.permission(call)
            if refusal is None:
                return None if admitted is call else admitted  # a hook's updatedInput
            result = results[call.id] = ToolResult(refusal, is_error=True)
            self.denials.append(
                {"tool_name": call.name, "tool_use_id": call.id, "tool_input": call.input}
            )
            self.io.emit(PermissionDeniedEvent(call, refusal))
            return result

        try:
            self.io.tools.run_calls(
                calls,
                on_start=lambda c: self.io.emit(ToolStartEvent(c)),
                on_end=on_end,
                admit=admit,
            )
        except KeyboardInterrupt:
            # Ctrl-C at an approval prompt or in a tool: stop whatever still runs; every call
            # without a result is reported as interrupted, so the transcript stays valid.
            self.io.cancel.set()
            self.interrupted = True
        return [
            results.get(c.id, ToolResult(INTERRUPTED, is_error=True)).to_block(c.id) for c in calls
        ]

    def permission(self, call: ToolCall) -> tuple[ToolCall, str | None]:
        """The call to run (a PreToolUse hook may rewrite its input) and None when it may
        run, else the error text the model gets."""
        gate, hooks = self.io.permissions, self.io.hooks
        if call.name not in self.offered:
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
        if self.io.approver is None:
            return call, (
                f"Permission to use {call.name} was not granted: it needs approval and this run "
                f"is non-interactive ({decision.reason})."
            )
        answer = self.io.approver(call, decision)
        if isinstance(answer, Answer):
            return self.answered(gate, call, answer, always=decision.grant is not None)
        if answer not in ("allow", "always"):
            return call, f"The user denied this {call.name} call."
        gate.answer(call, always=answer == "always" and decision.grant is not None)
        return call, None

    def answered(
        self, gate: PermissionChecker, call: ToolCall, answer: Answer, *, always: bool
    ) -> tuple[ToolCall, str | None]:
        if answer.behavior != "allow":
            if answer.interrupt:  # the rest of this turn's calls and the run stop
                self.io.cancel.set()
                self.interrupted = True
            return call, answer.message or f"The user denied this {call.name} call."
        if answer.updated_input is not None:
            call = ToolCall(call.id, call.name, dict(answer.updated_input))
            again = gate.decide(call)  # the rewritten call, decided like any other
            if again.behavior == "deny":
                return call, f"Permission to use {call.name} was denied: {again.reason}"
            always = False  # the grant offered was for the input asked about
        gate.answer(call, always=always and answer.always)
        return call, None

    def finish(
        self, subtype: ResultSubtype, stop_reason: str | None, error: str = ""
    ) -> ResultEvent:
        event = ResultEvent(
            subtype=subtype,
            is_error=subtype != "success",
            result=error or self.text,
            num_turns=self.turns,
            duration_ms=int((time.monotonic() - self.started) * 1000),
            total_cost_usd=None if self.cost is None else round(self.cost, 10),
            usage=self.usage,
            session_id=self.conv.session_id,
            permission_denials=self.denials,
            stop_reason=stop_reason,
        )
        self.stop_timer()
        self.io.persist({**(event.stream_json() or {}), "ts": time.time()})
        self.io.sync()
        self.io.emit(event)
        return event
