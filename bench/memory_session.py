"""Child process of bench/run: peak memory of a long session vs the size of its transcript.

Runs N turns, each reading a 10 KB file, with a function model (no network), then reports how
much the process's peak RSS grew over the session and how large the JSONL transcript is.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
from pathlib import Path
from typing import Any


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=1000)
    args = parser.parse_args()

    from agentrun.core.types import ModelRequest
    from agentrun.models.function import FunctionModel
    from agentrun.runner.api import run

    ws = Path(tempfile.mkdtemp(prefix="agentrun-bench-mem-"))
    home = Path(tempfile.mkdtemp(prefix="agentrun-bench-mem-home-"))
    for i in range(8):
        # 10 KB of varied text per file, so results are not one shared string.
        (ws / f"data_{i}.txt").write_text(
            "".join(f"row {i}-{n:05d} " + "y" * 80 + "\n" for n in range(110))
        )
    calls = 0

    def fn(request: ModelRequest) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls >= args.turns:
            return {"text": "done"}
        return {"tool_calls": [{"name": "Read", "input": {"file_path": f"data_{calls % 8}.txt"}}]}

    os.environ["AGENTRUN_HOME"] = str(home)
    baseline = _peak_rss_mb()
    try:
        result = run("read", cwd=ws, model=FunctionModel(fn), max_turns=args.turns + 5)
        grown = _peak_rss_mb() - baseline
        transcripts = list((home / "sessions").glob("*.jsonl"))
        size_mb = sum(p.stat().st_size for p in transcripts) / (1024 * 1024)
    finally:
        shutil.rmtree(ws, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    if result.is_error:
        raise SystemExit(f"run failed: {result.subtype}: {result.result}")
    print(
        json.dumps(
            {"turns": result.num_turns, "peak_rss_growth_mb": grown, "transcript_mb": size_mb}
        )
    )


if __name__ == "__main__":
    main()
