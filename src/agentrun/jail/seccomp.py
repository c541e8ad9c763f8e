"""A seccomp-BPF filter, assembled in Python, refusing the syscalls a jailed command never needs.

What it closes that the other layers leave open (research §4.3): host sockets — ``socket()``
takes an allowlist of families (no AF_VSOCK, AF_PACKET, AF_ALG, non-route netlink, ...), and
while host sockets are in the jail's view no AF_UNIX socket can be pointed at a path (a network
namespace does not isolate pathname sockets, and Landlock ABI < 9 does not see ``connect``);
setuid/setgid bits (the jail's root owns the files it creates); new user namespaces (a fresh set
of capabilities), ``setns``, every mount API, ``bpf``, ``io_uring`` (its own syscall path past
this filter), keyrings, module loading, ptrace and cross-process memory access, ``TIOCSTI``
terminal injection, file leases (``F_SETLEASE``: host writers would block) and memfds (memory
outside every rlimit; ``ENOSYS``, so programs fall back to files). File watches (inotify,
fanotify) get ``ENOSYS`` too: they count against the user's host-wide limits.

Refused calls fail with ``EPERM`` (or ``EAFNOSUPPORT`` for a socket family; the process goes on
and reports an error) instead of killing it; ``clone3`` and ``openat2`` get ``ENOSYS`` because
their flags sit behind a pointer BPF cannot read, and glibc then falls back to ``clone`` and
``openat``, whose arguments are checked. A foreign architecture (the i386 ``int 0x80`` entry,
including its ``socketcall`` multiplexer) or an x32 syscall number kills the process: its numbers
would mean other syscalls.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import struct

from agentrun.jail import syscalls

# struct seccomp_data offsets: nr (u32) at 0, arch (u32) at 4, args[6] (u64 each) from 16. On a
# little-endian machine the low 32 bits of args[i] are at 16 + 8 * i.
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_lo(i: int) -> int:
    return 16 + 8 * i


# Classic BPF opcodes (include/uapi/linux/filter.h).
_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = data[k]
_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET_K = 0x45  # BPF_JMP | BPF_JSET | BPF_K: jump if A & k
_AND_K = 0x54  # BPF_ALU | BPF_AND | BPF_K: A &= k
_RET_K = 0x06  # BPF_RET | BPF_K

RET_ALLOW = 0x7FFF0000
RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000

AUDIT_ARCH_X86_64 = 0xC000003E
_X32_SYSCALL_BIT = 0x40000000

# x86_64 numbers of the syscalls refused outright with EPERM.
DENIED: dict[str, int] = {
    "ptrace": 101,
    "syslog": 103,
    "acct": 163,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "pivot_root": 155,
    "chroot": 161,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "perf_event_open": 298,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "pidfd_getfd": 438,
    "mount_setattr": 442,
    "quotactl_fd": 443,
    "open_tree_attr": 467,  # 6.15: open_tree with mount attributes, the same mount API
}
NOSYS = {"inotify_init": 253, "inotify_init1": 294, "fanotify_init": 300}
"""Refused with ``ENOSYS``, as if the kernel had no such call: file watches are charged to the
user (not the namespace), so a jail run as root could exhaust the host's inotify instances and
watches for every root daemon; tools (``tail -f``, watchers) fall back to polling."""
_SYS_IOCTL = 16
_SYS_FCNTL = 72
_F_SETLEASE = 1024  # a lease on a readable host file blocks host writers (lease-break-time)
# memfds are memory no rlimit bounds while unmapped (and no cgroup for an unprivileged jail):
# ENOSYS, as on an old kernel, so that programs fall back to a file (glib, .NET, V8 do).
MEMFD_CALLS = {"memfd_create": 319, "memfd_secret": 447}
_SYS_CLONE = 56
_SYS_CLONE3 = 435
_SYS_OPENAT2 = 437
_TIOCSTI = 0x5412  # push bytes into a terminal's input queue: a keystroke-injection escape
_TIOCLINUX = 0x541C  # the console's selection paste, same class

_SYS_SOCKET = 41
_SYS_SOCKETPAIR = 53
ALLOWED_FAMILIES = (socket.AF_INET, socket.AF_INET6)
"""Families ``socket()`` may create besides AF_UNIX (see :func:`build_filter`) and netlink route.
AF_VSOCK is shared with the host (a jailed bind took the host's port), AF_PACKET, AF_ALG,
AF_XDP, AF_BLUETOOTH and the rest reach kernel or host surfaces no build or test needs."""
_NETLINK_ROUTE = 0  # glibc's getaddrinfo (AI_ADDRCONFIG) and `ip` read addresses through it
_SOCK_TYPE_MASK = 0xF  # the type argument also carries SOCK_CLOEXEC / SOCK_NONBLOCK
# socketpair types whose sendmsg ignores msg_name and whose connect() fails with EISCONN: a
# pair of them can only ever talk to each other. A SOCK_DGRAM pair sendto()s any path.
_PAIR_TYPES = (socket.SOCK_STREAM, socket.SOCK_SEQPACKET)

# Calls creating or changing a file's mode, and the argument index of that mode. S_ISUID and
# S_ISGID are refused in them all: the jail's root (uid 0 without capabilities) still owns what
# it creates, so `chmod 4755 ws/bash` would make a setuid-root binary any user could run. BPF
# cannot see the file type, so setgid directories are refused too (an agent never needs one).
# mkdir/mkdirat are not listed: the kernel drops both bits from their mode itself.
_MODE_ARG = {
    "chmod": (90, 1),
    "fchmod": (91, 1),
    "creat": (85, 1),
    "mknod": (133, 1),
    "fchmodat": (268, 2),
    "mknodat": (259, 2),
    "fchmodat2": (452, 2),
}
# open/openat take a mode only with O_CREAT or O_TMPFILE: (nr, flags index, mode index).
_OPEN_ARGS = {"open": (2, 1, 2), "openat": (257, 2, 3)}
_O_CREATING = 0o100 | 0o20000000  # O_CREAT | __O_TMPFILE
SETID_BITS = 0o6000  # S_ISUID | S_ISGID


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _ret_errno(err: int) -> int:
    return _RET_ERRNO | (err & 0xFFFF)


class _Asm:
    """Classic BPF with symbolic forward jumps: ``jeq(k, "label")`` jumps there when A == k and
    falls through otherwise. Offsets are resolved (and checked to fit in 8 bits) at the end."""

    def __init__(self) -> None:
        self._code: list[tuple[int, int, str | None, str | None]] = []
        self._labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        self._labels[name] = len(self._code)

    def load(self, offset: int) -> None:
        self._code.append((_LD_W_ABS, offset, None, None))

    def jeq(self, k: int, target: str) -> None:
        self._code.append((_JEQ_K, k, target, None))

    def jne(self, k: int, target: str) -> None:
        self._code.append((_JEQ_K, k, None, target))

    def jge(self, k: int, target: str) -> None:
        self._code.append((_JGE_K, k, target, None))

    def jset(self, k: int, target: str) -> None:
        self._code.append((_JSET_K, k, target, None))

    def and_(self, k: int) -> None:
        self._code.append((_AND_K, k, None, None))

    def ret(self, k: int) -> None:
        self._code.append((_RET_K, k, None, None))

    def assemble(self) -> bytes:
        out = []
        for pc, (code, k, jt, jf) in enumerate(self._code):
            offsets = [0 if t is None else self._labels[t] - pc - 1 for t in (jt, jf)]
            if not all(0 <= off < 256 for off in offsets):
                raise ValueError(f"seccomp: jump out of range at {pc}: {offsets}")
            out.append(_insn(code, k, offsets[0], offsets[1]))
        return b"".join(out)


def build_filter(*, host_sockets_hidden: bool = False) -> bytes:
    """The filter program as packed ``struct sock_filter`` instructions.

    ``host_sockets_hidden`` says the jail's filesystem view holds no host socket (a constructed
    root): then ``socket(AF_UNIX)`` and every socketpair type are allowed, since a path can only
    name a socket made inside the jail. Otherwise ``socket(AF_UNIX)`` is refused (a network
    namespace does not isolate pathname sockets, and Landlock ABI < 9 does not see ``connect``)
    and socketpair is limited to the types that cannot be pointed at an address.
    """
    a = _Asm()
    a.load(_OFF_ARCH)
    a.jne(AUDIT_ARCH_X86_64, "kill")  # i386 (int 0x80) numbers would mean other syscalls
    a.load(_OFF_NR)
    a.jge(_X32_SYSCALL_BIT, "kill")  # the x32 ABI, same reason
    # A holds nr until a branch below loads an argument; every branch ends in a return.
    for nr in sorted(DENIED.values()):
        a.jeq(nr, "eperm")
    # clone3's and openat2's flags and mode sit behind a pointer BPF cannot read: ENOSYS makes
    # glibc (and agentrun's own openat2 wrapper) fall back to clone / openat, which are checked.
    a.jeq(_SYS_CLONE3, "enosys")
    for nr in sorted(NOSYS.values()):
        a.jeq(nr, "enosys")
    a.jeq(_SYS_OPENAT2, "enosys")
    for nr in sorted(MEMFD_CALLS.values()):
        a.jeq(nr, "enosys")
    a.jeq(_SYS_FCNTL, "fcntl")
    a.jeq(_SYS_CLONE, "clone")
    a.jeq(_SYS_IOCTL, "ioctl")
    a.jeq(_SYS_SOCKET, "socket")
    a.jeq(_SYS_SOCKETPAIR, "socketpair")
    for nr, index in _MODE_ARG.values():
        a.jeq(nr, f"mode{index}")
    for name, (nr, _, _) in _OPEN_ARGS.items():
        a.jeq(nr, name)
    a.ret(RET_ALLOW)

    # clone(flags, ...): refuse any namespace flag (the low 32 bits hold every CLONE_NEW*).
    a.label("clone")
    a.load(_arg_lo(0))
    a.jset(syscalls.CLONE_NS_FLAGS, "eperm")
    a.ret(RET_ALLOW)

    # ioctl(fd, TIOCSTI|TIOCLINUX, ...): the request is compared on its low 32 bits.
    a.label("ioctl")
    a.load(_arg_lo(1))
    a.jeq(_TIOCSTI, "eperm")
    a.jeq(_TIOCLINUX, "eperm")
    a.ret(RET_ALLOW)

    # fcntl(fd, F_SETLEASE, ...): a lease needs only read access to a file the jail sees
    # read-only (as root: any root-owned one), and makes host writers wait. F_NOTIFY (dnotify)
    # stays: it only signals the caller. flock/F_SETLK on read-only views cannot be told apart
    # here (see README: what the view shows is what can be locked).
    a.label("fcntl")
    a.load(_arg_lo(1))
    a.jeq(_F_SETLEASE, "eperm")
    a.ret(RET_ALLOW)

    # socket(family, type, protocol): an allowlist of families.
    a.label("socket")
    a.load(_arg_lo(0))
    for family in ALLOWED_FAMILIES:
        a.jeq(family, "allow")
    a.jeq(socket.AF_NETLINK, "netlink")
    a.jeq(socket.AF_UNIX, "allow" if host_sockets_hidden else "eperm")
    a.ret(_ret_errno(errno.EAFNOSUPPORT))
    a.label("netlink")
    a.load(_arg_lo(2))
    a.jeq(_NETLINK_ROUTE, "allow")  # not uevent, audit, sock_diag, xfrm, ...
    a.ret(_ret_errno(errno.EAFNOSUPPORT))

    # socketpair(family, type, protocol, sv): AF_UNIX only (no other family has pairs), and
    # with host sockets in view only the types a sendto()/connect() cannot redirect.
    a.label("socketpair")
    a.load(_arg_lo(0))
    a.jne(socket.AF_UNIX, "eafnosupport")
    if not host_sockets_hidden:
        a.load(_arg_lo(1))
        a.and_(_SOCK_TYPE_MASK)
        for kind in _PAIR_TYPES:
            a.jeq(kind, "allow")
        a.ret(_ret_errno(errno.EPERM))
    a.ret(RET_ALLOW)

    # A mode argument carrying S_ISUID or S_ISGID (the kernel reads only its low 16 bits).
    for index in sorted({index for _, index in _MODE_ARG.values()}):
        a.label(f"mode{index}")
        a.load(_arg_lo(index))
        a.jset(SETID_BITS, "eperm")
        a.ret(RET_ALLOW)
    for name, (_, flags, mode) in _OPEN_ARGS.items():
        a.label(name)
        a.load(_arg_lo(flags))
        a.jset(_O_CREATING, f"{name}_creating")
        a.ret(RET_ALLOW)
        a.label(f"{name}_creating")
        a.load(_arg_lo(mode))
        a.jset(SETID_BITS, "eperm")
        a.ret(RET_ALLOW)
    # The shared returns come last: classic BPF jumps only forward.
    a.label("allow")
    a.ret(RET_ALLOW)
    a.label("kill")
    a.ret(RET_KILL_PROCESS)
    a.label("eperm")
    a.ret(_ret_errno(errno.EPERM))
    a.label("enosys")
    a.ret(_ret_errno(errno.ENOSYS))
    a.label("eafnosupport")
    a.ret(_ret_errno(errno.EAFNOSUPPORT))
    return a.assemble()


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(program: bytes) -> None:
    """Load the filter on the calling thread; children inherit it across fork and exec.

    Needs no_new_privs (set first by the caller) or CAP_SYS_ADMIN.
    """
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    syscalls.prctl(syscalls.PR_SET_SECCOMP, syscalls.SECCOMP_MODE_FILTER, ctypes.addressof(prog))
