"""Loop-level benchmarks: per-turn overhead as history grows, cache share, peak memory.

These are not two commands timed against each other; each compares agentrun with itself or
with a size it must stay proportional to, measured in the same run:

- loop overhead at turn ~1,000 vs turn ~10 of ONE session (the per-turn cost must not grow with
  history): overhead = time from the model's answer to the next model call, minus the time spent
  inside tools — i.e. persisting, permission checks, dispatch, bookkeeping;
- the share of input tokens served from cache over a 30-turn session through the fake Messages
  API server (real SDK, real HTTP, the server computing cache hits from breakpoints and prefix
  equality as the real API does);
- peak memory of a 1,000-turn session with 10 KB tool results vs the size of its transcript.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from childsession import cache_outcome, child_json
from harness import Outcome, Side


def _workspace(prefix: str, *, result_kb: int = 1) -> Path:
    ws = Path(tempfile.mkdtemp(prefix=prefix))
    (ws / "notes.txt").write_text(("x" * 99 + "\n") * (result_kb * 10))
    return ws


def loop_overhead(*, quick: bool, rounds: int) -> Outcome:
    from agentrun.core.events import Event, ToolEndEvent
    from agentrun.core.types import ModelRequest
    from agentrun.models.function import FunctionModel
    from agentrun.runner.api import run

    turns = 200 if quick else 1000
    window = max(rounds, 15)
    ws = _workspace("agentrun-bench-loop-")
    home = ws.parent / (ws.name + "-home")
    entered: list[float] = []
    left: list[float] = []
    tool_ms: list[float] = []

    def fn(request: ModelRequest) -> dict[str, Any]:
        entered.append(time.perf_counter())
        if len(entered) >= turns:
            answer: dict[str, Any] = {"text": "done"}
        else:
            answer = {"tool_calls": [{"name": "Read", "input": {"file_path": "notes.txt"}}]}
        left.append(time.perf_counter())
        return answer

    def on_event(event: Event) -> None:
        if isinstance(event, ToolEndEvent):
            tool_ms.append(event.duration_ms)

    os.environ["AGENTRUN_HOME"] = str(home)
    try:
        result = run(
            "read the notes over and over",
            cwd=ws,
            model=FunctionModel(fn),
            max_turns=turns + 5,
            permission_mode="bypassPermissions",
            on_event=on_event,
        )
    finally:
        os.environ.pop("AGENTRUN_HOME", None)
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    if result.is_error:
        raise RuntimeError(f"loop benchmark run failed: {result.subtype} {result.result}")
    # Overhead of turn k: from the model's k-th answer to its (k+1)-th call, minus tool time.
    overhead = [(entered[k + 1] - left[k]) * 1000 - tool_ms[k] for k in range(len(tool_ms))]
    early = overhead[10 : 10 + window]
    late = overhead[-window:]
    ours = Side(f"turns {turns - window}-{turns}", *_stats(late))
    base = Side(f"turns 10-{10 + window}", *_stats(early))
    ratio = ours.median / base.median if base.median > 0 else float("inf")
    met = ratio <= 1.5 and ours.median < 1.0
    return Outcome(
        f"loop overhead per turn, turn {turns} vs turn 10 (one Read per turn)",
        ours,
        base,
        "<= 1.5x and < 1 ms",
        met,
        ratio,
        rounds=window,
    )


def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def cache_share(*, quick: bool, rounds: int) -> Outcome:
    """Run the 30-turn session in a child process so the SDK's import cost stays out of ours."""
    data = child_json("cache_session.py", "cache session", "--turns", "30")
    return cache_outcome(
        "share of input tokens served from cache, 30-turn session via the fake API", data, 90.0
    )


def peak_memory(*, quick: bool, rounds: int) -> Outcome:
    turns = 200 if quick else 1000
    data = child_json("memory_session.py", "memory session", "--turns", str(turns))
    grown = data["peak_rss_growth_mb"]
    transcript = data["transcript_mb"]
    ratio = grown / transcript if transcript else float("inf")
    return Outcome(
        f"peak memory of a {turns}-turn session, 10 KB tool results  vs  its transcript",
        Side("peak RSS growth", grown, grown, grown, unit="MB"),
        Side("transcript size", transcript, transcript, transcript, unit="MB"),
        "<= 3x",
        ratio <= 3.0,
        ratio,
        rounds=1,
    )


PAIRS = [
    ("loop-overhead", loop_overhead),
    ("cache-share", cache_share),
    ("peak-memory", peak_memory),
]
