"""The runtime's side of the jail's file server: a :class:`Workspace` whose I/O happens in the jail.

:class:`JailedWorkspace` keeps the path arithmetic (``resolve``), the policy and the error texts
of :class:`agentrun.jail.paths.Workspace`, and sends every open, listing, write and search to
:mod:`agentrun.jail.fileserver`, so the file tools can reach exactly what a jailed command
can, no more: the kernel (mounts, Landlock, seccomp, no capabilities) judges each of them at the
moment it happens. An opened file comes back as an fd and is read here.

Requests go through a :class:`agentrun.jail.filechannel.FileChannel` (importable from here too).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import stat
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from agentrun.core.errors import SandboxUnavailableError
from agentrun.jail import fileproto
from agentrun.jail.fdops import OpenedFile, write_all
from agentrun.jail.filechannel import SERVER_GONE, FileChannel
from agentrun.jail.fileerrors import PathDenied
from agentrun.jail.paths import Workspace, WriteOutcome, WriteTarget
from agentrun.jail.wire import recv_frame

if TYPE_CHECKING:
    from collections.abc import Callable

    from agentrun.jail.jail import JailSandbox
    from agentrun.jail.policy import SandboxPolicy


class JailedSearch:
    """A search the file server runs in the jail (a :class:`SearchProcess`)."""

    def __init__(self, channel: FileChannel, argv: list[str], cwd: Path) -> None:
        _, fds, self._conn = channel.open({"op": "search", "argv": argv, "cwd": str(cwd)})
        self._out, self._err = fds
        self._code: int | None = None
        self._done = False

    @property
    def stdout(self) -> int:
        return self._out

    @property
    def stderr(self) -> int:
        return self._err

    def poll(self) -> int | None:
        if not self._done:
            ready, _, _ = select.select([self._conn], [], [], 0)
            if ready:
                self.wait()
        return self._code

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self._conn.send(b"k")

    def wait(self) -> int | None:
        if not self._done:
            self._done = True
            with contextlib.suppress(OSError, ValueError):
                frame = recv_frame(self._conn)
                if frame is not None:
                    self._code = frame[0].get("ok")
        return self._code

    def close(self) -> None:
        for fd in (self._out, self._err):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._out = self._err = -1
        self._conn.close()


def _opened(fds: list[int], real: str, shown: Path) -> OpenedFile:
    """The file the server opened for reading (its fd in ``fds``), checked on this side."""
    for extra in fds[1:]:
        os.close(extra)
    if not fds:
        raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO)
    fd = fds[0]
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # never trust the other side with a blocking fd
            raise PathDenied(f"Cannot read {shown}: it is not a regular file.", path=shown)
    except BaseException:
        os.close(fd)
        raise
    return OpenedFile(fd, Path(real), st)


class JailedWorkspace(Workspace):
    """A :class:`Workspace` whose file system access happens in the jail (module docstring)."""

    def __init__(self, policy: SandboxPolicy, channel: FileChannel) -> None:
        super().__init__(policy)
        self.channel = channel
        self._prepared: list[_Prepared] = []
        self._lock = threading.Lock()

    def open_read(self, path: str | Path) -> OpenedFile:
        shown = self.resolve(path)
        real, fds = self.channel.call({"op": "open_read", "path": str(shown)})
        return _opened(fds, real, shown)

    def check_dir(self, path: str | Path) -> Path:
        real, _ = self.channel.call({"op": "check_dir", "path": str(self.resolve(path))})
        return Path(real)

    def list_names(self, real_dir: Path) -> list[str]:
        names, _ = self.channel.call({"op": "list_names", "path": str(real_dir)})
        return [str(n) for n in names]

    def search(self, argv: list[str], cwd: Path) -> JailedSearch:
        return JailedSearch(self.channel, argv, cwd)

    def write_target(self, path: str | Path) -> WriteTarget:
        (real, root, existing), _ = self.channel.call(
            {"op": "write_target", "path": str(self.resolve(path))}
        )
        return WriteTarget(Path(real), Path(root), fileproto.stat_from_json(existing))

    def edit_target(self, path: str | Path) -> tuple[WriteTarget, OpenedFile | None]:
        """The server opens the file AND makes the temp file for its new content in one
        request; the temp file waits (``_Prepared``) for :meth:`write_with` with this very
        target, or is removed when the opened file is closed without it."""
        shown = self.resolve(path)
        (real, root, existing, opened, lent), fds, conn = self.channel.open(
            {"op": "edit", "path": str(shown)}
        )
        target = WriteTarget(Path(real), Path(root), fileproto.stat_from_json(existing))
        if opened is None or not lent or len(fds) != 2:
            conn.close()
            if opened is None or len(fds) < 1:
                for fd in fds:
                    os.close(fd)
                return target, None
            return target, _opened(fds, opened, shown)
        temp = fds[1]
        try:
            if not stat.S_ISREG(os.fstat(temp).st_mode):  # never write into a FIFO from there
                raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO)
            readable = _opened(fds[:1], opened, shown)
        except BaseException:
            os.close(temp)
            _abandon(conn)
            raise
        prepared = _Prepared(self, target, temp, conn, readable)
        with self._lock:
            self._prepared.append(prepared)
        return target, prepared

    def _take(self, target: WriteTarget) -> _Prepared | None:
        with self._lock:
            for i, prepared in enumerate(self._prepared):
                if prepared.target is target:
                    return self._prepared.pop(i)
        return None

    def write_bytes(
        self,
        target: WriteTarget,
        data: bytes | memoryview,
        *,
        meanwhile: Callable[[], object] | None = None,
    ) -> WriteOutcome:
        prepared = self._take(target)
        if prepared is None:
            return super().write_bytes(target, data, meanwhile=meanwhile)
        return prepared.commit(lambda fd: write_all(fd, data), meanwhile)

    def write_with(self, target: WriteTarget, fill: Callable[[int], None]) -> WriteOutcome:
        """The server makes the temp file and lends its fd; ``fill`` writes it here (the content
        is never copied through the server), then the server syncs and renames it. Until the
        server hears :data:`fileproto.WRITTEN` the old file stands (after a failure here the
        server removes the temp file). A temp file already lent by :meth:`edit_target` for
        ``target`` is used as it is."""
        prepared = self._take(target)
        if prepared is not None:
            return prepared.commit(fill)
        req = {
            "op": "write",
            "path": str(target.path),
            "root": str(target.root),
            "existing": fileproto.stat_to_json(target.existing),
        }
        _, fds, conn = self.channel.open(req)
        with conn:
            try:
                try:
                    # Never write into a blocking fd from the other side (a FIFO would hang
                    # the runtime): the server lends the temp file it made, a regular file.
                    if len(fds) != 1 or not stat.S_ISREG(os.fstat(fds[0]).st_mode):
                        raise PathDenied(f"{SERVER_GONE}; try again.", code=errno.EIO)
                    fill(fds[0])
                finally:
                    for fd in fds:
                        os.close(fd)
            except BaseException:
                # Wait for the server to remove the temp file: the runtime may exit next.
                with contextlib.suppress(OSError, ValueError):
                    conn.shutdown(socket.SHUT_WR)
                    recv_frame(conn)
                raise
            conn.sendall(fileproto.WRITTEN)
            created, mtime_ns, size = self.channel.finish(conn)
        return WriteOutcome(path=target.path, created=created, mtime_ns=mtime_ns, size=size)


def _abandon(conn: socket.socket) -> None:
    """Tell the server not to commit, and wait until it removed its temp file (the runtime
    may exit next)."""
    with conn, contextlib.suppress(OSError, ValueError):
        conn.shutdown(socket.SHUT_WR)
        recv_frame(conn)


class _Prepared(OpenedFile):
    """The file Edit reads, opened by the server together with the temp file that will
    replace it (lent, not yet committed): :meth:`JailedWorkspace.write_with` commits it,
    :meth:`close` without that removes it."""

    def __init__(
        self,
        ws: JailedWorkspace,
        target: WriteTarget,
        temp: int,
        conn: socket.socket,
        readable: OpenedFile,
    ) -> None:
        super().__init__(readable.fd, readable.path, readable.stat)
        self._ws = ws
        self.target = target
        self._temp = temp
        self._conn: socket.socket | None = conn

    def commit(
        self, fill: Callable[[int], None], meanwhile: Callable[[], object] | None = None
    ) -> WriteOutcome:
        conn, self._conn = self._conn, None
        assert conn is not None
        temp, self._temp = self._temp, -1
        # The content was read before it is written: close the old file now, while it still
        # has its name; the server keeps it open and frees it after the rename and its answer.
        super().close()
        with conn:
            try:
                fill(temp)
            except BaseException:
                os.close(temp)
                _abandon(conn)
                raise
            try:
                conn.sendall(fileproto.WRITTEN)
            finally:
                # After the word, not before: closing a fd just written can take as long as
                # the write, and the server's fsync need not wait for it (it has its own fd).
                os.close(temp)
            if meanwhile is not None:
                meanwhile()  # while the server syncs and renames
            created, mtime_ns, size = self._ws.channel.finish(conn)
        path = self.target.path
        return WriteOutcome(path=path, created=created, mtime_ns=mtime_ns, size=size)

    def close(self) -> None:
        super().close()
        if self._conn is not None and self._ws._take(self.target) is self:
            conn, self._conn = self._conn, None
            os.close(self._temp)
            self._temp = -1
            _abandon(conn)


def jailed_workspace(policy: SandboxPolicy, jail: JailSandbox) -> JailedWorkspace:
    """File access for a session through ``jail``'s file server, started at the first request.
    If the jail cannot hold every layer its mode needs, each file tool call is refused with the
    jail's own explanation (the same fail-closed rule as Bash)."""
    payload = fileproto.policy_to_json(policy)

    def connect() -> socket.socket:
        try:
            return jail.file_server(payload)
        except SandboxUnavailableError as e:
            raise PathDenied(str(e), code=errno.EACCES) from e

    return JailedWorkspace(policy, FileChannel(connect))
