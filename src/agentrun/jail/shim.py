"""A shim: the process that runs one Bash call inside the jail (forked by the jail's init).

It is a child subreaper, so whatever the call starts and orphans (``setsid``, double forks) is
re-parented to it rather than to the jail's PID 1: the whole tree of one call stays findable,
and killable, without killing other calls' background jobs. Status lines on its socket:
``P <pid> <shim pid>`` once started, ``X <exit status>`` when the command ends, ``D`` once no
process of the call is left. ``K`` from the runtime kills the tree.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import shutil
import signal
import socket
import time
from typing import Any

from agentrun.jail import syscalls


def reap() -> list[tuple[int, int]]:
    """Reap every exited child; ``[(pid, exitcode)]``, plus ``(-1, 0)`` when none is left."""
    done: list[tuple[int, int]] = []
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            done.append((-1, 0))
            return done
        if pid == 0:
            return done
        done.append((pid, os.waitstatus_to_exitcode(status)))


def sigchld_pipe() -> int:
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return r


# Reset in the command: Python ignores SIGPIPE and SIGXFSZ and P1 ignores SIGINT, and ignored
# dispositions survive exec (`yes | head` must end; RLIMIT_FSIZE must kill as in any shell).
_DEFAULT_SIGNALS = (
    signal.SIGPIPE,
    signal.SIGXFSZ,
    signal.SIGINT,
    signal.SIGCHLD,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
)


def _spawn_command(req: dict[str, Any], stdout_fd: int) -> int:
    """Start the command; its pid. Raises OSError when it cannot start.

    The per-call settings go on the shim itself (rlimits, cwd), which is a throwaway process
    doing nothing else, so the command can be started with ``posix_spawn`` (vfork speed) instead
    of a second Python fork. Every fd of the shim is close-on-exec: only 0, 1 and 2 cross exec
    (an inherited fd would bypass Landlock's path checks).
    """
    env: dict[str, str] = req["env"]
    argv: list[str] = req["argv"]
    for name, value in req["rlimits"].items():
        which = getattr(resource, name)
        hard = resource.getrlimit(which)[1]
        v = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(which, (v, v))
    os.chdir(req["cwd"])
    path = argv[0]
    if "/" not in path:
        path = shutil.which(path, path=env.get("PATH", os.defpath)) or path
    return os.posix_spawn(
        path,
        argv,
        env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, stdout_fd, 1),
            (os.POSIX_SPAWN_DUP2, stdout_fd, 2),
        ],
        setsid=True,  # its own session: no controlling terminal, so no TIOCSTI target
        setsigmask=(),
        setsigdef=_DEFAULT_SIGNALS,
    )


def run_shim(req: dict[str, Any], stdout_fd: int, status_fd: int) -> None:
    """One Bash call: start the command, report on it, reap its jobs, kill its tree on request.

    ``D`` goes out with ``X`` when nothing outlived the command, so the runtime's kill() after a
    normal exit costs no round trip.
    """
    syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    wake = sigchld_pipe()
    status = socket.socket(fileno=status_fd)
    try:
        child = _spawn_command(req, stdout_fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.write(stdout_fd, f"agentrun sandbox: cannot run {req['argv'][0]!r}: {e}\n".encode())
            status.sendall(b"P 0\nX 127\nD\n")
        os._exit(0)
    os.close(stdout_fd)
    status.sendall(f"P {child} {os.getpid()}\n".encode())
    main_done = False
    watching = True
    while True:
        reaped = reap()
        all_gone = (-1, 0) in reaped
        for pid, code in reaped:
            if pid == child:
                main_done = True
                done = b"D\n" if all_gone else b""
                with contextlib.suppress(OSError):
                    status.sendall(f"X {code}\n".encode() + done)
        if main_done and all_gone:
            break
        fds = [status.fileno(), wake] if watching else [wake]
        ready, _, _ = select.select(fds, [], [])
        if wake in ready:
            with contextlib.suppress(OSError):
                os.read(wake, 512)
        if status.fileno() in ready:
            data = status.recv(64)
            if not data:
                watching = False  # the runtime let go of this call; its jobs live on until close
            elif b"K" in data:
                _kill_tree(child, main_done, status)
                break
    os._exit(0)


def _kill_tree(child: int, main_done: bool, status: socket.socket) -> None:
    me = os.getpid()
    for _ in range(1000):
        for pid in syscalls.descendants(me, zombies=True):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reaped = reap()
        for pid, code in reaped:
            if pid == child and not main_done:
                main_done = True
                with contextlib.suppress(OSError):
                    status.sendall(f"X {code}\n".encode())
        if (-1, 0) in reaped:
            break
        time.sleep(0.002)
    with contextlib.suppress(OSError):
        status.sendall(b"D\n")
