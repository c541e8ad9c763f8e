"""Context size of one long scripted session with and without spill and compaction.

    python bench/context_size.py [--turns 200] [--window 50000]

The session reads a module every turn, and every 10th turn also runs a Bash command printing
~110,000 characters and a Grep with ~90,000 characters of matches (what a test log or a broad
search gives). Four runs: spill on/off (``max_output_chars`` 30,000 / 0) x compaction on/off
(the scripted model's window ``--window`` and agentrun's 85% threshold / a 1M window, never
reached). Prints one JSON line per run: the peak and last prompt size (tokens, from the
usage each answer reports), the input tokens summed over every call (what a session pays for),
the compactions, and the share of the last prompt that tool results take (``/context``'s split).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def session(turns: int, window: int, *, spill: bool, compaction: bool) -> dict[str, Any]:
    from agentrun.core.events import AssistantEvent, CompactEvent, Event
    from agentrun.models.scripted import ScriptedModel
    from agentrun.runner.api import AgentSession

    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-ctx-"))
    home = Path(tempfile.mkdtemp(prefix="agentrun-bench-ctx-home-"))
    os.environ["AGENTRUN_HOME"] = str(home)
    try:
        for i in range(10):
            (ws / f"module_{i}.py").write_text(f"def handler_{i}(request):\n    return {i}\n" * 25)
        (ws / "data.log").write_text("".join(f"event {i} ok\n" for i in range(7_000)))
        script: list[dict[str, Any]] = []
        for n in range(turns - 1):
            calls: list[dict[str, Any]] = [
                {"name": "Read", "input": {"file_path": f"module_{n % 10}.py"}}
            ]
            if n % 10 == 9:
                calls.append({"name": "Bash", "input": {"command": "seq 1 20000 | sed 's/$/ ok/'"}})
                grep = {"pattern": "ok", "path": "data.log", "output_mode": "content"}
                calls.append({"name": "Grep", "input": {**grep, "head_limit": 0}})
            script.append({"text": f"Step {n}.", "tool_calls": calls})
        script.append({"text": "Done."})
        model = ScriptedModel.from_data(
            {
                "context_window": window if compaction else 1_000_000,
                "summary": "Read modules 0-9 in a loop; the logs were fine.",
                "turns": script,
            }
        )
        prompts: list[int] = []
        compactions: list[CompactEvent] = []

        def on_event(event: Event) -> None:
            if isinstance(event, AssistantEvent):
                prompts.append(event.usage.total_input_tokens)
            elif isinstance(event, CompactEvent):
                compactions.append(event)

        with AgentSession(
            cwd=ws,
            model=model,
            max_turns=turns + 2,
            permission_mode="bypassPermissions",
            max_output_chars=30_000 if spill else 0,
            on_event=on_event,
        ) as s:
            result = s.send("Read the modules and check the logs, again and again.")
            parts = s.context.parts()
        if result.is_error:
            raise SystemExit(f"run failed: {result.subtype}: {result.result}")
        return {
            "spill": spill,
            "compaction": compaction,
            "turns": result.num_turns,
            "compactions": len(compactions),
            "peak_prompt": max(prompts),
            "last_prompt": prompts[-1],
            "input_tokens_summed": sum(prompts),
            "tool_results_share_of_last": round(parts.tool_results / max(parts.used, 1), 3),
        }
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--window", type=int, default=50_000)
    args = parser.parse_args()
    for spill in (True, False):
        for compaction in (True, False):
            row = session(args.turns, args.window, spill=spill, compaction=compaction)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
