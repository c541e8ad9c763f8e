"""git run by the runtime itself (unconfined) on trees a model may have written to: hooks and
config-defined helpers kept off (``core.hooksPath``, ``core.fsmonitor``, no system or global
config), no prompts, a fixed identity for the commits it makes."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path
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


SYSTEM_DIRS = (
    "/usr/local/bin",
    "/usr/bin",
    "/bin",
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
    "/opt/homebrew/bin",
    "/home/linuxbrew/.linuxbrew/bin",
    "/run/current-system/sw/bin",
    "/nix/var/nix/profiles/default/bin",
)
"""Where git is looked for first: a ``git`` planted in a workspace directory that is on PATH
(``./bin``, ``~/.local/bin`` in a home workspace) must never run unconfined."""


@functools.cache
def git_program() -> str:
    """The ``git`` the runtime runs: from the system directories when there is one, else from
    PATH without its relative entries and those inside the current directory (a workspace)."""
    found = shutil.which("git", path=os.pathsep.join(SYSTEM_DIRS))
    if found is None:
        here = Path.cwd().resolve()
        dirs = [
            d
            for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and Path(d).is_absolute() and not Path(d).resolve().is_relative_to(here)
        ]
        found = shutil.which("git", path=os.pathsep.join(dirs))
    return found or "git"


def git_argv(*args: str) -> list[str]:
    """The command line of ``git ARGS`` with hooks and the fsmonitor helper kept off."""
    return [git_program(), "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]


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
