"""A template for jail inits: ``python -m agentrun.jail.zygote FD OWNER_PID``.

Starting a jail costs a fresh interpreter and the jail's imports (most of its ~0.25 s). A process
that starts many jails (a batch worker) starts this template once instead: it imports
:mod:`agentrun.jail.init` and waits; each jail is a fork of it that runs the same ``init.main``
a fresh init would.

What the fork carries is what the template holds, and the template is started exactly like an
init: a fresh exec (never a fork of the runtime, whose memory may hold the API key), the same
two-variable environment, cwd ``/``, its own session, no fd but its socket, one thread, no
signal handler of its own. Each request brings the init's control socket and log file
(SCM_RIGHTS); the parent closes its copies at once, the child closes the template's socket, so
no jail holds another's channel. The template's command line names its owner like an init's, so
:func:`agentrun.jail.leftovers.sweep` removes the template and its forks once the owner is gone; it
also exits on EOF when its owner dies.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from agentrun.jail.wire import recv_frame, send_frame

ENV_FLAG = "AGENTRUN_JAIL_ZYGOTE"
"""``1``: every jail of this process is forked from a template (tests run the jail suite so)."""


class ForkedInit:
    """A jail init forked by the template: not our child, so waited for and killed through a
    pidfd (which also cannot hit a reused pid)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._fd = os.pidfd_open(pid)
        self.returncode: int | None = None

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                raise subprocess.TimeoutExpired(f"jail init {self.pid}", timeout or 0)
            self.returncode = 0
            os.close(self._fd)
            _until_reaped(self.pid)
        return self.returncode

    def kill(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._fd, signal.SIGKILL)


def _until_reaped(pid: int, deadline_s: float = 5.0) -> None:
    """Wait for the template to reap an init that ended (it does at once): a caller that
    waited expects the process gone, not a zombie."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return
        if stat.rpartition(")")[2].split()[0] != "Z":
            return  # reaped, and the pid already reused
        time.sleep(0.001)


class Zygote:
    """The runtime's handle on its template process."""

    def __init__(self) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.owner = os.getpid()
        self._lock = threading.Lock()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", __name__, str(theirs.fileno()), str(self.owner)],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
                cwd="/",
                start_new_session=True,
            )
        finally:
            theirs.close()

    def fork_init(self, ctrl: int, log: int) -> ForkedInit:
        """A new init on ``ctrl`` (its control socket) writing to ``log``; OSError if the
        template is gone."""
        with self._lock:
            send_frame(self._sock, {}, [ctrl, log])
            ready, _, _ = select.select([self._sock], [], [], 30)
            frame = recv_frame(self._sock) if ready else None
        if frame is None:
            raise OSError("the jail template did not answer")
        return ForkedInit(int(frame[0]["pid"]))

    def close(self) -> None:
        self._sock.close()  # the template reads EOF and exits
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


_zygote: Zygote | None = None
_zygote_lock = threading.Lock()


def start() -> Zygote:
    """This process's template, started now if it has none (a forked copy of a process does
    not share its parent's)."""
    global _zygote
    with _zygote_lock:
        if _zygote is None or _zygote.owner != os.getpid() or _zygote.proc.poll() is not None:
            _zygote = Zygote()
        return _zygote


def running() -> Zygote | None:
    """The template jails are forked from: the one :func:`start` made, or one started now when
    ``$AGENTRUN_JAIL_ZYGOTE`` asks for it; None: jails start a fresh init."""
    current = _zygote
    if current is not None and current.owner == os.getpid() and current.proc.poll() is None:
        return current
    if os.environ.get(ENV_FLAG) == "1":
        return start()
    return None


def stop() -> None:
    global _zygote
    with _zygote_lock:
        if _zygote is not None and _zygote.owner == os.getpid():
            _zygote.close()
        _zygote = None


# -- the template process ---------------------------------------------------------------------


def _reap(pidfds: dict[int, int], ready: list[int]) -> None:
    for fd in ready:
        pid = pidfds.pop(fd, None)
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(fd)


def _child(ctrl: int, log: int) -> int:
    os.setsid()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    from agentrun.jail import init

    return init.main(["init", str(ctrl)])


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    sock.set_inheritable(False)
    import agentrun.jail.init  # noqa: F401  (the point: every fork finds it loaded)
    from agentrun.jail import syscalls

    # libc too: found on first use by ctypes.util.find_library, which runs `ldconfig -p` (a
    # fork and exec, 5-90 ms here); loaded once here, no forked init looks it up again.
    syscalls.libc()

    pidfds: dict[int, int] = {}  # a pidfd per live init -> its pid
    while True:
        ready, _, _ = select.select([sock.fileno(), *pidfds], [], [])
        _reap(pidfds, ready)  # inits that ended, at once (their runtime waits on a pidfd)
        if sock.fileno() not in ready:
            continue
        frame: tuple[Any, list[int]] | None = recv_frame(sock)
        if frame is None:
            return 0  # the owner is gone
        fds = frame[1]
        if len(fds) != 2:
            for fd in fds:
                os.close(fd)
            continue
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                sock.close()
                for fd in pidfds:
                    os.close(fd)
                code = _child(*fds)
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)
        pidfds[os.pidfd_open(pid)] = pid
        send_frame(sock, {"pid": pid})


if __name__ == "__main__":
    sys.exit(main(sys.argv))
