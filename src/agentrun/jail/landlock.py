"""Landlock rulesets from a :class:`SandboxPolicy`: read everywhere but the deny list, write only
to the writable roots.

Landlock is allow-only: once a right is *handled*, only paths under a rule granting it keep it.
So "read everything except ``/root``" becomes "read on every sibling of ``/root`` (and, one level
down, every sibling along the path to a deeper denied path)". Ancestors of a denied path get
``READ_DIR`` only, so ``ls /`` works; file contents under a denied path stay unreadable (names
inside it can be listed, a known, small leak). Symlinks are never given rules: a rule on a
symlink's target could re-open a denied tree, and access through a link is checked on its target.

Rules bind to the inodes open at build time, so the ruleset is built *after* the jail's mounts
(a fresh ``/proc``, the private ``/tmp``) are in place; see :mod:`agentrun.jail.init`.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from agentrun.jail import syscalls

# Filesystem rights (include/uapi/linux/landlock.h) and the ABI that introduced them.
EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2: link/rename across directories; without it, hard links to outside fail
TRUNCATE = 1 << 14  # ABI 3: without it truncate() of an outside file is not handled (allowed!)
IOCTL_DEV = 1 << 15  # ABI 5: ioctl on device files

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6: no connect to abstract sockets outside the domain
SCOPE_SIGNAL = 1 << 1  # ABI 6: no signals to processes outside the domain
SCOPES_ABI = 6
"""From this ABI on, every ruleset also scopes abstract unix sockets and signals to the jail: the
host's abstract sockets (X11, D-Bus, systemd's) live in its network namespace, which a jail with
``--allow-network`` shares, and its processes could otherwise be signalled by pid."""

_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1 << 0

READ = EXECUTE | READ_FILE | READ_DIR
# Everything a workspace needs to be fully usable. MAKE_CHAR and MAKE_BLOCK are never granted, so
# even a process that regained CAP_MKNOD could not make a device node.
WRITE = (
    WRITE_FILE
    | REMOVE_DIR
    | REMOVE_FILE
    | MAKE_DIR
    | MAKE_REG
    | MAKE_SOCK
    | MAKE_FIFO
    | MAKE_SYM
    | REFER
    | TRUNCATE
)
# Rights that make sense on a non-directory; add_rule refuses the others with EINVAL.
_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV

# Device nodes every shell expects; everything else under /dev (disks, consoles, kmsg, mem) is
# neither readable nor writable.
SAFE_DEVICES = ("null", "zero", "full", "random", "urandom")

MINIMUM_ABI = 3
"""Below ABI 3, truncate() escapes the ruleset; the jail refuses to run rather than pretend."""


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 when Landlock is missing or disabled."""
    try:
        return syscalls.syscall(
            syscalls.SYS_LANDLOCK_CREATE_RULESET,
            None,
            0,
            _CREATE_RULESET_VERSION,
            what="landlock_create_ruleset",
        )
    except OSError:
        return 0


def scopes(abi: int) -> int:
    """The scopes a ruleset of this ABI restricts (0 before ABI 6)."""
    return SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= SCOPES_ABI else 0


def handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1: bits 0..12
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = (
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    )


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel struct is __attribute__((packed)): 12 bytes
    _fields_ = (("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32))


@dataclass(frozen=True)
class Grant:
    path: Path
    access: int


def _children(directory: Path) -> Iterator[Path]:
    try:
        names = sorted(p.name for p in directory.iterdir())
    except OSError:
        return
    for name in names:
        yield directory / name


def read_grants(deny: Iterable[Path], *, devices: Path = Path("/dev")) -> list[Grant]:
    """Read grants covering the whole tree except ``deny`` (and ``devices`` but SAFE_DEVICES)."""
    denied = {Path(os.path.normpath(p)) for p in deny}
    denied.add(devices)
    # Every directory on the way to a denied path, as one set: the walk asks this of each
    # child, and asking each denied path's ``parents`` instead cost ~50 ms per jail start.
    on_path_to_denied = {parent for d in denied for parent in d.parents}
    grants: list[Grant] = []

    def walk(directory: Path) -> None:
        grants.append(Grant(directory, READ_DIR))
        for child in _children(directory):
            if child in denied or child.is_symlink():
                continue
            if child in on_path_to_denied and child.is_dir():
                walk(child)
            else:
                grants.append(Grant(child, READ))

    walk(Path("/"))
    rw = READ | WRITE_FILE | IOCTL_DEV
    grants.append(Grant(devices, READ_DIR))
    grants.extend(Grant(devices / name, rw) for name in SAFE_DEVICES)
    return grants


def build_ruleset(grants: Iterable[Grant], *, abi: int) -> int:
    """Create a ruleset fd holding ``grants`` (rights masked to ``abi``; missing paths skipped)."""
    handled = handled_fs(abi)
    attr = _RulesetAttr(handled, 0, scopes(abi))
    # The attr size tells the kernel which fields we know: 8 bytes (ABI 1-3), 16 (4-5), 24 (6+).
    size = 24 if abi >= SCOPES_ABI else 16 if abi >= 4 else 8
    fd = syscalls.syscall(
        syscalls.SYS_LANDLOCK_CREATE_RULESET,
        ctypes.byref(attr),
        size,
        0,
        what="landlock_create_ruleset",
    )
    try:
        for grant in grants:
            try:
                pfd = os.open(grant.path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue  # vanished or unreachable: nothing to grant
            try:
                access = grant.access & handled
                if not stat.S_ISDIR(os.fstat(pfd).st_mode):
                    access &= _FILE_RIGHTS
                if not access:
                    continue
                rule = _PathBeneathAttr(access, pfd)
                syscalls.syscall(
                    syscalls.SYS_LANDLOCK_ADD_RULE,
                    fd,
                    _RULE_PATH_BENEATH,
                    ctypes.byref(rule),
                    0,
                    what=f"landlock_add_rule {grant.path}",
                )
            finally:
                os.close(pfd)
    except BaseException:
        os.close(fd)
        raise
    return fd


def restrict_self(ruleset_fd: int) -> None:
    """Enforce the ruleset on the calling thread (and, as it is single-threaded, the process).

    Needs no_new_privs (or CAP_SYS_ADMIN); the caller sets it first.
    """
    syscalls.syscall(
        syscalls.SYS_LANDLOCK_RESTRICT_SELF, ruleset_fd, 0, what="landlock_restrict_self"
    )
