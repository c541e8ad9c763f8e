"""The turn loop, driven by scripted/function models and small real tools of our own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from agentrun.core.events import (
    AssistantEvent,
    Event,
    PermissionDeniedEvent,
    ResultEvent,
    TextDelta,
    ToolEndEvent,
    ToolResultsEvent,
    ToolStartEvent,
)
from agentrun.core.loop import INTERRUPTED, Conversation, Limits, LoopIO, run_turns
from agentrun.core.types import (
    JSON,
    ModelRequest,
    ModelResponse,
    ToolCall,
    ToolResult,
    ToolSpec,
    Usage,
)
from agentrun.models.function import FunctionModel
from agentrun.models.scripted import ScriptedModel


class Echo:
    name = "Echo"
    description = "Echo the text back."
    input_schema: ClassVar[JSON] = {"type": "object", "properties": {"text": {"type": "string"}}}
    read_only = True

    def run(self, input: JSON, ctx: Any) -> ToolResult:
        return ToolResult(f"echo: {input.get('text', '')}")


class Sleep:
    name = "Sleep"
    description = "Sleep until cancelled."
    input_schema: ClassVar[JSON] = {"type": "object", "properties": {}}
    read_only = False

    def __init__(self, cancel: threading.Event, on_start: Callable[[], None] | None = None):
        self.cancel = cancel
        self.on_start = on_start

    def run(self, input: JSON, ctx: Any) -> ToolResult:
        if self.on_start:
            self.on_start()
        self.cancel.wait(10)
        return ToolResult("stopped", is_error=True)


@dataclass
class Runner:
    """A minimal in-order tool runner with the ToolRunner interface."""

    tools: list[Any]

    def specs(self) -> list[ToolSpec]:
        return [ToolSpec(t.name, t.description, t.input_schema) for t in self.tools]

    def run_calls(
        self,
        calls: Sequence[ToolCall],
        *,
        on_start: Callable[[ToolCall], None] | None = None,
        on_end: Callable[[ToolCall, ToolResult, float], None] | None = None,
        admit: Callable[[ToolCall], ToolResult | None] | None = None,
    ) -> list[ToolResult]:
        by_name = {t.name: t for t in self.tools}
        out = []
        for call in calls:
            refused = admit(call) if admit else None
            if refused is not None:
                out.append(refused)
                continue
            if on_start:
                on_start(call)
            tool = by_name.get(call.name)
            missing = ToolResult("no such tool", is_error=True)
            result = tool.run(call.input, None) if tool else missing
            if on_end:
                on_end(call, result, 0.0001)
            out.append(result)
        return out


@dataclass
class Decision:
    behavior: str
    reason: str = "rule"
    grant: str | None = "this tool"


@dataclass
class Perms:
    """A stand-in gate: a fixed behaviour per tool; "always" allows the tool from then on."""

    rules: dict[str, str] = field(default_factory=dict)
    mode: str = "default"
    remembered: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def decide(self, call: ToolCall) -> Decision:
        if call.name in self.remembered:
            return Decision("allow", "granted")
        return Decision(self.rules.get(call.name, "allow"), f"{call.name} rule")

    def answer(self, call: ToolCall, *, always: bool) -> None:
        if always:
            self.remembered.append(call.name)

    def check_resolved(self, tool: str, kind: str, real: Path) -> str | None:
        return None

    def search_filter(self, tool: str) -> None:
        return None


@dataclass
class Harness:
    tools: list[Any] = field(default_factory=lambda: [Echo()])
    permissions: Perms | None = None
    approver: Any = None
    events: list[Event] = field(default_factory=list)
    entries: list[JSON] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)

    def run(self, model: Any, prompt: str = "go", limits: Limits | None = None) -> ResultEvent:
        self.conv = Conversation("sess-1")
        io = LoopIO(
            tools=Runner(self.tools),
            permissions=self.permissions,
            emit=self.events.append,
            persist=self.entries.append,
            cancel=self.cancel,
            approver=self.approver,
            system="SYS",
        )
        return run_turns(self.conv, prompt, model, io, limits or Limits())


def script(*turns: dict[str, Any], **top: Any) -> ScriptedModel:
    return ScriptedModel.from_data({"turns": list(turns), **top})


def test_tool_round_trip_events_and_transcript() -> None:
    h = Harness()
    model = script(
        {"text": "Echoing.", "tool_calls": [{"name": "Echo", "input": {"text": "hi"}}]},
        {"expect": [{"is_error": False, "equals": "echo: hi"}], "text": "Done."},
    )
    result = h.run(model)
    model.assert_complete()
    assert (result.subtype, result.is_error, result.result, result.num_turns) == (
        "success",
        False,
        "Done.",
        2,
    )
    assert [type(e) for e in h.events] == [
        TextDelta,
        AssistantEvent,
        ToolStartEvent,
        ToolEndEvent,
        ToolResultsEvent,
        TextDelta,
        AssistantEvent,
        ResultEvent,
    ]
    assert h.conv.messages == [
        {"role": "user", "content": [{"type": "text", "text": "go"}]},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Echoing."},
                {
                    "type": "tool_use",
                    "id": "toolu_script_001_01",
                    "name": "Echo",
                    "input": {"text": "hi"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_script_001_01", "content": "echo: hi"}
            ],
        },
        {"role": "assistant", "content": [{"type": "text", "text": "Done."}]},
    ]
    assert [e["type"] for e in h.entries] == ["message"] * 4 + ["result"]
    assert h.entries[-1]["subtype"] == "success"


def test_unknown_tool_is_an_error_result_not_a_crash() -> None:
    h = Harness()
    model = script(
        {"tool_calls": [{"name": "Nope"}]},
        {"expect": [{"is_error": True, "contains": "no such tool"}], "text": "ok"},
    )
    assert h.run(model).subtype == "success"


def test_failed_expectation_ends_run_with_error_naming_turn_and_call() -> None:
    h = Harness()
    model = script(
        {"tool_calls": [{"name": "Echo", "input": {"text": "a"}}]},
        {"expect": [{"contains": "zzz"}], "text": "never"},
    )
    result = h.run(model)
    assert result.subtype == "error_during_execution"
    assert result.is_error
    assert "turn 2" in result.result and "call 1 (Echo)" in result.result
    assert "expected it to contain 'zzz'" in result.result


def test_script_exhausted_is_error_during_execution() -> None:
    h = Harness()
    result = h.run(script({"tool_calls": [{"name": "Echo"}]}))
    assert result.subtype == "error_during_execution"
    assert "asked for turn 2 but the script has only 1 turn(s)" in result.result


def test_max_turns() -> None:
    h = Harness()
    turn = {"tool_calls": [{"name": "Echo"}]}
    result = h.run(script(turn, turn, turn, turn), limits=Limits(max_turns=2))
    assert (result.subtype, result.is_error, result.num_turns) == ("error_max_turns", True, 2)
    # The transcript is consistent: the last tool_use got its result before stopping.
    assert h.conv.messages[-1]["content"][0]["type"] == "tool_result"


def test_answers_cut_off_again_and_again_end_the_run() -> None:
    from agentrun.core.loop import CUT_OFF_RUN, MAX_CUT_OFF

    h = Harness()
    cut = {"text": "part", "stop_reason": "max_tokens"}
    result = h.run(script(*[cut] * (MAX_CUT_OFF + 3)))
    assert (result.subtype, result.stop_reason, result.result) == (
        "error_during_execution",
        "max_tokens",
        CUT_OFF_RUN,
    )
    assert result.num_turns == MAX_CUT_OFF + 1
    # one cut-off answer between normal ones is continued as before
    ok = h.run(script(cut, {"text": " and the rest."}))
    assert (ok.subtype, ok.result) == ("success", "part and the rest.")


def test_budget_from_usage() -> None:
    h = Harness()
    # sonnet: $2/MTok input -> 1M input tokens = $2 per turn.
    turn = {"tool_calls": [{"name": "Echo"}], "usage": {"input_tokens": 1_000_000}}
    result = h.run(script(turn, turn, turn), limits=Limits(max_budget_usd=3.0))
    assert (result.subtype, result.num_turns, result.total_cost_usd) == (
        "error_max_budget_usd",
        2,
        4.0,
    )


def test_wall_clock_limit_stops_running_tool() -> None:
    h = Harness()
    h.tools = [Sleep(h.cancel)]
    started = time.monotonic()
    result = h.run(script({"tool_calls": [{"name": "Sleep"}]}), limits=Limits(timeout_s=0.3))
    assert result.subtype == "error_timeout"
    assert result.is_error
    assert time.monotonic() - started < 5


def test_wall_clock_limit_ends_a_model_call_still_answering() -> None:
    release = threading.Event()
    streamed: list[str] = []

    def slow(request: ModelRequest) -> str:
        release.wait(10)
        return "too late"

    class Streaming(FunctionModel):
        def complete(self, request: ModelRequest, *, on_text: Any = None) -> ModelResponse:
            on_text("thinking out loud… ")
            response = super().complete(request)
            try:
                on_text("the end")  # the loop gave up: this must not reach the events
            except Exception as e:
                streamed.append(type(e).__name__)
                raise
            return response

    h = Harness()
    started = time.monotonic()
    result = h.run(Streaming(slow), limits=Limits(timeout_s=0.3))
    assert (result.subtype, result.is_error, result.num_turns) == ("error_timeout", True, 0)
    assert time.monotonic() - started < 3
    release.set()
    deadline = time.monotonic() + 5
    while not streamed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert streamed == ["_AbandonedCallError"]  # the abandoned call was stopped at its next delta
    assert [type(e) for e in h.events] == [TextDelta, ResultEvent]
    assert h.entries[-1]["subtype"] == "error_timeout"


def test_wall_clock_limit_leaves_a_prompt_answer_alone() -> None:
    h = Harness()
    model = script({"text": "quick", "usage": {"output_tokens": 5}})
    result = h.run(model, limits=Limits(timeout_s=30))
    assert (result.subtype, result.result, result.usage) == ("success", "quick", Usage(0, 5))
    assert [type(e) for e in h.events] == [TextDelta, AssistantEvent, ResultEvent]


def test_max_tokens_continues_and_joins_text() -> None:
    h = Harness()
    model = script(
        {"text": "Half an ans", "stop_reason": "max_tokens"},
        {"text": "wer.", "stop_reason": "end_turn"},
    )
    result = h.run(model)
    assert (result.subtype, result.result, result.num_turns) == ("success", "Half an answer.", 2)
    assert h.conv.messages[2]["content"][0]["text"].startswith("Your answer was cut off")


def test_pause_turn_sends_assistant_back_as_is() -> None:
    seen: list[ModelRequest] = []

    def fn(request: ModelRequest) -> ModelResponse | str:
        seen.append(request)
        if len(seen) == 1:
            return ModelResponse([{"type": "text", "text": "Part one. "}], "pause_turn")
        return "Part two."

    h = Harness()
    result = h.run(FunctionModel(fn))
    assert result.result == "Part one. Part two."
    assert seen[1].messages[-1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Part one. "}],
    }


@pytest.mark.parametrize("reason", ["refusal", "model_context_window_exceeded"])
def test_refusal_and_context_window_stop(reason: str) -> None:
    h = Harness()
    result = h.run(script({"text": "no", "stop_reason": reason}, {"text": "unused"}))
    assert (result.subtype, result.stop_reason, result.is_error) == (
        "error_during_execution",
        reason,
        True,
    )


def test_headless_ask_is_denied_and_listed() -> None:
    h = Harness(permissions=Perms({"Echo": "ask"}))
    model = script(
        {"tool_calls": [{"name": "Echo", "input": {"text": "x"}}]},
        {"expect": [{"is_error": True, "contains": "non-interactive"}], "text": "ok"},
    )
    result = h.run(model)
    assert result.subtype == "success"
    assert result.permission_denials == [
        {"tool_name": "Echo", "tool_use_id": "toolu_script_001_01", "tool_input": {"text": "x"}}
    ]
    assert any(isinstance(e, PermissionDeniedEvent) for e in h.events)


def test_deny_rule_and_approver_always() -> None:
    asked: list[str] = []

    def approver(call: ToolCall, reason: str) -> str:
        asked.append(call.name)
        return "always"

    h = Harness(permissions=Perms({"Echo": "ask"}), approver=approver)
    turn = {"tool_calls": [{"name": "Echo", "input": {"text": "x"}}]}
    model = script(turn, {**turn, "expect": [{"equals": "echo: x"}]}, {"text": "ok"})
    assert h.run(model).subtype == "success"
    assert asked == ["Echo"]  # "always" is remembered for the session

    h = Harness(permissions=Perms({"Echo": "deny"}))
    model = script(turn, {"expect": [{"is_error": True, "contains": "denied"}], "text": "ok"})
    assert h.run(model).subtype == "success"


def test_ctrl_c_during_tool_gives_interrupted_results() -> None:
    h = Harness()

    def interrupt() -> None:
        raise KeyboardInterrupt

    h.tools = [Echo(), Sleep(h.cancel, on_start=interrupt)]
    model = script(
        {"tool_calls": [{"name": "Echo", "input": {"text": "a"}}, {"name": "Sleep"}]},
        {"text": "unused"},
    )
    result = h.run(model)
    assert (result.subtype, result.stop_reason) == ("error_during_execution", "interrupted")
    last = h.conv.messages[-1]["content"]
    assert last[0]["content"] == "echo: a"
    assert (last[1]["content"], last[1]["is_error"]) == (INTERRUPTED, True)


@pytest.mark.parametrize("timeout_s", [None, 30.0], ids=["no-deadline", "under-a-deadline"])
def test_ctrl_c_during_model_call(timeout_s: float | None) -> None:
    def fn(request: ModelRequest) -> str:
        raise KeyboardInterrupt

    h = Harness()
    result = h.run(FunctionModel(fn), limits=Limits(timeout_s=timeout_s))
    assert (result.subtype, result.stop_reason, result.is_error) == (
        "error_during_execution",
        "interrupted",
        True,
    )
    assert result.result == "Interrupted by the user."
    assert h.entries[-1]["stop_reason"] == "interrupted"


def test_unknown_model_cost_is_none() -> None:
    h = Harness()
    model = script({"text": "hi", "usage": {"input_tokens": 10}}, model="some-new-model")
    result = h.run(model)
    assert result.total_cost_usd is None
    assert result.usage == Usage(input_tokens=10)


def test_ctrl_c_at_approval_prompt_keeps_transcript_valid() -> None:
    def approver(call: ToolCall, reason: str) -> str:
        raise KeyboardInterrupt

    h = Harness(permissions=Perms({"Echo": "ask"}), approver=approver)
    result = h.run(script({"tool_calls": [{"name": "Echo"}]}, {"text": "unused"}))
    assert (result.subtype, result.stop_reason) == ("error_during_execution", "interrupted")
    assert h.conv.messages[-1]["content"][0]["content"] == INTERRUPTED


def test_max_tokens_with_no_content_leaves_a_note() -> None:
    seen: list[ModelRequest] = []

    def fn(request: ModelRequest) -> ModelResponse | str:
        seen.append(request)
        return ModelResponse([], "max_tokens") if len(seen) == 1 else "done"

    assert Harness().run(FunctionModel(fn)).subtype == "success"
    assert seen[1].messages[1]["content"] == [
        {"type": "text", "text": "[output cut off by the token limit]"}
    ]


def test_max_tokens_drops_a_cut_tool_use() -> None:
    seen: list[ModelRequest] = []

    def fn(request: ModelRequest) -> ModelResponse | str:
        seen.append(request)
        if len(seen) == 1:
            cut = {"type": "tool_use", "id": "t", "name": "Echo", "input": {}}
            return ModelResponse([cut], "max_tokens")
        return "done"

    h = Harness()
    assert h.run(FunctionModel(fn)).subtype == "success"
    assert seen[1].messages[1]["content"] == [
        {"type": "text", "text": "[output cut off by the token limit]"}
    ]
    assert not any(isinstance(e, ToolStartEvent) for e in h.events)


def test_transcript_is_synced_before_every_model_call_and_at_the_end() -> None:
    """One fsync per turn: every entry written since the last sync is durable before the
    model is called again, and the result entry is durable before run_turns returns."""
    log: list[str] = []
    entries: list[JSON] = []

    def persist(entry: JSON) -> None:
        entries.append(entry)
        log.append("persist")

    def answer(request: ModelRequest) -> dict[str, Any]:
        log.append("model")
        if len(request.messages) == 1:
            return {"tool_calls": [{"name": "Echo", "input": {"text": "x"}}]}
        return {"text": "done"}

    io = LoopIO(
        tools=Runner([Echo()]),
        permissions=None,
        emit=lambda event: None,
        persist=persist,
        cancel=threading.Event(),
        sync=lambda: log.append("sync"),
    )
    result = run_turns(Conversation("s"), "go", FunctionModel(answer), io)
    assert result.subtype == "success"
    # Before each model call, the last step was a sync; nothing is written after the final one.
    for i, step in enumerate(log):
        if step == "model":
            assert log[i - 1] == "sync", log
    assert log[-1] == "sync", log
    assert log.count("model") == 2
    assert log.count("sync") == 3


def test_result_subtypes_are_the_contracts_closed_set() -> None:
    """DESIGN.md's four subtypes plus issue 5's own one for the wall clock; nothing else, so a
    script matching on subtype never meets an unknown value (refusal, Ctrl-C and friends are
    error_during_execution with their own stop_reason)."""
    from typing import get_args

    from agentrun.core.events import ResultSubtype

    assert set(get_args(ResultSubtype)) == {
        "success",
        "error_max_turns",
        "error_max_budget_usd",
        "error_during_execution",
        "error_timeout",
    }
