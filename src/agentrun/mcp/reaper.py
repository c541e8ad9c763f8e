"""Server processes left behind by a runtime that was killed (SIGKILL gives it no chance to stop
them): every stdio server starts with ``AGENTRUN_MCP_OWNER=<pid>:<start time>`` of its runtime in
its environment, which its own children inherit; the next runtime that starts MCP servers kills
every process of this user whose owner is gone (and its process group: servers start in their
own session). ``AGENTRUN_MCP_CLIENT=<n>`` says which of the runtime's clients started it: a
client that stops (a subagent's, while its session's servers go on) sweeps only its own. (A
variable of its own: the owner's value keeps the form every agentrun reads, or another
version's sweep would take a live runtime's servers for strays.)"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
from pathlib import Path

MARKER = "AGENTRUN_MCP_OWNER"
CLIENT = "AGENTRUN_MCP_CLIENT"
_clients = itertools.count(1)


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


def client_id() -> str:
    """A number for one client of this runtime (its servers' ``AGENTRUN_MCP_CLIENT``)."""
    return str(next(_clients))


def _alive(token: str) -> bool:
    pid, _, started = token.partition(":")
    return pid.isdigit() and _start_time(int(pid)) == started


def sweep(*, mine: str | None = None) -> list[int]:
    """Kill the strays of dead runtimes (``mine``: this runtime's client of that id, at its
    end: a server that exits when its stdin closes leaves its children behind); the pids
    killed."""
    killed: list[int] = []
    needle = f"{MARKER}=".encode()
    own = owner_token()
    client = f"{CLIENT}={mine}".encode()
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
        variables = environ.split(b"\0")
        for var in variables:
            if var.startswith(needle):
                token = var[len(needle) :].decode(errors="replace")
                ours = token == own and client in variables
                if ours if mine is not None else not _alive(token):
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
