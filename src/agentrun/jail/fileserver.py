"""The file tools' I/O, done inside the jail: a server forked by the jail's init after it confined
itself, so every open, write, rename and ``rg`` it makes is held by the same mounts, Landlock
domain, seccomp filter, dropped capabilities and no_new_privs as a Bash command.

The runtime asks over a socket (:mod:`agentrun.jail.fileclient`). Each request comes with a
socket of its own, served on its own thread, so concurrent Read/Grep/Glob calls of one turn run
side by side. The server runs the same :class:`agentrun.jail.paths.Workspace` code the file
tools always used (same checks, same model-facing errors), and answers with what it opened:

- ``open_read``: the opened file's fd, passed back by SCM_RIGHTS (the runtime reads it itself:
  no data is copied through the server), and its real path *as the jail sees it*;
- ``check_dir`` / ``list_names``: a directory's real path, or its entry names;
- ``write_target`` / ``write``: where a write lands and what is there; then the atomic
  temp-file/fsync/rename, done here, so a create or rename outside the policy fails in the kernel
  (the runtime writes the content into the temp file's fd it is lent: no copy comes through);
  ``edit``: both at once for an existing file, with it opened for reading (Edit's one request);
- ``search``: ``rg`` started here; its stdout and stderr (socket pairs: a jailed command can
  open a pipe through /proc/<rg>/fd, not a socket) go back to the runtime, which
  streams them and stops when it has enough; the exit status follows on the request socket.

The server makes itself non-dumpable, so a jailed command (same uid, same domain) cannot write
its memory through ``/proc/<pid>/mem``; it can still kill it, which the runtime survives by
asking init for a new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import queue
import select
import signal
import socket
import struct
import subprocess
import threading
from pathlib import Path
from typing import Any

from agentrun.jail import fileproto, syscalls
from agentrun.jail.fileproto import WRITTEN
from agentrun.jail.paths import Workspace, WriteTarget
from agentrun.jail.wire import recv_frame, send_frame

_PR_SET_DUMPABLE = 4
_PR_SET_NAME = 15
PROCESS_NAME = "agentrun-files"


def fork_server(policy: dict[str, Any], conn_fd: int, *, close: list[int]) -> int:
    """Fork the server on ``conn_fd`` (called by the jail's init); the child's pid."""
    pid = os.fork()
    if pid:
        return pid
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in close:
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(OSError):
            syscalls.prctl(_PR_SET_DUMPABLE, 0)
            name = ctypes.create_string_buffer(PROCESS_NAME.encode())
            syscalls.prctl(_PR_SET_NAME, ctypes.addressof(name))  # for ps, and the tests
        sock = socket.socket(fileno=os.dup(conn_fd))
        os.close(conn_fd)
        serve(sock, Workspace(fileproto.policy_from_json(policy)))
    finally:
        os._exit(0)


class _Workers:
    """Threads that take requests from a queue; a new one starts only when none is idle (a
    search holds its thread until ``rg`` ends), so a burst is served side by side and a quiet
    session keeps its few threads warm instead of starting one per request."""

    def __init__(self, workspace: Workspace) -> None:
        self._workspace = workspace
        self._queue: queue.SimpleQueue[tuple[dict[str, Any], socket.socket]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, req: dict[str, Any], conn: socket.socket) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        self._queue.put((req, conn))
        if start:
            threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            req, conn = self._queue.get()
            _handle(self._workspace, req, conn)
            with self._lock:
                self._idle += 1


def serve(sock: socket.socket, workspace: Workspace) -> None:
    """Serve until the runtime closes its end; requests run on :class:`_Workers`."""
    workers = _Workers(workspace)
    me = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    sock.sendmsg([b"H"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, me)])
    while True:
        try:
            frame = recv_frame(sock)
        except (OSError, ValueError):
            return
        if frame is None:
            return
        req, fds = frame
        if not fds:
            continue
        for fd in fds[1:]:  # a request socket, then the fds its request carries
            req.setdefault("fds", []).append(fd)
        workers.submit(req, socket.socket(fileno=fds[0]))


def _handle(ws: Workspace, req: dict[str, Any], conn: socket.socket) -> None:
    with conn, contextlib.ExitStack() as fds:
        for fd in req.get("fds", []):
            fds.callback(os.close, fd)
        try:
            _dispatch(ws, req, conn)
        except OSError as e:
            with contextlib.suppress(OSError):
                send_frame(conn, {"error": fileproto.error_to_json(e)})
        except Exception as e:  # a bug here must reach the runtime as an error, not a hang
            with contextlib.suppress(OSError):
                send_frame(conn, {"error": {"errno": 5, "filename": f"file server: {e!r}"}})


def _dispatch(ws: Workspace, req: dict[str, Any], conn: socket.socket) -> None:
    op = req.get("op")
    if op == "open_read":
        with ws.open_read(req["path"]) as opened:
            send_frame(conn, {"ok": str(opened.path)}, [opened.fd])
    elif op == "check_dir":
        send_frame(conn, {"ok": str(ws.check_dir(req["path"]))})
    elif op == "list_names":
        send_frame(conn, {"ok": ws.list_names(Path(req["path"]))})
    elif op == "write_target":
        target = ws.write_target(req["path"])
        reply = [str(target.path), str(target.root), fileproto.stat_to_json(target.existing)]
        send_frame(conn, {"ok": reply})
    elif op == "edit_target":
        target, readable = ws.edit_target(req["path"])
        reply = [str(target.path), str(target.root), fileproto.stat_to_json(target.existing)]
        if readable is None:
            send_frame(conn, {"ok": [*reply, None]})
        else:
            with readable:
                send_frame(conn, {"ok": [*reply, str(readable.path)]}, [readable.fd])
    elif op == "edit":
        _edit(ws, req["path"], conn)
    elif op == "write":
        target = WriteTarget(
            path=Path(req["path"]),
            root=Path(req["root"]),
            existing=fileproto.stat_from_json(req["existing"]),
        )
        outcome = ws.write_with(target, lambda fd: _lend(conn, fd))
        send_frame(conn, {"ok": [outcome.created, outcome.mtime_ns, outcome.size]})
    elif op == "search":
        _search(req, conn)
    else:
        raise OSError(22, f"unknown request {op!r}")


def _edit(ws: Workspace, path: str, conn: socket.socket) -> None:
    """``edit_target`` and ``write`` in one request, for Edit: the reply lends the file opened
    for reading AND the temp file beside it, then the commit (or the runtime's silence, which
    removes the temp file) follows as for ``write``: two trips instead of three. Only where the
    path asked for is the real one (the path the gate already allowed); and when the temp file
    cannot be made here, the reply lends the readable file alone and the runtime's later
    ``write`` meets that error in its place (after the checks that come first)."""
    target, readable = ws.edit_target(path)
    reply = [str(target.path), str(target.root), fileproto.stat_to_json(target.existing)]
    if readable is None:
        send_frame(conn, {"ok": [*reply, None, False]})
        return
    if target.path != Path(path):
        # A link led elsewhere: the gate has not seen that path yet and may refuse it once it
        # does, and a refused edit must leave no trace there, not even a temp file.
        with readable:
            send_frame(conn, {"ok": [*reply, str(readable.path), False]}, [readable.fd])
        return
    lent = False

    def fill(fd: int) -> None:
        nonlocal lent
        send_frame(conn, {"ok": [*reply, str(readable.path), True]}, [readable.fd, fd])
        lent = True
        if conn.recv(1) != WRITTEN:
            raise OSError(errno.EIO, "the runtime did not finish writing the new content")

    with readable:
        try:
            outcome = ws.write_with(target, fill)
        except OSError:
            if lent:
                raise
            send_frame(conn, {"ok": [*reply, str(readable.path), False]}, [readable.fd])
            return
        # Answer before this fd closes: it is the replaced file's last reference (the runtime
        # closed its own), and that close frees the old content, ~1 ms for 1 MB on ext4.
        send_frame(conn, {"ok": [outcome.created, outcome.mtime_ns, outcome.size]})


def _lend(conn: socket.socket, fd: int) -> None:
    """Hand the temp file's fd to the runtime, which writes the content itself (no copy of it
    through here), and wait for its word that it has: anything else leaves the old file."""
    send_frame(conn, {"ok": None}, [fd])
    if conn.recv(1) != WRITTEN:
        raise OSError(errno.EIO, "the runtime did not finish writing the new content")


def _search(req: dict[str, Any], conn: socket.socket) -> None:
    """Run ``rg``; hand back its pipes; report its exit status, or kill it when the runtime
    says so (a byte, or its end closing: it stopped reading or died)."""
    # Socket pairs, not pipes: rg is dumpable after exec, so a jailed command of the same uid
    # may open /proc/<rg>/fd/1; a pipe opened there is writable (forged results, endless
    # lines into the runtime), a socket cannot be opened through /proc at all (ENXIO).
    out, out_rg = socket.socketpair()
    err, err_rg = socket.socketpair()
    try:
        for theirs, mine in ((out_rg, out), (err_rg, err)):
            theirs.shutdown(socket.SHUT_RD)
            mine.shutdown(socket.SHUT_WR)
        proc = subprocess.Popen(
            req["argv"],
            cwd=req["cwd"],
            stdin=subprocess.DEVNULL,
            stdout=out_rg.fileno(),
            stderr=err_rg.fileno(),
            bufsize=0,
        )
    finally:
        out_rg.close()  # rg holds the write ends: EOF comes from rg alone
        err_rg.close()
    try:
        send_frame(conn, {"ok": None}, [out.fileno(), err.fileno()])
    finally:
        out.close()  # the runtime holds the read ends now
        err.close()
    try:
        pidfd = os.pidfd_open(proc.pid)
    except OSError:  # a filter refusing pidfd_open: look at rg between waits on the socket
        pidfd = -1
    try:
        while True:
            waits = [conn.fileno()] if pidfd < 0 else [conn.fileno(), pidfd]
            ready, _, _ = select.select(waits, [], [], None if pidfd >= 0 else 0.05)
            if ready or proc.poll() is not None:
                break
    finally:
        if pidfd >= 0:
            os.close(pidfd)
    killed = conn.fileno() in ready and proc.poll() is None
    if killed:
        proc.kill()
    code = proc.wait()
    with contextlib.suppress(OSError):
        send_frame(conn, {"ok": None if killed else code})
