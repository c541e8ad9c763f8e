"""The cost a no-op PreToolUse hook adds to each tool call, against a plain ``sh -c true`` spawn
measured in the same run (target: under 15 ms a call).

Two sessions of the same scripted tool calls run interleaved, one with a PreToolUse hook
(``true``) on every call and one without; the difference of their median durations divided by
the number of calls is the hook's cost per call: spawning it, the envelope, reading its answer,
reporting it.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from harness import Outcome, Side

TARGET_MS = 15.0


def noop_pretooluse(*, quick: bool, rounds: int) -> Outcome:
    from agentrun.models.scripted import ScriptedModel
    from agentrun.runner.api import run

    calls = 10 if quick else 40
    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-hooks-"))
    (ws / "a.txt").write_text("x\n")
    turn = {"tool_calls": [{"name": "Read", "input": {"file_path": "a.txt"}}]}
    script = {"turns": [turn] * calls + [{"text": "done"}]}
    hooks = {"hooks": {"PreToolUse": [{"matcher": "Read", "hooks": [{"command": "true"}]}]}}

    def session(with_hook: bool) -> float:
        started = time.perf_counter()
        result = run(
            "read it",
            cwd=ws,
            agent="backend-specialist",
            model=ScriptedModel.from_data(script),
            permission_mode="bypassPermissions",
            sandbox="danger-full-access",  # the jail's start-up is noise here, not the subject
            settings=hooks if with_hook else {},
            sessions_root=ws / "sessions",
        )
        if result.is_error:
            raise RuntimeError(result.result)
        return time.perf_counter() - started

    def spawn() -> float:
        started = time.perf_counter()
        subprocess.run(["sh", "-c", "true"], check=True)
        return time.perf_counter() - started

    plain: list[float] = []
    hooked: list[float] = []
    spawns: list[float] = []
    try:
        for i in range(rounds + 1):  # the first round warms up
            order = (False, True) if i % 2 == 0 else (True, False)
            times = {flag: session(flag) for flag in order}
            spawns += [spawn() for _ in range(5)]
            if i:
                plain.append(times[False])
                hooked.append(times[True])
    finally:
        shutil.rmtree(ws, ignore_errors=True)
    per_call = [(h - p) * 1000 / calls for h, p in zip(hooked, plain, strict=True)]
    spawn_ms = [s * 1000 for s in spawns[5:]]
    ours = Side(
        "no-op PreToolUse hook, added per call",
        statistics.median(per_call),
        min(per_call),
        max(per_call),
    )
    base = Side("sh -c true", statistics.median(spawn_ms), min(spawn_ms), max(spawn_ms))
    return Outcome(
        f"no-op PreToolUse hook per tool call ({calls} calls)  vs  sh -c true",
        ours,
        base,
        f"< {TARGET_MS:g} ms a call",
        ours.median < TARGET_MS,
        ours.median / base.median if base.median > 0 else None,
        rounds=rounds,
    )


PAIRS = [("hook-pretooluse", noop_pretooluse)]
