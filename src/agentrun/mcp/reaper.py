"""Server processes left behind by a runtime that was killed (SIGKILL gives it no chance to stop
them): every stdio server starts with ``AGENTRUN_MCP_OWNER=<pid>:<start time>:<client>`` (its
runtime's, and which of the runtime's clients started it) in its environment, which its own
children inherit; the next runtime that starts MCP servers kills
every process of this user whose owner is gone (and its process group: servers start in their
own session)."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
from pathlib import Path

MARKER = "AGENTRUN_MCP_OWNER"


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22, counted after the command name


def owner_token(pid: int | None = None) -> str:
    """This runtime's marker value (the start time tells a reused pid apart)."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{_start_time(pid)}"


def client_token() -> str:
    """The marker value of one client's servers: the runtime's, and a number of its own, so
    that a client (a subagent's, stopping while its session's go on) sweeps only its own."""
    return f"{owner_token()}:{next(_clients)}"


_clients = itertools.count(1)


def _alive(token: str) -> bool:
    pid, _, rest = token.partition(":")
    started = rest.split(":", 1)[0]
    return pid.isdigit() and _start_time(int(pid)) == started


def sweep(*, mine: str | None = None) -> list[int]:
    """Kill the strays of dead runtimes (``mine``: a client's token, at its end: a server
    that exits when its stdin closes leaves its children behind); the pids killed."""
    killed: list[int] = []
    needle = f"{MARKER}=".encode()
    uid = os.getuid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid != uid:
                continue
            environ = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        if needle not in environ:
            continue
        for var in environ.split(b"\0"):
            if var.startswith(needle):
                token = var[len(needle) :].decode(errors="replace")
                if (token == mine) if mine is not None else not _alive(token):
                    pid = int(entry.name)
                    with contextlib.suppress(OSError):
                        group = os.getpgid(pid)
                        if group not in (os.getpgrp(), 0, 1):
                            os.killpg(group, signal.SIGKILL)
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                break
    return killed
