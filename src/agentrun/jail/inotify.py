"""The inotify instance of :mod:`agentrun.jail.gitwatch`, through libc (no extra dependency).

It runs in the runtime, outside the jail: the jail's seccomp filter refuses inotify itself.
"""

from __future__ import annotations

import ctypes
import os
import struct
import threading

from agentrun.jail import syscalls

_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100
IN_Q_OVERFLOW = 0x4000
IN_IGNORED = 0x8000
IN_ISDIR = 0x40000000
_IN_ONLYDIR = 0x01000000
_IN_EXCL_UNLINK = 0x04000000
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC
_MASK = _IN_CREATE | _IN_MOVED_TO | _IN_ONLYDIR | _IN_EXCL_UNLINK
_EVENT = struct.Struct("iIII")


class Inotify:
    """A non-blocking inotify instance watching directories for entries created or moved in."""

    def __init__(self) -> None:
        libc = syscalls.libc()
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_init1: {os.strerror(err)}")
        self.fd: int = fd

    def add(self, dir_fd: int) -> int:
        # Through the directory's own descriptor: the path cannot be swapped for a symlink.
        wd: int = self._add(self.fd, f"/proc/self/fd/{dir_fd}".encode(), _MASK)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, f"inotify_add_watch: {os.strerror(err)}")
        return wd

    def read(self) -> list[tuple[int, int, str]]:
        events: list[tuple[int, int, str]] = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return events
            pos = 0
            while pos + _EVENT.size <= len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, pos)
                raw = data[pos + _EVENT.size : pos + _EVENT.size + length]
                events.append((wd, mask, os.fsdecode(raw.rstrip(b"\0"))))
                pos += _EVENT.size + length

    def close(self) -> None:
        # Closing an inotify instance waits out the kernel's SRCU grace period (~10-20 ms here,
        # per jail close); nothing reads it any more, so a thread does it off the caller's path.
        fd, self.fd = self.fd, -1
        threading.Thread(
            target=os.close, args=(fd,), name="agentrun-inotify-close", daemon=True
        ).start()
