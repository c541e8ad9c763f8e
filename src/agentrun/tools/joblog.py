"""Reading a background job's log from where the last read stopped (BashOutput).

The log lives in the session's tmp dir, which jailed commands may write: the command can
truncate it, replace it with a symlink to a secret or a FIFO, or grow it by gigabytes. So the
runtime never reopens it by name. The descriptor kept here was opened on the very file the job
writes, at its creation (``/proc/self/fd``: a new open file description for the same inode, so
the offsets of the writer and the reader stay apart), and every read is a bounded ``pread``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

HEAD_BYTES = 15_000
TAIL_BYTES = 15_000
"""How much of a long stretch of new output is shown: its start and its end."""


@dataclass(frozen=True)
class NewOutput:
    """The output written since the last read: its start, its end (empty when ``head`` holds
    it all) and how many bytes in between were skipped."""

    head: bytes
    tail: bytes = b""
    skipped: int = 0

    @property
    def empty(self) -> bool:
        return not self.head and not self.tail


class JobLog:
    """A job's log descriptor and the offset up to which the model has seen it."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._offset = 0
        self._lock = threading.Lock()

    def read_new(self, *, head: int = HEAD_BYTES, tail: int = TAIL_BYTES) -> NewOutput:
        """Everything written since the last call (start and end of it past ``head + tail``
        bytes); the next call starts after it."""
        with self._lock:
            if self._fd < 0:
                return NewOutput(b"")
            end = os.fstat(self._fd).st_size
            if end < self._offset:  # the command truncated its log: start again from its top
                self._offset = 0
            start, self._offset = self._offset, end
            if end - start <= head + tail:
                return NewOutput(_pread(self._fd, end - start, start))
            first = _pread(self._fd, head, start)
            last = _pread(self._fd, tail, end - tail)
            return NewOutput(first, last, end - start - len(first) - len(last))

    def read_range_new(self, limit: int) -> tuple[bytes, int]:
        """For a filtered read: up to the last ``limit`` bytes written since the last call,
        and how many bytes before them were skipped."""
        with self._lock:
            if self._fd < 0:
                return b"", 0
            end = os.fstat(self._fd).st_size
            if end < self._offset:
                self._offset = 0
            start, self._offset = self._offset, end
            first = max(start, end - limit)
            return _pread(self._fd, end - first, first), first - start

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _pread(fd: int, size: int, offset: int) -> bytes:
    """``size`` bytes at ``offset`` (fewer if the file shrank meanwhile)."""
    parts: list[bytes] = []
    while size > 0:
        chunk = os.pread(fd, min(size, 1 << 20), offset)
        if not chunk:
            break
        parts.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(parts)


def open_reader(write_fd: int) -> int:
    """A read-only descriptor on the file ``write_fd`` writes (never reopened by name)."""
    return os.open(f"/proc/self/fd/{write_fd}", os.O_RDONLY | os.O_CLOEXEC)
