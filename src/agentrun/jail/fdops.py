"""File-descriptor mechanics under the Workspace: where an fd points, reading, atomic replace.

Everything here works on fds already confined by the caller (see :mod:`agentrun.jail.paths`);
nothing here resolves a path containing more than one component except through
:func:`agentrun.jail.openat2.open_beneath`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from agentrun.jail.fileerrors import PathDenied
from agentrun.jail.openat2 import O_PATH, open_beneath


def fd_path(fd: int, shown: Path) -> Path:
    """Where an fd really points, from the kernel; refuses fds that are not files on disk."""
    try:
        target = str(Path(f"/proc/self/fd/{fd}").readlink())
    except OSError:
        # No /proc (macOS, odd containers): the best portable answer, checked the same way.
        return Path(os.path.realpath(shown))
    if not target.startswith("/"):
        raise PathDenied(
            f"Cannot read {shown}: it is not a regular file ({target}).", code=errno.EINVAL
        )
    if target.endswith(" (deleted)"):
        raise PathDenied(f"File does not exist: {shown}", code=errno.ENOENT, path=shown)
    return Path(target)


UNSIZED_CAP = 1 << 20
"""How much of a file whose fstat size is 0 (/proc, sysfs) :meth:`OpenedFile.read_all` reads."""


class OpenedFile:
    """A regular file opened for reading (non-blocking, no controlling tty). Close it after use.

    ``path`` is where the fd really points (symlinks resolved); ``stat`` was taken on the fd.
    """

    def __init__(self, fd: int, path: Path, st: os.stat_result):
        self.fd = fd
        self.path = path
        self.stat = st

    def read_all(self) -> bytes:
        """The file from offset 0, never more than the size fstat gave when it was opened.

        The caller checked that size against its limit; the file may be shared with jailed
        code, which can grow it (a sparse truncate to 1 GiB) between that check and this read,
        so bytes past it are not read. A size of 0 is what /proc and sysfs files report whatever
        they hold: those are read up to :data:`UNSIZED_CAP`.
        """
        size = self.stat.st_size or UNSIZED_CAP
        # One read of the size fstat gave: a short read of a regular file means end of file.
        first = os.pread(self.fd, size, 0)
        if len(first) == size or not first:
            return first
        chunks = [first]  # a short read (over 2 GiB, or it shrank): read on up to the size
        offset = len(first)
        while offset < size and (chunk := os.pread(self.fd, size - offset, offset)):
            chunks.append(chunk)
            offset += len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> OpenedFile:
        return self

    def __exit__(
        self, tp: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def check_existing(st: os.stat_result, shown: Path) -> None:
    """Refuse to replace anything but a regular file with a single link."""
    if stat.S_ISDIR(st.st_mode):
        raise PathDenied(f"Cannot write {shown}: it is a directory.", code=errno.EISDIR, path=shown)
    if stat.S_ISLNK(st.st_mode):
        raise PathDenied(
            f"Cannot write {shown}: it was replaced by a symbolic link.",
            code=errno.ELOOP,
            path=shown,
        )
    if not stat.S_ISREG(st.st_mode):
        raise PathDenied(
            f"Cannot write {shown}: it is not a regular file (a FIFO, socket or device).",
            code=errno.EINVAL,
            path=shown,
        )
    if st.st_nlink > 1:
        raise PathDenied(
            f"Cannot write {shown}: it has {st.st_nlink} hard links, so changing it would "
            "change a file elsewhere too. Refused.",
            code=errno.EMLINK,
            path=shown,
        )


def open_dirs(root_fd: int, parts: tuple[str, ...], *, use_openat2: bool) -> int:
    """An O_PATH fd of the directory ``parts`` beneath ``root_fd``, created if missing."""
    flags = O_PATH | os.O_DIRECTORY
    rel = "/".join(parts)
    try:
        return open_beneath(root_fd, rel, flags, use_openat2=use_openat2)
    except FileNotFoundError:
        pass
    current = os.dup(root_fd)
    try:
        for name in parts:
            try:
                nxt = open_beneath(current, name, flags, use_openat2=use_openat2)
            except FileNotFoundError:
                try:
                    os.mkdir(name, 0o777, dir_fd=current)
                except FileExistsError:
                    pass
                nxt = open_beneath(current, name, flags, use_openat2=use_openat2)
            os.close(current)
            current = nxt
        return current
    except BaseException:
        os.close(current)
        raise


def write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def replace_file(
    parent_fd: int, name: str, fill: Callable[[int], None], shown: Path
) -> tuple[bool, os.stat_result]:
    """Atomically replace (or create) ``name`` in ``parent_fd``: (created, new stat).

    The target is never opened for writing nor truncated: a temp file beside it gets the
    data (``fill(fd)`` writes it), the old mode bits and owner, an fsync, and is renamed over
    it. On any failure the old file is untouched and the temp file removed.
    """
    try:
        existing: os.stat_result | None = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        check_existing(existing, shown)
    temp = f".{name[:200]}.{os.urandom(4).hex()}.agentrun-tmp"
    create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    # A new file gets 0o666 minus the umask, like any editor would create it.
    fd = os.open(temp, create, 0o600 if existing else 0o666, dir_fd=parent_fd)
    try:
        fill(fd)
        if existing is not None:
            # Owner first: fchown clears set-id bits that fchmod then restores. Without
            # CAP_CHOWN (the jail) the new file stays the writer's, as with any editor.
            own = os.fstat(fd)
            if (existing.st_uid, existing.st_gid) != (own.st_uid, own.st_gid):
                with contextlib.suppress(PermissionError):
                    os.fchown(fd, existing.st_uid, existing.st_gid)
            os.fchmod(fd, stat.S_IMODE(existing.st_mode))
        # fdatasync: the data and the size must be durable before the rename publishes the
        # file; its timestamps need not be (saves a metadata flush per write).
        os.fdatasync(fd)
        st = os.fstat(fd)
        os.rename(temp, name, src_dir_fd=parent_fd, dst_dir_fd=parent_fd)
    except BaseException:
        try:
            os.unlink(temp, dir_fd=parent_fd)
        except OSError:
            pass
        raise
    finally:
        os.close(fd)
    return existing is None, st
