"""Child process of bench/run: a long scripted session through the fake Messages API server.

The real ``anthropic`` SDK talks HTTP to ``FakeAnthropicServer``, which serves a scripted model
with a small context window and compacts server-side (``compact_20260112``) at agentrun's
threshold; agentrun's threshold is set to 85% of that window. Prints JSON: summed usage, the
number of compactions, and the runtime's own time per turn (from the model's answer to the next
call, minus tool time) for the first and the last turns.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--window", type=int, default=50_000)
    args = parser.parse_args()

    from agentrun.core.events import CompactEvent, Event, ToolEndEvent
    from agentrun.models.anthropic import AnthropicModel
    from agentrun.models.catalog import model_info
    from agentrun.models.scripted import ScriptedModel
    from agentrun.runner.api import run
    from agentrun.testing.fake_server import FakeAnthropicServer

    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-long-"))
    home = Path(tempfile.mkdtemp(prefix="agentrun-bench-long-home-"))
    for i in range(10):
        (ws / f"module_{i}.py").write_text(f"def handler_{i}(request):\n    return {i}\n" * 25)
    turns: list[dict[str, Any]] = [
        {
            "text": f"Step {n}.",
            "tool_calls": [{"name": "Read", "input": {"file_path": f"module_{n % 10}.py"}}],
        }
        for n in range(args.turns - 1)
    ]
    turns.append({"text": "All read."})
    serving = ScriptedModel.from_data(
        {"context_window": args.window, "summary": "Read modules 0-9 in a loop.", "turns": turns}
    )
    entered: list[float] = []
    left: list[float] = []
    tool_ms: list[float] = []
    compactions: list[CompactEvent] = []

    class Timed:
        """The Anthropic adapter, timed at its edges (``inner``: the runtime configures it)."""

        def __init__(self, inner: AnthropicModel) -> None:
            self.inner = inner

        @property
        def model_id(self) -> str:
            return self.inner.model_id

        def complete(self, request: Any, *, on_text: Any = None) -> Any:
            entered.append(time.perf_counter())
            try:
                return self.inner.complete(request, on_text=on_text)
            finally:
                left.append(time.perf_counter())

        def close(self) -> None:
            self.inner.close()

    def on_event(event: Event) -> None:
        if isinstance(event, ToolEndEvent):
            tool_ms.append(event.duration_ms)
        elif isinstance(event, CompactEvent):
            compactions.append(event)

    os.environ.update({"ANTHROPIC_API_KEY": "sk-ant-bench-not-a-key", "AGENTRUN_HOME": str(home)})
    share = 0.85 * args.window / model_info("sonnet").window
    try:
        with FakeAnthropicServer(model=serving) as server:
            model = Timed(AnthropicModel("claude-sonnet-5-5", base_url=server.url))
            result = run(
                "Read the modules, again and again.",
                cwd=ws,
                model=model,
                max_turns=args.turns + 2,
                compact_threshold=share,
                on_event=on_event,
            )
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    if result.is_error:
        raise SystemExit(f"run failed: {result.subtype}: {result.result}")
    overhead = [(entered[k + 1] - left[k]) * 1000 - tool_ms[k] for k in range(len(tool_ms))]
    u = result.usage
    print(
        json.dumps(
            {
                "turns": result.num_turns,
                "compactions": len(compactions),
                "cache_read": u.cache_read_input_tokens,
                "cache_write": u.cache_creation_input_tokens,
                "uncached": u.input_tokens,
                "total_input": u.total_input_tokens,
                "late_ms": statistics.median(overhead[-15:]),
                "early_ms": statistics.median(overhead[10:25]),
            }
        )
    )


if __name__ == "__main__":
    main()
