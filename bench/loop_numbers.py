#!/usr/bin/env python3
"""The loop issue's two closing numbers, printed:

1. the share of input tokens served from the prompt cache over a 30-turn session (one Read per
   turn, then a closing answer) through the fake Messages API, driven by the real SDK;
2. the loop's own overhead per turn (median): from the model's answer to the next model call,
   with a scripted model and an instant fake tool, so what is left is the loop itself —
   building the request, persisting (fsynced JSONL), permission checks, dispatch, events.

    python bench/loop_numbers.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

TURNS = 30


def cache_share() -> tuple[float, Any]:
    from agentrun.api import run
    from agentrun.models.scripted import ScriptedModel
    from agentrun.testing.fake_server import FakeAnthropicServer

    ws = Path(tempfile.mkdtemp(prefix="agentrun-cache-"))
    (ws / "reader.md").write_text(
        "---\nname: reader\ndescription: Reads.\ntools: Read, Glob, Grep\n---\nYou read code.\n"
    )
    for i in range(TURNS):
        (ws / f"mod{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n" * 20)
    turns: list[dict[str, Any]] = [
        {
            "text": f"Reading module {i}.",
            "tool_calls": [{"name": "Read", "input": {"file_path": f"mod{i}.py"}}],
        }
        for i in range(TURNS)
    ]
    turns.append({"text": "All modules add a constant."})
    with FakeAnthropicServer(model=ScriptedModel.from_data({"turns": turns})) as server:
        os.environ.update(
            ANTHROPIC_BASE_URL=server.url,
            ANTHROPIC_API_KEY="sk-ant-bench-not-a-real-key",
            AGENTRUN_HOME=str(ws / ".home"),
        )
        result = run("Read every module.", agent=str(ws / "reader.md"), cwd=ws, model="sonnet")
    assert result.subtype == "success", result.result
    usage = result.usage
    return usage.cache_read_input_tokens / usage.total_input_tokens, result


def loop_overhead(turns: int = 300, *, fsync: bool = True) -> list[float]:
    from agentrun.loop import Conversation, LoopIO, run_turns
    from agentrun.models.scripted import ScriptedModel
    from agentrun.permissions import PermissionPolicy
    from agentrun.session import FileSessionStore
    from agentrun.types import ModelRequest, ModelResponse, ToolCall, ToolResult, ToolSpec

    class InstantRunner:
        def specs(self) -> list[ToolSpec]:
            return [ToolSpec("Read", "Read a file.", {"type": "object", "properties": {}})]

        def run_calls(
            self,
            calls: Sequence[ToolCall],
            *,
            on_start: Callable[[ToolCall], None] | None = None,
            on_end: Callable[[ToolCall, ToolResult, float], None] | None = None,
        ) -> list[ToolResult]:
            out = []
            for call in calls:
                if on_start:
                    on_start(call)
                result = ToolResult("     1\tdef f(x):\n     2\t    return x\n")
                if on_end:
                    on_end(call, result, 0.0)
                out.append(result)
            return out

    script = [{"tool_calls": [{"name": "Read", "input": {"file_path": "a.py"}}]}] * turns
    inner = ScriptedModel.from_data({"turns": [*script, {"text": "done"}]})
    entered: list[float] = []
    left: list[float] = []

    class Timed:
        model_id = inner.model_id

        def complete(self, request: ModelRequest, *, on_text: Any = None) -> ModelResponse:
            entered.append(time.perf_counter())
            response = inner.complete(request, on_text=on_text)
            left.append(time.perf_counter())
            return response

    tmp = Path(tempfile.mkdtemp(prefix="agentrun-overhead-"))
    store = FileSessionStore(tmp)
    conv = Conversation("bench")
    io = LoopIO(
        tools=InstantRunner(),
        permissions=PermissionPolicy.load("default", cwd=tmp, home=tmp),
        emit=lambda e: None,
        persist=(lambda entry: store.append("bench", entry)) if fsync else (lambda entry: None),
        cancel=threading.Event(),
        system="You read code.",
    )
    result = run_turns(conv, "go", Timed(), io)
    store.close()
    assert result.subtype == "success", result.result
    return [(entered[i + 1] - left[i]) * 1000 for i in range(len(left) - 1)]


def main() -> int:
    share, result = cache_share()
    u = result.usage
    print(
        f"cache share over {result.num_turns} model calls ({TURNS} Read turns + answer), "
        f"real SDK -> fake API: {share:.1%} of {u.total_input_tokens:,} input tokens "
        f"(read {u.cache_read_input_tokens:,}, written {u.cache_creation_input_tokens:,}, "
        f"uncached {u.input_tokens:,}); cost ${result.total_cost_usd:.4f}"
    )
    for fsync, label in ((True, "fsynced JSONL transcript"), (False, "transcript not written")):
        gaps = loop_overhead(fsync=fsync)
        print(
            f"loop overhead per turn (scripted model, instant tool, {label}, "
            f"{len(gaps)} turns): median {statistics.median(gaps):.3f} ms, "
            f"p90 {statistics.quantiles(gaps, n=10)[-1]:.3f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
