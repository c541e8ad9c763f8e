"""git run by the runtime itself (unconfined) on trees a model may have written to: hooks and
config-defined helpers kept off (``core.hooksPath``, ``core.fsmonitor``, no system or global
config), no prompts, a fixed identity for the commits it makes."""

from __future__ import annotations

import os
import subprocess
from typing import Any

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_AUTHOR_NAME": "agentrun",
    "GIT_AUTHOR_EMAIL": "agentrun@localhost",
    "GIT_COMMITTER_NAME": "agentrun",
    "GIT_COMMITTER_EMAIL": "agentrun@localhost",
}


def git_argv(*args: str) -> list[str]:
    """The command line of ``git ARGS`` with hooks and the fsmonitor helper kept off."""
    return ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]


def git(cwd: str, *args: str, text: bool = True) -> subprocess.CompletedProcess[Any]:
    """``git ARGS`` in ``cwd``, captured, never raising for its exit code."""
    return subprocess.run(
        git_argv(*args),
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=text,
        stdin=subprocess.DEVNULL,
        check=False,
    )
