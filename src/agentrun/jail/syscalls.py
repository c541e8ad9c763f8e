"""Thin ctypes wrappers over the Linux syscalls the jail needs and Python's ``os`` lacks.

Every wrapper raises :class:`OSError` with the real errno, so callers can tell "not supported"
(``ENOSYS``/``EINVAL``) from "not allowed" (``EPERM``). Nothing here runs at import time except
looking up libc; the numbers are x86_64's (the only architecture the seccomp filter is built
for; :data:`SUPPORTED_ARCH` says whether we are on it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

SUPPORTED_ARCH = os.uname().machine == "x86_64"  # os.uname: `platform` costs 3 ms to import

# x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl). Landlock's three calls got the
# same numbers on every architecture, as every syscall added after 5.x did.
SYS_CAPSET = 126
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446

# prctl options (include/uapi/linux/prctl.h).
PR_SET_PDEATHSIG = 1
PR_CAPBSET_DROP = 24
PR_SET_SECCOMP = 22
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_SET_CHILD_SUBREAPER = 36
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECCOMP_MODE_FILTER = 2

# Namespace flags for unshare(2)/clone(2) (include/uapi/linux/sched.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NS_FLAGS = (
    CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET
)

# mount(2) flags (include/uapi/linux/mount.h).
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
MS_RELATIME = 0x200000

# Securebits: uid 0 gains nothing special at exec, and that is locked (linux/securebits.h).
SECBIT_NOROOT = 1 << 0
SECBIT_NOROOT_LOCKED = 1 << 1
SECBIT_NO_SETUID_FIXUP = 1 << 2
SECBIT_NO_SETUID_FIXUP_LOCKED = 1 << 3
SECBIT_KEEP_CAPS_LOCKED = 1 << 5
SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6
SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7
SECURE_ALL = (
    SECBIT_NOROOT
    | SECBIT_NOROOT_LOCKED
    | SECBIT_NO_SETUID_FIXUP
    | SECBIT_NO_SETUID_FIXUP_LOCKED
    | SECBIT_KEEP_CAPS_LOCKED
    | SECBIT_NO_CAP_AMBIENT_RAISE
    | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED
)

_LINUX_CAPABILITY_VERSION_3 = 0x20080522


@functools.cache
def libc() -> ctypes.CDLL:
    """glibc with errno capture (looked up on first use, never at import)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def syscall(number: int, *args: object, what: str) -> int:
    fn = libc().syscall
    fn.restype = ctypes.c_long
    return _check(fn(ctypes.c_long(number), *args), what)


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    fn = libc().prctl
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    fn.restype = ctypes.c_int
    return _check(fn(option, arg2, arg3, arg4, arg5), f"prctl({option})")


def unshare(flags: int) -> None:
    fn = libc().unshare
    fn.argtypes = [ctypes.c_int]
    _check(fn(flags), f"unshare({flags:#x})")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    fn = libc().mount
    fn.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]

    def enc(s: str | None) -> bytes | None:
        return os.fsencode(s) if s is not None else None

    _check(fn(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


class _CapHeader(ctypes.Structure):
    _fields_ = (("version", ctypes.c_uint32), ("pid", ctypes.c_int))


class _CapData(ctypes.Structure):
    _fields_ = (
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    )


def last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            return int(f.read())
    except OSError:
        return 40  # CAP_CHECKPOINT_RESTORE, the last capability as of Linux 6.x


def drop_all_capabilities() -> None:
    """Empty the bounding, ambient, permitted, effective and inheritable sets, for good.

    Order matters: dropping from the bounding set needs CAP_SETPCAP, so it goes first; securebits
    (also CAP_SETPCAP) make a later exec of a setuid-root binary grant nothing; capset() last.
    """
    for cap in range(last_cap() + 1):
        try:
            prctl(PR_CAPBSET_DROP, cap)
        except OSError as e:
            # EINVAL: this kernel does not know that capability; EPERM: no CAP_SETPCAP, so
            # we hold nothing to drop (unprivileged); capset() below still clears the rest.
            if e.errno not in (22, 1):
                raise
    try:
        prctl(PR_SET_SECUREBITS, SECURE_ALL)
    except OSError:
        pass  # needs CAP_SETPCAP; an unprivileged caller has no root privileges to keep anyway
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()  # version 3 uses two 32-bit words per set; all zero = no capability
    syscall(SYS_CAPSET, ctypes.byref(header), ctypes.byref(data), what="capset")


def capabilities_effective() -> int:
    """CapEff of the calling process (0 means no capability at all)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return int(line.split()[1], 16)
    return 0


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` exists (EPERM means it does, owned by someone else)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def descendants(root: int, *, zombies: bool) -> list[int]:
    """Every descendant of ``root`` in this /proc, nearest first. ``zombies=False`` leaves out
    exited-but-unreaped processes (nothing left to kill); the shim, a subreaper waiting for its
    tree to be gone, counts them until it has reaped them."""
    parent: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            # comm may contain spaces and parentheses: the fields start after the last ')'.
            fields = stat[stat.rindex(b")") + 2 :].split()
            if zombies or fields[0] not in (b"Z", b"X"):
                parent[int(entry.name)] = int(fields[1])
    found: list[int] = []
    frontier = {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier}
        found.extend(frontier)
    return found
