"""What the batch and peer benchmarks share: the interpreter, the ``agentrun`` script, a private
environment, a side of a pair, a skipped row."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

from harness import Outcome, Side

PYTHON = sys.executable
SCRIPTS = Path(sysconfig.get_path("scripts"))
GIT = ["git", "-c", "user.name=b", "-c", "user.email=b@b"]


def agentrun_bin() -> str:
    return str(SCRIPTS / "agentrun") if (SCRIPTS / "agentrun").exists() else "agentrun"


def bench_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return {**env, "HOME": str(home), "AGENTRUN_HOME": str(home / ".agentrun"), **extra}


def side(label: str, seconds: float, unit: str = "s") -> Side:
    value = seconds if unit == "s" else seconds * 1000
    return Side(label, value, value, value, unit=unit)


def skipped(name: str, why: str) -> Outcome:
    return Outcome(name, Side("skipped", 0, 0, 0), None, "skipped", True, None, note=why)
