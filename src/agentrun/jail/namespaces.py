"""Namespace and mount set-up for the session jail (runs inside :mod:`agentrun.jail.init`).

The order is forced by the kernel: the user namespace first (it owns the others, and gives an
unprivileged caller the capabilities for the rest), the uid/gid maps before any privileged act,
then the mounts, which need the new PID namespace's process (``/proc`` shows the PID namespace of
whoever mounts it).
"""

from __future__ import annotations

import fcntl
import os
import socket
import struct
from collections.abc import Sequence
from pathlib import Path

from agentrun.jail import syscalls

_ST_TO_MS = {  # statvfs f_flag bit -> mount flag: the flags a bind remount must keep
    2: syscalls.MS_NOSUID,
    4: syscalls.MS_NODEV,
    8: syscalls.MS_NOEXEC,
    1024: syscalls.MS_NOATIME,
    2048: syscalls.MS_NODIRATIME,
    4096: syscalls.MS_RELATIME,
}

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_IFF_RUNNING = 0x40


def enter_user_namespace(uid: int, gid: int) -> None:
    """Map our own uid/gid to themselves in a new user namespace (all an unprivileged caller may
    map). ``setgroups`` must be denied before an unprivileged gid_map is accepted."""
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1\n")
    Path("/proc/self/setgroups").write_text("deny\n")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1\n")


def bring_up_loopback() -> None:
    """A new network namespace has ``lo`` down; up it, so in-jail servers work on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP | _IFF_RUNNING))


def _locked_flags(path: str) -> int:
    # In a user namespace the flags the parent mount had (nosuid, nodev, ...) are locked: a remount
    # that omits them fails with EPERM. So carry them over.
    f_flag = os.statvfs(path).f_flag
    return sum(ms for st, ms in _ST_TO_MS.items() if f_flag & st)


def bind_read_only(path: str) -> None:
    bind_read_only_from(path, path)


def bind_read_only_from(source: str, path: str) -> None:
    syscalls.mount(source, path, None, syscalls.MS_BIND | syscalls.MS_REC, None)
    syscalls.mount(
        None,
        path,
        None,
        syscalls.MS_BIND | syscalls.MS_REMOUNT | syscalls.MS_RDONLY | _locked_flags(path),
        None,
    )


def _outermost(paths: Sequence[Path]) -> list[Path]:
    result: list[Path] = []
    for p in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(q == p or q in p.parents for q in result):
            result.append(p)
    return result


def setup_mounts(
    *,
    private_tmp: Path,
    keep: Sequence[Path],
    protected: Sequence[Path],
    shm_size: int,
    new_sysfs: bool,
    hidden: Sequence[Path] = (),
) -> None:
    """Make every mount private, then: a fresh ``/proc`` with ``/proc/sys`` read-only, ``/tmp``
    replaced by ``private_tmp``, the ``keep`` paths that lived under ``/tmp`` re-bound at the same
    absolute path, a private ``/dev/shm`` tmpfs, ``protected`` paths read-only and ``hidden``
    ones covered by an empty read-only tmpfs (or ``/dev/null`` for a file)."""
    # Nothing done from here on may propagate back to the host's mount table.
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE, None)
    nosuid_nodev = syscalls.MS_NOSUID | syscalls.MS_NODEV
    syscalls.mount("proc", "/proc", "proc", nosuid_nodev | syscalls.MS_NOEXEC, None)
    # uid 0 without capabilities still owns /proc/sys files (DAC lets the owner write): sysctls
    # such as core_pattern must not be writable whatever Landlock says.
    for path in ("/proc/sys", "/proc/sysrq-trigger"):
        if Path(path).exists():
            bind_read_only(path)

    if new_sysfs:
        # sysfs shows the network namespace of whoever mounted it: without a fresh one,
        # /sys/class/net would still list the host's interfaces. Read-only, and it no longer
        # shows the host's cgroup mounts under /sys/fs/cgroup.
        syscalls.mount(
            "sysfs", "/sys", "sysfs", nosuid_nodev | syscalls.MS_NOEXEC | syscalls.MS_RDONLY, None
        )

    tmp = Path("/tmp")
    under_tmp = [p for p in _outermost(keep) if tmp in p.parents and p.exists()]
    # Open the paths before /tmp is covered; binding from /proc/self/fd/N reaches them after.
    fds = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in under_tmp}
    try:
        syscalls.mount(str(private_tmp), "/tmp", None, syscalls.MS_BIND, None)
        for p, fd in fds.items():
            p.mkdir(parents=True, exist_ok=True)  # lands in private_tmp, not on the host's /tmp
            syscalls.mount(
                f"/proc/self/fd/{fd}", str(p), None, syscalls.MS_BIND | syscalls.MS_REC, None
            )
    finally:
        for fd in fds.values():
            os.close(fd)

    syscalls.mount("tmpfs", "/dev/shm", "tmpfs", nosuid_nodev, f"mode=1777,size={shm_size}")
    for p in protected:
        if os.path.lexists(p) and not p.is_symlink():
            bind_read_only(str(p))
    for p in hidden:
        if p.is_symlink() or not p.exists():
            continue
        if p.is_dir():
            flags = nosuid_nodev | syscalls.MS_NOEXEC | syscalls.MS_RDONLY
            # Empty and listable: `git status` or `find .` see nothing rather than an error.
            syscalls.mount("tmpfs", str(p), "tmpfs", flags, "size=4k,mode=555")
        else:
            bind_read_only_from("/dev/null", str(p))
