"""The session jail's init: ``python -m agentrun.jail.init FD OWNER_PID``.

Process tree (host view)::

    runtime ── P0 (this program: unshares, then only waits) ── P1 (PID 1 of the new PID ns)
                                                                ├── shim (one per Bash call,
                                                                │   a child subreaper) ── bash ...
                                                                └── shim ── bash ...

P0 unshares the user (unprivileged only), mount, PID, IPC and network namespaces and forks P1.
P1 builds the mounts, brings ``lo`` up, then confines *itself* once (capabilities dropped,
no_new_privs, Landlock, seccomp) before serving: every process it forks inherits all of it, so
a call costs a (pre-made) fork, a posix_spawn and an exec, and every call shares one Landlock
domain (so ABI-6 signal scoping still lets a later call ``kill`` a server an earlier call
started).

P1 serves spawn requests on the socket FD (:mod:`agentrun.jail.wire` frames carrying, as
SCM_RIGHTS, the call's stdout fd and a status socket). Each call goes to a *shim*
(:mod:`agentrun.jail.shim`) forked ahead of time, which starts the command, reports on it,
reaps its background jobs and kills its whole tree on request.

When the runtime dies (even by SIGKILL) the kernel closes its end of FD: P1 reads EOF and exits,
and the death of a PID namespace's init kills every process in it. An EOF-based link is used
rather than PDEATHSIG because PDEATHSIG fires when the *thread* that forked exits, and the runtime
may start sessions from worker threads.

Everything is imported before the pivot into the constructed root (:mod:`agentrun.jail.rootfs`),
which shows the runtime's own paths but little else.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from agentrun.jail import fileserver, landlock, namespaces, rootfs, seccomp, syscalls
from agentrun.jail.shim import reap, run_shim, sigchld_pipe
from agentrun.jail.wire import recv_frame, send_frame

_PR_SET_DUMPABLE = 4
_ESCAPEE_SCAN_S = 0.5
_OWN: set[int] = set()
"""P1's own children (spare shims, shims, file servers): any other child of P1 was orphaned by
a killed shim or server (``kill -9 $PPID``), out of reach of its call's kill and timeout."""


def _fork_spare(sock: socket.socket, wake: int) -> socket.socket:
    """Fork the shim for the *next* call ahead of time, waiting on a socket of its own.

    Forking a Python process is the largest part of a call's start-up; done here, between
    calls, it is off the critical path. Returns P1's end of the spare's socket.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        try:
            signal.set_wakeup_fd(-1)
            os.close(wake)
            sock.close()
            mine.close()
            frame = recv_frame(theirs)
            if frame is not None and len(frame[1]) == 2:
                theirs.sendall(b"A")
                theirs.close()
                for fd in frame[1]:
                    os.set_inheritable(fd, False)  # SCM_RIGHTS fds arrive without close-on-exec
                run_shim(frame[0], frame[1][0], frame[1][1])
        finally:
            os._exit(0)
    _OWN.add(pid)
    theirs.close()
    return mine


def _kill_escapees() -> None:
    """SIGKILL every child of P1 that P1 did not fork: re-parented here, it belonged to a call
    whose shim (or to a search whose server) was killed. Its pid cannot be reused before P1
    reaps it, so the kill cannot hit another process; its own children come up next round."""
    me = os.getpid()
    for pid in syscalls.descendants(me, zombies=False):
        if pid in _OWN:
            continue
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
            if int(stat[stat.rindex(b")") + 2 :].split()[1]) == me:
                os.kill(pid, signal.SIGKILL)


def _hand_over(spare: socket.socket, req: Any, fds: list[int]) -> bool:
    """Give a call to the spare shim; False if it is dead or does not acknowledge in time."""
    try:
        send_frame(spare, req, fds)
        spare.settimeout(1.0)
        if spare.recv(1) == b"A":
            return True
    except OSError:
        pass
    with contextlib.suppress(OSError):
        # It may be stopped rather than dead; it has the call's fds, so it must not wake up.
        pid = struct.unpack("3i", spare.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
        os.kill(pid, signal.SIGKILL)
    return False


def _serve(sock: socket.socket) -> None:
    # PID 1 only receives signals it has a handler for; drop Python's SIGINT handler, so nothing
    # inside the jail can take the session down with `kill -INT 1`.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake = sigchld_pipe()
    spare = _fork_spare(sock, wake)
    next_scan = 0.0
    while True:
        ready, _, _ = select.select([sock.fileno(), wake], [], [], _ESCAPEE_SCAN_S)
        if wake in ready:
            with contextlib.suppress(OSError):
                os.read(wake, 512)
            _OWN.difference_update(pid for pid, _ in reap())
        # A killed shim's SIGCHLD comes after its children were re-parented here; the periodic
        # scan catches the rest (a killed file server's rg), off the path of a busy stream
        # of calls.
        if wake in ready or time.monotonic() >= next_scan:
            _kill_escapees()
            next_scan = time.monotonic() + _ESCAPEE_SCAN_S
        if sock.fileno() not in ready:
            continue
        frame = recv_frame(sock)
        if frame is None:
            return  # the runtime closed the session or died
        req, fds = frame
        try:
            if len(fds) == 2:
                for _ in range(3):
                    if _hand_over(spare, req, fds):
                        break
                    # A command killed or stopped the spare (`kill -9 -1` reaches every process
                    # of the jail but PID 1): make another and hand it the call instead.
                    spare.close()
                    spare = _fork_spare(sock, wake)
                spare.close()
            elif len(fds) == 1 and req.get("op") == "fileserver":
                # The file tools' server: a child of this confined process, confined alike.
                close = [sock.fileno(), wake, spare.fileno()]
                _OWN.add(fileserver.fork_server(req["policy"], fds[0], close=close))
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
        # Not dumpable, so no command may follow /proc/1/exe (or a shim's): this interpreter
        # was exec'd from the host's mount, writable, before the jail existed, and a chmod
        # through that link would land on the host's file. Shims inherit it; commands (exec'd)
        # do not, and their executables are on the jail's read-only mounts.
        syscalls.prctl(_PR_SET_DUMPABLE, 0)
        v = cfg["view"]
        view = rootfs.View(
            build_dir=Path(v["build_dir"]),
            private_tmp=Path(v["private_tmp"]),
            private_var_tmp=Path(v["private_var_tmp"]),
            read_only=[Path(p) for p in v["read_only"]],
            writable=[Path(p) for p in v["writable"]],
            protected=[Path(p) for p in v["protected"]],
            reopened=[Path(p) for p in v.get("reopened", ())],
            hidden=[Path(p) for p in v["hidden"]],
            shm_size=cfg["shm_size"],
            new_sysfs=cfg["netns"],
            extra_files=[Path(p) for p in v["extra_files"]],
        )
        step = rootfs.LAYER
        rootfs.build(view)
        enforced += ["mountns", "pidns", rootfs.LAYER]
        # No host pathname socket is in this view (see rootfs): what the seccomp filter may
        # rely on (with the jail's own network namespace for abstract names) to let AF_UNIX
        # sockets be made for use inside the jail. Set here, where it became true.
        cfg["host_sockets_hidden"] = True
        report["host_sockets_absent"] = True
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
                f"Landlock ABI {abi} < {landlock.MINIMUM_ABI} (kernel too old, Landlock disabled, "
                "or its syscalls refused by a container's seccomp profile)"
            )
        grants = landlock.read_grants([Path(p) for p in cfg["read_deny"]])
        grants += [landlock.Grant(Path(p), landlock.READ) for p in cfg["read_roots"]]
        rw = landlock.READ | landlock.WRITE
        private = ["/tmp", "/var/tmp", "/dev/shm"]
        grants += [landlock.Grant(Path(p), rw) for p in [*cfg["write_roots"], *private]]
        ruleset = landlock.build_ruleset(grants, abi=abi)
        step = "seccomp"
        if not syscalls.SUPPORTED_ARCH:
            raise OSError("the seccomp filter is built for x86_64 only")
        # Unix sockets are opened up only when no host socket can be named: none in the
        # filesystem view (a constructed root), and abstract names in a namespace of the jail's
        # own (with the host's, a jailed server could also answer host clients of a name).
        hidden = bool(cfg.get("host_sockets_hidden")) and bool(cfg["netns"])
        program = seccomp.build_filter(host_sockets_hidden=hidden)
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
        if landlock.scopes(abi):
            enforced.append("landlock_scopes")
        step = "seccomp"
        seccomp.install(program)
        enforced += ["seccomp", "socket_allowlist"]
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
