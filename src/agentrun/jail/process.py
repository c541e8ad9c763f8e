"""A Bash call running in the jail, as the runtime sees it: a :class:`SpawnedProcess`.

Everything it knows comes from the call's shim over a socket pair (see
:mod:`agentrun.jail.shim`): the pid, the exit status, whether the call's whole tree is gone.
If the jail disappears under it (session closed, init killed) the socket reads EOF and the call
counts as killed.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

from agentrun.jail import syscalls


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _inner_pid(host_pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{host_pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except OSError:
        pass
    return None


class JailProcess:
    """One Bash call in the jail, as seen from the runtime (through its shim's status socket)."""

    def __init__(self, sock: socket.socket, init_pid: int | None) -> None:
        self._sock = sock
        self._init_pid = init_pid
        self._buf = b""
        self._inner: int | None = None
        self._shim: int | None = None  # the shim's pid inside the jail
        self._status: int | None = None
        self._done = False  # the shim said D or went away
        self._eof = False
        # BashSession may kill() from another thread while run() polls: one reader at a time.
        self._lock = threading.Lock()

    def _pump(self, timeout: float | None) -> None:
        with self._lock:
            self._pump_locked(timeout)

    def _pump_locked(self, timeout: float | None) -> None:
        if self._eof:
            return
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return
        try:
            data = self._sock.recv(4096)
        except ConnectionResetError:
            data = b""  # the shim exited with our "K" unread: as good as EOF
        if not data:
            self._eof = True
            if self._status is None:
                self._status = -signal.SIGKILL  # the jail went away under it
            return
        self._buf += data
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            kind, _, value = line.decode().partition(" ")
            if kind == "P":
                pids = value.split()
                self._inner = int(pids[0])
                self._shim = int(pids[-1])
            elif kind == "X":
                self._status = int(value)
            elif kind == "D":
                self._done = True

    def _until(self, cond: Any, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not cond() and not self._eof:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._pump(left)
            if deadline is not None and time.monotonic() >= deadline:
                return

    def _host_pid(self, inner: int | None, *, parent_inner: int | None = None) -> int | None:
        """The host pid of the jail's process ``inner`` (a shim, or a shim's child)."""
        if self._init_pid is None or inner is None:
            return None
        for shim in children(self._init_pid):
            if parent_inner is None:
                if _inner_pid(shim) == inner:
                    return shim
                continue
            if _inner_pid(shim) == parent_inner:
                for child in children(shim):
                    if _inner_pid(child) == inner:
                        return child
        return None

    @property
    def pid(self) -> int:
        """The command's host pid when it can be found, else its pid inside the jail."""
        self._until(lambda: self._inner is not None, 5.0)
        host = self._host_pid(self._inner, parent_inner=self._shim)
        return host if host is not None else self._inner or 0

    def poll(self) -> int | None:
        self._pump(0)
        return self._status

    def wait(self, timeout: float | None = None) -> int | None:
        self._until(lambda: self._status is not None, timeout)
        return self._status

    def kill(self) -> None:
        if self._eof or self._done:
            return
        with contextlib.suppress(OSError):
            self._sock.sendall(b"K")
        self._until(lambda: self._done, 1.0)
        if not (self._done or self._eof):
            # The shim did not answer: a command stopped it (`kill -STOP -1`) or keeps it busy.
            # Kill the call's tree from outside, the shim last (its children would otherwise
            # be re-parented to the jail's PID 1 and lost from view).
            shim = self._host_pid(self._shim)
            if shim is not None:
                for _ in range(200):
                    tree = syscalls.descendants(shim, zombies=False)
                    if not tree:
                        break
                    for pid in tree:
                        with contextlib.suppress(OSError):
                            os.kill(pid, signal.SIGKILL)
                    time.sleep(0.005)
                with contextlib.suppress(OSError):
                    os.kill(shim, signal.SIGKILL)
            self._until(lambda: self._done, 2.0)
        if self._status is None:
            self._status = -signal.SIGKILL

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._sock.close()
