"""What SIGKILLed runtimes left behind (init processes, cgroups, state directories), found by
the names a jail gives them and removed before a new jail starts."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from agentrun.jail import cgroups, gitguard, syscalls

STATE_PREFIX = "agentrun-jail-"

_INIT_NAMES = (b"agentrun.jail.init", b"agentrun.jail.zygote")


def sweep() -> None:
    """Remove what SIGKILLed runtimes left: init processes, cgroups, state directories."""
    for entry in Path("/proc").iterdir():
        name = entry.name
        if not name.isdigit():
            continue
        try:
            cmd = Path(f"/proc/{name}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # A template's forks carry its command line: its owner is theirs.
        is_init = len(cmd) >= 5 and cmd[2] in _INIT_NAMES and cmd[4].isdigit()
        if is_init and not syscalls.pid_alive(int(cmd[4])):
            with contextlib.suppress(OSError):
                os.kill(int(name), signal.SIGKILL)
    with contextlib.suppress(OSError):
        cgroups.sweep()
    base = Path(tempfile.gettempdir())
    for path in base.glob(f"{STATE_PREFIX}*"):
        owner = path.name.removeprefix(STATE_PREFIX).split("-")[0]
        if owner.isdigit() and not syscalls.pid_alive(int(owner)):
            gitguard.sweep(path)
            shutil.rmtree(path, ignore_errors=True)
