"""The session jail's init: ``python -m agentrun.sandbox.init FD OWNER_PID``.

Process tree (host view)::

    runtime ── P0 (this program: unshares, then only waits) ── P1 (PID 1 of the new PID ns)
                                                                ├── shim (one per Bash call,
                                                                │   a child subreaper) ── bash ...
                                                                └── shim ── bash ...

P0 unshares the user (unprivileged only), mount, PID, IPC and network namespaces and forks P1.
P1 builds the mounts, brings ``lo`` up, then confines *itself* once (capabilities dropped,
no_new_privs, Landlock, seccomp) before serving: every process it forks inherits all of it, so a
call costs two forks and an exec, and every call shares one Landlock domain (so ABI-6 signal
scoping still lets a later call ``kill`` a server an earlier call started).

P1 serves spawn requests on the socket FD: a length-prefixed JSON frame carrying, as SCM_RIGHTS,
the call's stdout fd and a status socket. It forks a *shim* per call, which marks itself child
subreaper (so a ``setsid``/double-fork escapee is re-parented to it, not lost), forks the command
and reports ``P <pid>`` then ``X <status>`` on the status socket, keeps reaping the call's
background jobs until the last one exits, and on ``K`` kills its whole subtree.

When the runtime dies (even by SIGKILL) the kernel closes its end of FD: P1 reads EOF and exits,
and the death of a PID namespace's init kills every process in it. An EOF-based link is used
rather than PDEATHSIG because PDEATHSIG fires when the *thread* that forked exits, and the runtime
may start sessions from worker threads.

Everything is imported before the mounts hide the places it came from (the private /tmp).
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import shutil
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from agentrun.sandbox import landlock, namespaces, seccomp, syscalls

_HEADER = struct.Struct("!I")
MAX_FRAME = 64 << 20


def send_frame(sock: socket.socket, obj: Any, fds: list[int] | None = None) -> None:
    payload = json.dumps(obj).encode()
    data = _HEADER.pack(len(payload)) + payload
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))] if fds else []
    sent = sock.sendmsg([data], anc)  # the fds ride on the first bytes
    if sent < len(data):
        sock.sendall(data[sent:])


def recv_frame(sock: socket.socket) -> tuple[Any, list[int]] | None:
    """One frame and the fds that came with it; None on EOF."""
    msg, anc, _flags, _addr = sock.recvmsg(_HEADER.size, socket.CMSG_SPACE(4 * 8))
    fds: list[int] = []
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.extend(struct.unpack(f"{len(data) // 4}i", data[: len(data) - len(data) % 4]))
    if not msg:
        return None
    while len(msg) < _HEADER.size:
        more = sock.recv(_HEADER.size - len(msg))
        if not more:
            return None
        msg += more
    (size,) = _HEADER.unpack(msg)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    chunks: list[bytes] = []
    while size:
        chunk = sock.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return json.loads(b"".join(chunks)), fds


def _reap() -> list[tuple[int, int]]:
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


def _sigchld_pipe() -> int:
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    return r


def _descendants(root: int) -> list[int]:
    parent: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        name = entry.name
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # comm may contain spaces and parentheses: the fields start after the last ')'.
            parent[int(name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
    found: list[int] = []
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier}
        found.extend(frontier)
    return found


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


def _run_shim(req: dict[str, Any], stdout_fd: int, status_fd: int) -> None:
    """One Bash call: start the command, report on it, reap its jobs, kill its tree on request.

    Status lines: ``P <pid>`` once started, ``X <exit status>`` when it ends, ``D`` once no
    process of the call is left (sent with ``X`` when nothing outlived the command, so the
    runtime's kill() after a normal exit costs no round trip).
    """
    syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
    wake = _sigchld_pipe()
    status = socket.socket(fileno=status_fd)
    try:
        child = _spawn_command(req, stdout_fd)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.write(stdout_fd, f"agentrun sandbox: cannot run {req['argv'][0]!r}: {e}\n".encode())
            status.sendall(b"P 0\nX 127\nD\n")
        os._exit(0)
    os.close(stdout_fd)
    status.sendall(f"P {child}\n".encode())
    main_done = False
    watching = True
    while True:
        reaped = _reap()
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
        for pid in _descendants(me):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        reaped = _reap()
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


def _fork_spare(sock: socket.socket, wake: int) -> socket.socket:
    """Fork the shim for the *next* call ahead of time, waiting on a socket of its own.

    Forking a Python process is the largest part of a call's start-up; done here, between
    calls, it is off the critical path. Returns P1's end of the spare's socket.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.fork() == 0:
        try:
            signal.set_wakeup_fd(-1)
            os.close(wake)
            sock.close()
            mine.close()
            frame = recv_frame(theirs)
            theirs.close()
            if frame is not None and len(frame[1]) == 2:
                for fd in frame[1]:
                    os.set_inheritable(fd, False)  # SCM_RIGHTS fds arrive without close-on-exec
                _run_shim(frame[0], frame[1][0], frame[1][1])
        finally:
            os._exit(0)
    theirs.close()
    return mine


def _serve(sock: socket.socket) -> None:
    # PID 1 only receives signals it has a handler for; drop Python's SIGINT handler, so nothing
    # inside the jail can take the session down with `kill -INT 1`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake = _sigchld_pipe()
    spare = _fork_spare(sock, wake)
    while True:
        ready, _, _ = select.select([sock.fileno(), wake], [], [])
        if wake in ready:
            with contextlib.suppress(OSError):
                os.read(wake, 512)
            _reap()
        if sock.fileno() not in ready:
            continue
        frame = recv_frame(sock)
        if frame is None:
            return  # the runtime closed the session or died
        req, fds = frame
        try:
            if len(fds) == 2:
                send_frame(spare, req, fds)
                spare.close()
        finally:
            # Before the next fork: a spare holding this call's stdout would keep the runtime's
            # pipe open (no EOF) for as long as it waits.
            for fd in fds:
                os.close(fd)
        if spare.fileno() == -1:
            spare = _fork_spare(sock, wake)


def _confine(cfg: dict[str, Any], report: dict[str, Any]) -> None:
    """P1 after unshare: mounts, loopback, then the per-process layers, in the only order that
    works: the ruleset is built while paths can still be opened freely and caps are still there;
    caps go before no_new_privs and Landlock (dropping the bounding set needs CAP_SETPCAP); seccomp
    last, because it forbids mount and unshare."""
    enforced: list[str] = report["enforced"]
    step = "mountns"
    try:
        namespaces.setup_mounts(
            private_tmp=Path(cfg["private_tmp"]),
            keep=[Path(p) for p in cfg["keep"]],
            protected=[Path(p) for p in cfg["protected"]],
            shm_size=cfg["shm_size"],
            new_sysfs=cfg["netns"],
        )
        enforced += ["mountns", "pidns"]
        if cfg["netns"]:
            step = "netns"
            namespaces.bring_up_loopback()
            enforced.append("netns")
        if cfg["userns"]:
            enforced.append("userns")
        step = "landlock"
        abi = landlock.abi_version()
        report["landlock_abi"] = abi
        if abi < landlock.MINIMUM_ABI:
            raise OSError(
                f"Landlock ABI {abi} < {landlock.MINIMUM_ABI} (kernel too old or disabled)"
            )
        grants = landlock.read_grants([Path(p) for p in cfg["read_deny"]])
        grants += [landlock.Grant(Path(p), landlock.READ) for p in cfg["read_roots"]]
        rw = landlock.READ | landlock.WRITE
        grants += [landlock.Grant(Path(p), rw) for p in [*cfg["write_roots"], "/tmp", "/dev/shm"]]
        ruleset = landlock.build_ruleset(grants, abi=abi)
        step = "seccomp"
        if not syscalls.SUPPORTED_ARCH:
            raise OSError("the seccomp filter is built for x86_64 only")
        program = seccomp.build_filter(block_unix_sockets=True)
        step = "caps"
        syscalls.drop_all_capabilities()
        if syscalls.capabilities_effective() != 0:
            raise OSError("capabilities remain after dropping them")
        enforced.append("caps")
        step = "no_new_privs"
        syscalls.set_no_new_privs()
        enforced.append("no_new_privs")
        step = "landlock"
        landlock.restrict_self(ruleset)
        os.close(ruleset)
        enforced.append("landlock")
        step = "seccomp"
        seccomp.install(program)
        enforced.append("seccomp")
    except Exception as e:
        report["missing"][step] = str(e)


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    sock.set_inheritable(False)  # pass_fds made it inheritable; no command may get it
    frame = recv_frame(sock)
    if frame is None:
        return 1
    cfg: dict[str, Any] = frame[0]
    report: dict[str, Any] = {"enforced": [], "missing": {}}
    flags = syscalls.CLONE_NEWNS | syscalls.CLONE_NEWPID | syscalls.CLONE_NEWIPC
    if cfg["netns"]:
        flags |= syscalls.CLONE_NEWNET
    if cfg["userns"]:
        flags |= syscalls.CLONE_NEWUSER
    try:
        uid, gid = os.geteuid(), os.getegid()
        syscalls.unshare(flags)
        if cfg["userns"]:
            namespaces.enter_user_namespace(uid, gid)
    except OSError as e:
        layer = "userns" if cfg["userns"] else "pidns"
        report["missing"][layer] = f"cannot create namespaces: {e}"
        send_frame(sock, report)
        return 1
    pid = os.fork()  # the first child in a new PID namespace is its PID 1
    if pid:
        sock.close()
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                return os.waitstatus_to_exitcode(status)
            except InterruptedError:
                continue
    try:
        _confine(cfg, report)
        send_frame(sock, report)
        if not report["missing"]:
            _serve(sock)
    finally:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
