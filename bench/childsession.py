"""Bench rows whose session runs in a child process (so the SDK's import cost stays out of the
parent): run its script, read the JSON numbers it prints, and the cache-share row they make."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness import Outcome, Side

HERE = Path(__file__).resolve().parent


def child_json(script: str, what: str, *args: str) -> dict[str, Any]:
    """The JSON object ``bench/SCRIPT ARGS`` prints; a failed child raises with its stderr's
    tail, named ``what``."""
    out = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{out.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(out.stdout)
    return data


def cache_outcome(name: str, data: dict[str, Any], floor: float) -> Outcome:
    """The row: the share of input tokens served from cache, at least ``floor`` percent."""
    share = 100.0 * data["cache_read"] / max(1, data["total_input"])
    return Outcome(
        name,
        Side("cache reads", share, share, share, unit="%"),
        None,
        f">= {floor:.0f}%",
        share >= floor,
        None,
        note=(
            f"input {data['total_input']:,} tokens: cache reads {data['cache_read']:,}, "
            f"cache writes {data['cache_write']:,}, uncached {data['uncached']:,}"
        ),
        rounds=1,
    )
