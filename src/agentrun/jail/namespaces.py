"""Namespace and mount set-up for the session jail (runs inside :mod:`agentrun.jail.init`).

The order is forced by the kernel: the user namespace first (it owns the others, and gives an
unprivileged caller the capabilities for the rest), the uid/gid maps before any privileged act,
then the mounts (:mod:`agentrun.jail.rootfs`), which need the new PID namespace's process
(``/proc`` shows the PID namespace of whoever mounts it).
"""

from __future__ import annotations

import fcntl
import socket
import struct
from pathlib import Path

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
