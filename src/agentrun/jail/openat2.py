"""Confined opens beneath a directory fd: ``openat2(2)`` through ctypes, and a portable fallback.

Both functions open ``rel`` (a relative, already normalised path) beneath ``dirfd`` and refuse to
traverse any symbolic link, ``..`` or absolute component, so nothing a concurrent process does to
the tree (swapping a directory for a symlink, say) can make the open land outside ``dirfd``.
Callers resolve symlinks *before* (to decide where a file really is) and then open the symlink-free
real path here; a link that appears in between makes the open fail with ``ELOOP``/``EXDEV``.

- :func:`open_beneath` uses ``openat2`` with ``RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
  RESOLVE_NO_SYMLINKS``: one syscall, enforced by the kernel (Linux >= 5.6).
- :func:`walk_beneath` opens one component at a time with ``O_NOFOLLOW`` relative to the previous
  directory fd: the same guarantee where ``openat2`` is missing (``ENOSYS``: older kernels, macOS).
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import stat
import sys
from collections.abc import Callable
from typing import cast

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10

CONFINED = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS

# openat2 got the same number on every architecture (it postdates the unified syscall table).
_SYS_OPENAT2 = 437

O_PATH: int = getattr(os, "O_PATH", os.O_RDONLY)
"""Open for fd-relative lookups only (no read permission needed, never blocks on a FIFO)."""

_DIR_FLAGS = O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class _OpenHow(ctypes.Structure):
    _fields_ = (
        ("flags", ctypes.c_uint64),
        ("mode", ctypes.c_uint64),
        ("resolve", ctypes.c_uint64),
    )


@functools.cache
def _syscall() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    fn = libc.syscall
    fn.restype = ctypes.c_long
    return cast("Callable[..., int]", fn)


def openat2(dirfd: int, rel: str, flags: int, mode: int = 0, *, resolve: int = CONFINED) -> int:
    """``openat2(dirfd, rel, {flags, mode, resolve})``; the new fd, or raise OSError.

    Raises OSError(ENOSYS) where the syscall does not exist.
    """
    fn = _syscall()
    if fn is None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS), rel)
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    path = os.fsencode(rel)
    while True:
        fd = int(
            fn(
                ctypes.c_long(_SYS_OPENAT2),
                ctypes.c_int(dirfd),
                ctypes.c_char_p(path),
                ctypes.byref(how),
                ctypes.c_size_t(ctypes.sizeof(how)),
            )
        )
        if fd >= 0:
            return fd
        err = ctypes.get_errno()
        if err != errno.EINTR:
            raise OSError(err, os.strerror(err), rel)


@functools.cache
def openat2_available() -> bool:
    """Whether this kernel has ``openat2`` (probed once by opening ``.`` beneath ``/``)."""
    try:
        root = os.open("/", _DIR_FLAGS)
    except OSError:
        return False
    try:
        os.close(openat2(root, ".", _DIR_FLAGS))
    except OSError as e:
        return e.errno != errno.ENOSYS and e.errno != errno.EPERM
    finally:
        os.close(root)
    return True


def _components(rel: str) -> list[str]:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if rel.startswith("/") or ".." in parts:
        # Callers pass normalised relative paths; anything else is a caller bug or an attack.
        raise OSError(errno.EXDEV, "path leaves the directory", rel)
    return parts


def _open_step(dirfd: int, name: str, flags: int, mode: int = 0) -> int:
    try:
        return os.open(name, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dirfd)
    except NotADirectoryError:
        # O_NOFOLLOW | O_DIRECTORY on a symlink fails with ENOTDIR; report it as openat2 would.
        if stat.S_ISLNK(os.stat(name, dir_fd=dirfd, follow_symlinks=False).st_mode):
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), name) from None
        raise


def walk_beneath(dirfd: int, rel: str, flags: int, mode: int = 0) -> int:
    """Open ``rel`` beneath ``dirfd`` one component at a time, never following a symlink.

    Every directory is opened with ``O_NOFOLLOW | O_DIRECTORY`` relative to the fd of the one
    before, and the last component with ``flags | O_NOFOLLOW``, so a symlink anywhere makes the
    open fail (``ELOOP`` or ``ENOTDIR``) instead of leading elsewhere.
    """
    parts = _components(rel)
    if not parts:
        return os.open(".", flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dirfd)
    current = os.dup(dirfd)
    try:
        for name in parts[:-1]:
            nxt = _open_step(current, name, _DIR_FLAGS)
            os.close(current)
            current = nxt
        return _open_step(current, parts[-1], flags, mode)
    finally:
        os.close(current)


def open_beneath(
    dirfd: int, rel: str, flags: int, mode: int = 0, *, use_openat2: bool = True
) -> int:
    """Open ``rel`` beneath ``dirfd`` with no symlink, ``..`` or magic link on the way.

    Uses ``openat2`` when ``use_openat2`` and the kernel has it, else :func:`walk_beneath`.
    """
    _components(rel)
    if use_openat2 and openat2_available():
        return openat2(dirfd, rel or ".", flags, mode, resolve=CONFINED)
    return walk_beneath(dirfd, rel, flags, mode)
