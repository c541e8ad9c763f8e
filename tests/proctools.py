"""Helpers for tests that must find their own processes in /proc on a shared machine."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable


def unique_sleep() -> str:
    """A sleep argument no other process on this shared machine uses, to find ours in /proc."""
    return f"{1000 + secrets.randbelow(9000)}.{secrets.randbelow(10**6):06d}"


def live_with_arg(arg: str) -> list[int]:
    """Host pids of live (non-zombie) processes with ``arg`` as one of their argv entries."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if arg.encode() in argv and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def wait_for(predicate: Callable[[], object], timeout: float = 3.0) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; its last answer."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
