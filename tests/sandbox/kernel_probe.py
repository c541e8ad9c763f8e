"""Run inside the jail by test_attacks_kernel.py: ``python3 kernel_probe.py ACTION ARGS...``.

Each action tries raw syscalls a hostile command would and prints ``name=OUTCOME`` lines, OUTCOME
being ``OK`` (or what the call returned) or the errno's name. Standard library only: the jail
runs it with the system's python3, which has no agentrun.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import socket
import struct
import sys
import time
from collections.abc import Callable

libc = ctypes.CDLL(None, use_errno=True)


def outcome(call: Callable[[], object]) -> str:
    try:
        got = call()
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, str(e.errno))
    return "OK" if got is None or isinstance(got, socket.socket | tuple) else str(got)


def raw(nr: int, *args: int | bytes) -> int:
    """syscall(nr, args...) raising OSError like os functions do."""
    # As longs: the kernel's view of a register, so a value above 32 bits goes through whole.
    r = int(
        libc.syscall(
            ctypes.c_long(nr), *(ctypes.c_long(a) if isinstance(a, int) else a for a in args)
        )
    )
    if r < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return r


def families() -> None:
    tries = {
        "unix": (socket.AF_UNIX, socket.SOCK_STREAM, 0),
        "inet": (socket.AF_INET, socket.SOCK_STREAM, 0),
        "inet6": (socket.AF_INET6, socket.SOCK_DGRAM, 0),
        "netlink_route": (socket.AF_NETLINK, socket.SOCK_RAW, 0),
        "netlink_sock_diag": (socket.AF_NETLINK, socket.SOCK_RAW, 4),
        "netlink_xfrm": (socket.AF_NETLINK, socket.SOCK_RAW, 6),
        "netlink_audit": (socket.AF_NETLINK, socket.SOCK_RAW, 9),
        "netlink_kobject_uevent": (socket.AF_NETLINK, socket.SOCK_DGRAM, 15),
        "netlink_generic": (socket.AF_NETLINK, socket.SOCK_RAW, 16),
        "vsock": (40, socket.SOCK_STREAM, 0),
        "packet": (17, socket.SOCK_RAW, 0),
        "alg": (38, socket.SOCK_SEQPACKET, 0),
        "bluetooth": (31, socket.SOCK_STREAM, 0),
        "xdp": (44, socket.SOCK_RAW, 0),
        "can": (29, socket.SOCK_RAW, 1),
        "key": (15, socket.SOCK_RAW, 2),
    }
    for name, (family, kind, proto) in tries.items():
        # Through libc's socket(), so no Python-level family check gets in the way.
        def make(f: int = family, k: int = kind, p: int = proto) -> None:
            os.close(raw(41, f, k, p))

        print(f"{name}={outcome(make)}")


def vsock_hold(port: str, result: str) -> None:
    """Bind AF_VSOCK ``port``, write the outcome to ``result``, and hold the port a while."""
    try:
        s = socket.socket(40, socket.SOCK_STREAM)
        s.bind((0xFFFFFFFF, int(port)))
        said = "OK"
    except OSError as e:
        said = errno.errorcode.get(e.errno or 0, "?")
    with open(result + ".tmp", "w") as f:
        f.write(said)
    os.rename(result + ".tmp", result)
    if said == "OK":
        time.sleep(60)


def _aim(kind_name: str, a: socket.socket, target: str) -> None:
    print(f"{kind_name}.sendto={outcome(lambda: a.sendto(b'sendto', target))}")
    print(f"{kind_name}.sendmsg={outcome(lambda: a.sendmsg([b'sendmsg'], [], 0, target))}")
    print(f"{kind_name}.connect={outcome(lambda: a.connect(target))}")


def pairs(address: str) -> None:
    """Every socketpair type aimed at ``address`` (a host datagram socket; '@' = abstract)."""
    target = "\0" + address[1:] if address.startswith("@") else address
    for kind_name in ("SOCK_STREAM", "SOCK_SEQPACKET", "SOCK_DGRAM"):
        kind = getattr(socket, kind_name)
        try:
            a, b = socket.socketpair(socket.AF_UNIX, kind)
        except OSError as e:
            print(f"{kind_name}.socketpair={errno.errorcode.get(e.errno or 0)}")
            continue
        print(f"{kind_name}.socketpair=OK")
        _aim(kind_name, a, target)
        b.setblocking(False)
        got = []
        while True:
            try:
                got.append(b.recv(64).decode())
            except OSError:
                break
        print(f"{kind_name}.peer_got={','.join(got) or '-'}")
    fds = socket.socketpair()
    r, _w = os.pipe()
    sent = outcome(lambda: socket.send_fds(fds[0], [b"fd"], [r]))
    print(f"scm_rights_in_jail={sent}:{len(socket.recv_fds(fds[1], 8, 1)[1])}")


def setid(directory: str) -> None:
    """Every call that could leave a setuid/setgid file or directory in ``directory``."""
    os.chdir(directory)
    dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    fresh = iter(range(1000))

    def name() -> str:
        return f"f{next(fresh)}"

    tries: dict[str, Callable[[], object]] = {
        "open_4755": lambda: os.close(os.open(name(), os.O_CREAT | os.O_WRONLY, 0o4755)),
        "openat_2755": lambda: os.close(
            os.open(name(), os.O_CREAT | os.O_WRONLY, 0o2755, dir_fd=dfd)
        ),
        "open_tmpfile_4755": lambda: os.close(os.open(".", os.O_TMPFILE | os.O_WRONLY, 0o4755)),
        "creat_4755": lambda: os.close(raw(85, name().encode(), 0o4755)),
        "mknod_4755": lambda: os.mknod(name(), 0o100000 | 0o4755),
        "mknodat_2755": lambda: raw(259, dfd, name().encode(), 0o100000 | 0o2755, 0),
        "chmod_u+s": lambda: os.chmod("plain", 0o4755),
        "chmod_g+s": lambda: os.chmod("plain", 0o2755),
        "fchmod_u+s": lambda: os.fchmod(plain_fd, 0o4711),
        "fchmodat_u+s": lambda: raw(268, dfd, b"plain", 0o4755),
        "fchmodat2_u+s": lambda: raw(452, dfd, b"plain", 0o4755, 0),
        "chmod_dir_g+s": lambda: os.chmod("dir", 0o2775),
        # The high bits of the mode are ignored by the kernel; the filter must not be fooled.
        "chmod_high_bits": lambda: raw(90, b"plain", (1 << 32) | 0o4755),
        "chmod_755": lambda: os.chmod("plain", 0o755),
        "mkdir_2755": lambda: os.mkdir(name(), 0o2755),
        "openat2": lambda: raw(437, dfd, b"plain", struct.pack("QQQ", 0, 0, 0), 24),
    }
    with open("plain", "w"):
        pass
    os.mkdir("dir")
    plain_fd = os.open("plain", os.O_RDONLY)
    for label, call in tries.items():
        print(f"{label}={outcome(call)}")


def file_capability(path: str) -> None:
    # struct vfs_cap_data, revision 2, effective, permitted = CAP_SYS_ADMIN (21).
    blob = struct.pack("<5I", 0x02000000 | 1, 1 << 21, 0, 0, 0)
    print(f"setxattr={outcome(lambda: os.setxattr(path, 'security.capability', blob))}")
    no_follow = {"follow_symlinks": False}
    print(
        f"lsetxattr={outcome(lambda: os.setxattr(path, 'security.capability', blob, **no_follow))}"
    )


def abi32(which: str) -> None:
    """socket(AF_UNIX, SOCK_STREAM) through the x32 or the i386 syscall entry."""
    if which == "x32":
        r = libc.syscall(0x40000000 | 41, socket.AF_UNIX, socket.SOCK_STREAM, 0)
    else:
        # push rbx; mov eax, 359 (i386 socket); mov ebx, 1; mov ecx, 1; xor edx, edx;
        # int 0x80; pop rbx; ret
        code = bytes.fromhex("53b867010000bb01000000b90100000031d2cd805bc3")
        buf = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        buf.write(code)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
        r = ctypes.CFUNCTYPE(ctypes.c_int)(addr)()
    print(f"{which}_returned={r}")


def signal_host(pid: str) -> None:
    print(f"kill0={outcome(lambda: os.kill(int(pid), 0))}")
    print(f"kill9={outcome(lambda: os.kill(int(pid), 9))}")
    print(f"pidfd={outcome(lambda: os.pidfd_open(int(pid)))}")


def abstract_connect(name: str) -> None:
    def connect() -> None:
        s = socket.socket(socket.AF_UNIX)
        s.connect("\0" + name)

    print(f"connect={outcome(connect)}")


def memory_and_leases(path: str) -> None:
    """memfds (memory no rlimit bounds), a lease on ``path`` (blocks its other writers) and
    dnotify (harmless: it signals the caller only)."""
    import fcntl

    print(f"memfd_create={outcome(lambda: raw(319, b'm', 0))}")
    fd = os.open(path, os.O_RDONLY)
    print(f"lease={outcome(lambda: fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK))}")
    os.close(fd)
    d = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    print(f"notify={outcome(lambda: fcntl.fcntl(d, fcntl.F_NOTIFY, fcntl.DN_MODIFY))}")
    os.close(d)


ACTIONS: dict[str, Callable[..., None]] = {
    "families": families,
    "vsock_hold": vsock_hold,
    "pairs": pairs,
    "setid": setid,
    "file_capability": file_capability,
    "abi32": abi32,
    "signal_host": signal_host,
    "abstract_connect": abstract_connect,
    "memory_and_leases": memory_and_leases,
}

if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    ACTIONS[sys.argv[1]](*sys.argv[2:])
