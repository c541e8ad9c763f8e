"""The channel to the jail's file server: one socket pair per request.

Each request gets a socket pair of its own, so concurrent calls never wait for each other beyond
one ``sendmsg``. If the server is gone (a command may ``kill`` it: it is in the jail), the next
request asks the jail for a new one and is retried once.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import struct
import threading
from typing import TYPE_CHECKING, Any

from agentrun.jail import fileproto
from agentrun.jail.fileerrors import PathDenied
from agentrun.jail.wire import recv_frame, send_frame

if TYPE_CHECKING:
    from collections.abc import Callable

SERVER_GONE = "the sandbox's file server stopped"


class _ServerGoneError(Exception):
    pass


class FileChannel:
    """Requests to one jail's file server; ``connect`` returns a new server's socket (it may
    raise :class:`PathDenied` saying why file tools cannot run)."""

    def __init__(self, connect: Callable[[], socket.socket], *, timeout: float = 60.0) -> None:
        self._connect = connect
        self._sock: socket.socket | None = None
        self._pid: int | None = None  # the server's pid, as this runtime sees it
        self._lock = threading.Lock()
        self.timeout = timeout

    def _start(self) -> socket.socket:
        sock = self._connect()
        # The server's first words carry its credentials; the kernel gives its pid in our PID
        # namespace, so a server that stops answering (a command can SIGSTOP it) can be killed.
        sock.settimeout(self.timeout)
        try:
            _, anc, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(12))
        except OSError as e:
            sock.close()
            raise PathDenied(
                f"{SERVER_GONE} as it started ({e}); try again.", code=errno.EIO
            ) from e
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                self._pid = struct.unpack("3i", data[:12])[0]
        sock.settimeout(None)
        return sock

    def connect_now(self) -> None:
        """Start the server before the first request needs it; a refusal (a layer missing)
        is left for that request to raise."""
        with self._lock:
            if self._sock is None:
                with contextlib.suppress(PathDenied):
                    self._sock = self._start()

    def _send(self, req: dict[str, Any], theirs: socket.socket, fds: list[int]) -> None:
        with self._lock:
            if self._sock is None:
                self._sock = self._start()
            try:
                send_frame(self._sock, req, [theirs.fileno(), *fds])
            except OSError as e:
                self._sock.close()
                self._sock = None
                raise _ServerGoneError from e

    def open(
        self, req: dict[str, Any], fds: list[int] | None = None
    ) -> tuple[Any, list[int], socket.socket]:
        """Send ``req`` with ``fds``; the reply, its fds and the request's socket (open)."""
        for attempt in (1, 2):
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                try:
                    self._send(req, theirs, fds or [])
                finally:
                    theirs.close()
                mine.settimeout(self.timeout)
                frame = recv_frame(mine)
                if frame is None:
                    raise _ServerGoneError
            except (_ServerGoneError, ConnectionError, TimeoutError) as e:
                mine.close()
                self._forget(kill=isinstance(e, TimeoutError))
                if attempt == 2:
                    raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO) from e
                continue
            except BaseException:
                mine.close()
                raise
            reply, fds = frame
            if "error" in reply:
                for fd in fds:
                    os.close(fd)
                mine.close()
                raise fileproto.error_from_json(reply["error"])
            return reply["ok"], fds, mine
        raise AssertionError("unreachable")

    def finish(self, conn: socket.socket) -> Any:
        """The last reply of a request answered in two steps (``conn`` from :meth:`open`)."""
        try:
            frame = recv_frame(conn)
        except TimeoutError as e:
            self._forget(kill=True)
            raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO) from e
        if frame is None:
            raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO)
        reply, fds = frame
        for fd in fds:
            os.close(fd)
        if "error" in reply:
            raise fileproto.error_from_json(reply["error"])
        return reply["ok"]

    def call(self, req: dict[str, Any], fds: list[int] | None = None) -> tuple[Any, list[int]]:
        reply, got, conn = self.open(req, fds)
        conn.close()
        return reply, got

    def _forget(self, *, kill: bool = False) -> None:
        with self._lock:
            if kill and self._pid is not None:
                with contextlib.suppress(OSError):
                    os.kill(self._pid, signal.SIGKILL)
            self._pid = None
            if self._sock is not None:
                self._sock.close()
                self._sock = None

    def close(self) -> None:
        self._forget()
