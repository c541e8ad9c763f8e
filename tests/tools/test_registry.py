"""ToolRunner and build_tools, with small tool classes that fit the real Tool protocol."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from toolkit import make_ctx

from agentrun.core.protocols import Tool
from agentrun.core.types import JSON, ToolCall, ToolResult
from agentrun.tools.base import ToolContext
from agentrun.tools.registry import ALL_TOOL_NAMES, ToolRunner, build_tools, cut_middle

SCHEMA: JSON = {
    "type": "object",
    "properties": {"file_path": {"type": "string"}, "n": {"type": "integer", "minimum": 0}},
    "required": ["file_path"],
    "additionalProperties": False,
}


@dataclass
class Timeline:
    """Start and end times of each call, by call id, shared by the fake tools of one test."""

    spans: dict[str, tuple[float, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str, start: float, end: float) -> None:
        with self.lock:
            self.spans[key] = (start, end)


class SleepTool:
    """Sleeps ``n`` milliseconds and echoes its file_path; read-only or not per instance."""

    description = "test tool"
    input_schema = SCHEMA

    def __init__(self, name: str, *, read_only: bool, timeline: Timeline) -> None:
        self.name = name
        self.read_only = read_only
        self.timeline = timeline

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        start = time.monotonic()
        time.sleep(input.get("n", 0) / 1000)
        self.timeline.record(str(input["file_path"]), start, time.monotonic())
        return ToolResult(f"{self.name}:{input['file_path']}")


class BoomTool:
    name = "Boom"
    description = "raises"
    input_schema = SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        raise RuntimeError(str(input["file_path"]))


class CancelTool:
    """Sets the session's cancel flag, as a Ctrl-C during this call would."""

    name = "Cancel"
    description = "cancels"
    input_schema = SCHEMA
    read_only = False

    def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
        ctx.cancel.set()
        return ToolResult("cancelled the session")


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return make_ctx(tmp_path)


def call(name: str, i: int | str, **input: object) -> ToolCall:
    return ToolCall(id=f"t{i}", name=name, input=dict(input))


def make_runner(ctx: ToolContext, timeline: Timeline, *extra: Tool) -> ToolRunner:
    tools: list[Tool] = [
        SleepTool("Look", read_only=True, timeline=timeline),
        SleepTool("Change", read_only=False, timeline=timeline),
        *extra,
    ]
    return ToolRunner(tools, ctx)


def test_read_only_calls_overlap(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    calls = [call("Look", i, file_path=f"r{i}", n=150) for i in range(4)]
    started = time.monotonic()
    results = runner.run_calls(calls)
    elapsed = time.monotonic() - started
    assert [r.text() for r in results] == ["Look:r0", "Look:r1", "Look:r2", "Look:r3"]
    spans = list(timeline.spans.values())
    assert max(s for s, _ in spans) < min(e for _, e in spans), "all four ran at the same time"
    assert elapsed < 0.45


def test_writes_run_one_at_a_time_in_order(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    calls = [call("Change", i, file_path=f"w{i}", n=40) for i in range(3)]
    results = runner.run_calls(calls)
    assert [r.text() for r in results] == ["Change:w0", "Change:w1", "Change:w2"]
    spans = [timeline.spans[f"w{i}"] for i in range(3)]
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start


def test_a_write_separates_read_batches(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    calls = [
        call("Look", 0, file_path="r0", n=60),
        call("Look", 1, file_path="r1", n=60),
        call("Change", 2, file_path="w2", n=20),
        call("Look", 3, file_path="r3", n=10),
    ]
    results = runner.run_calls(calls)
    assert [r.text() for r in results] == ["Look:r0", "Look:r1", "Change:w2", "Look:r3"]
    span = timeline.spans
    assert span["w2"][0] >= max(span["r0"][1], span["r1"][1])
    assert span["r3"][0] >= span["w2"][1]


def test_results_in_call_order_when_finishing_out_of_order(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    ends: list[str] = []
    starts: list[str] = []
    calls = [call("Look", i, file_path=f"r{i}", n=n) for i, n in enumerate((120, 10, 60))]
    results = runner.run_calls(
        calls,
        on_start=lambda c: starts.append(c.id),
        on_end=lambda c, r, s: ends.append(c.id),
    )
    assert [r.text() for r in results] == ["Look:r0", "Look:r1", "Look:r2"]
    assert starts == ["t0", "t1", "t2"]
    assert ends == ["t1", "t2", "t0"]


def test_on_end_gets_result_and_duration(ctx: ToolContext) -> None:
    seen: list[tuple[str, str, float]] = []
    runner = make_runner(ctx, Timeline())
    runner.run_calls(
        [call("Change", 0, file_path="w", n=30)],
        on_end=lambda c, r, s: seen.append((c.id, r.text(), s)),
    )
    assert seen[0][:2] == ("t0", "Change:w")
    assert 0.03 <= seen[0][2] < 1


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        pytest.param({}, 'Missing required parameter "file_path" (a string).', id="missing"),
        pytest.param(
            {"file_path": "a", "x": 1},
            'Unexpected parameter "x". This tool takes only these parameters: file_path, n.',
            id="unexpected",
        ),
        pytest.param(
            {"file_path": 1}, 'Parameter "file_path" must be a string; got integer 1.', id="type"
        ),
        pytest.param(
            {"file_path": "a", "n": -1}, 'Parameter "n" must be at least 0; got -1.', id="minimum"
        ),
    ],
)
def test_invalid_input_is_an_error_result(ctx: ToolContext, input: JSON, expected: str) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    [result] = runner.run_calls([ToolCall("t0", "Change", input)])
    assert result == ToolResult(
        f"InputValidationError: Change failed due to the following issues:\n- {expected}\n"
        "Fix the call and try again.",
        is_error=True,
    )
    assert timeline.spans == {}, "the tool must not run"


def test_near_miss_names_are_refused_before_the_tool_runs(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline)
    [result] = runner.run_calls([call("Change", 0, path="p.txt")])
    assert result.is_error and 'Did you mean "file_path"?' in result.text()
    assert timeline.spans == {}, "the tool must not run"


def test_unknown_tool_lists_available(ctx: ToolContext) -> None:
    runner = make_runner(ctx, Timeline())
    [result] = runner.run_calls([call("Teleport", 0, file_path="x")])
    assert result == ToolResult(
        'No tool named "Teleport" is available. Available tools: Look, Change.', is_error=True
    )


def test_exception_becomes_error_result_and_is_logged(
    ctx: ToolContext, caplog: pytest.LogCaptureFixture
) -> None:
    runner = make_runner(ctx, Timeline(), BoomTool())
    with caplog.at_level(logging.ERROR, logger="agentrun.tools.registry"):
        [result, after] = runner.run_calls(
            [call("Boom", 0, file_path="kaput"), call("Change", 1, file_path="next")]
        )
    assert result == ToolResult("Boom failed unexpectedly: RuntimeError: kaput", is_error=True)
    assert after == ToolResult("Change:next")
    assert caplog.records[0].exc_info is not None


def test_long_exception_text_is_cut_in_the_middle(ctx: ToolContext) -> None:
    runner = make_runner(ctx, Timeline(), BoomTool())
    text = "A" * 6_000 + "B" * 3_000 + "C" * 6_000
    [result] = runner.run_calls([call("Boom", 0, file_path=text)])
    out = result.text()
    assert result.is_error
    assert out.startswith("Boom failed unexpectedly: RuntimeError: AAA")
    assert out.endswith("C" * 5_000)
    assert "characters cut" in out
    assert len(out) < 10_100


def test_cut_middle() -> None:
    assert cut_middle("x" * 10_000) == "x" * 10_000
    cut = cut_middle("a" * 5_000 + "m" * 10 + "z" * 5_000)
    assert cut == "a" * 5_000 + "\n\n... [10 characters cut] ...\n\n" + "z" * 5_000


def test_strict_reraises(ctx: ToolContext) -> None:
    runner = ToolRunner([BoomTool()], ctx, strict=True)
    with pytest.raises(RuntimeError, match="kaput"):
        runner.run_calls([call("Boom", 0, file_path="kaput")])


def test_strict_from_context_reraises_from_a_concurrent_batch(ctx: ToolContext) -> None:
    class ReadBoom(BoomTool):
        read_only = True

    ctx.strict = True
    runner = make_runner(ctx, Timeline(), ReadBoom())
    with pytest.raises(RuntimeError, match="in-thread"):
        runner.run_calls(
            [call("Boom", 0, file_path="in-thread"), call("Look", 1, file_path="r", n=20)]
        )


def test_cancel_interrupts_remaining_calls(ctx: ToolContext) -> None:
    timeline = Timeline()
    runner = make_runner(ctx, timeline, CancelTool())
    results = runner.run_calls(
        [
            call("Change", 0, file_path="w0"),
            call("Cancel", 1, file_path="c"),
            call("Change", 2, file_path="w2"),
            call("Look", 3, file_path="r3"),
        ]
    )
    assert [r.is_error for r in results] == [False, False, True, True]
    assert results[2].text() == "Interrupted by the user: this tool call was not run."
    assert set(timeline.spans) == {"w0"}


def test_specs_in_given_order(ctx: ToolContext) -> None:
    runner = make_runner(ctx, Timeline())
    assert [s.name for s in runner.specs()] == ["Look", "Change"]
    assert runner.specs()[0].input_schema is SCHEMA


def test_build_tools_all_and_subsets() -> None:
    grep_glob = build_tools(["Grep", "Nope", "mcp__x__y", "Glob", "Grep"])
    assert [t.name for t in grep_glob] == ["Grep", "Glob"]
    assert build_tools([]) == []
    six = ("Read", "Write", "Edit", "Bash", "Glob", "Grep")
    more = ("MultiEdit", "LS", "TodoWrite", "NotebookEdit", "BashOutput", "KillShell")
    assert list(ALL_TOOL_NAMES) == [*six, *more, "WebFetch", "WebSearch", "TaskOutput"]


def test_build_tools_none_gives_all() -> None:
    tools = build_tools(None)
    assert [t.name for t in tools] == list(ALL_TOOL_NAMES)
    read_only = ["Read", "Glob", "Grep", "LS", "TodoWrite", "BashOutput", "WebFetch", "WebSearch"]
    read_only.append("TaskOutput")
    assert [t.name for t in tools if t.read_only] == read_only
    assert all(isinstance(t, Tool) for t in tools)


def test_offering_tools_imports_none_of_their_code() -> None:
    # A fresh interpreter: this one has imported every tool already.
    code = (
        "import sys\n"
        "from agentrun.tools.registry import build_tools, tool_specs\n"
        "tool_specs(build_tools())\n"
        "print(sorted(m for m in sys.modules if m.startswith('agentrun.tools.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = out.stdout.strip()
    for module in ("read", "write", "edit", "bash", "glob", "grep", "shell", "rg", "validate"):
        assert f"'agentrun.tools.{module}'" not in loaded, loaded


@pytest.mark.parametrize("name", ALL_TOOL_NAMES)
def test_a_lazy_tool_is_described_exactly_like_its_implementation(name: str) -> None:
    [lazy] = build_tools([name])
    real = lazy.load()  # type: ignore[attr-defined]
    assert type(real).__name__ == f"{name}Tool"
    assert (lazy.name, lazy.description, lazy.input_schema, lazy.read_only) == (
        real.name,
        real.description,
        real.input_schema,
        real.read_only,
    )
    assert lazy.load() is real  # type: ignore[attr-defined]


def test_lazy_tools_load_once_under_a_concurrent_batch(ctx: ToolContext, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\n")
    [read] = build_tools(["Read"])
    calls = [ToolCall(f"c{i}", "Read", {"file_path": str(tmp_path / "a.txt")}) for i in range(6)]
    results = ToolRunner([read], ctx, strict=True).run_calls(calls)
    assert all("alpha" in str(r.content) and not r.is_error for r in results)
    assert read.load() is read.load()  # type: ignore[attr-defined]


def test_ctrl_c_during_a_batch_cancels_the_running_calls(ctx: ToolContext) -> None:
    saw_cancel: list[bool] = []

    class Interrupt(BoomTool):
        name = "Interrupt"
        read_only = True

        def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
            time.sleep(0.05)
            raise KeyboardInterrupt

    class LongSearch(BoomTool):
        name = "LongSearch"
        read_only = True

        def run(self, input: JSON, ctx: ToolContext) -> ToolResult:
            saw_cancel.append(ctx.cancel.wait(5))
            return ToolResult("stopped")

    runner = ToolRunner([Interrupt(), LongSearch()], ctx)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        runner.run_calls(
            [call("Interrupt", 0, file_path="a"), call("LongSearch", 1, file_path="b")]
        )
    assert time.monotonic() - started < 2
    assert saw_cancel == [True]
    assert ctx.cancel.is_set()
