"""A seccomp-BPF filter, assembled in Python, refusing the syscalls a jailed command never needs.

What it closes that the other layers leave open (research §4.3): pathname unix sockets
(``docker.sock``: a network namespace does not isolate them and Landlock ABI < 9 does not see
``connect``), new user namespaces (a fresh set of capabilities), ``setns``, every mount API,
``bpf``, ``io_uring`` (its own syscall path past this filter), keyrings, module loading, ptrace and
cross-process memory access, and ``TIOCSTI`` terminal injection.

Refused calls fail with ``EPERM`` (the process goes on and reports an error) instead of killing
it; ``clone3`` gets ``ENOSYS`` because its flags sit behind a pointer BPF cannot read, and glibc
then falls back to ``clone``, whose flags are checked. A foreign architecture or an x32 syscall
number kills the process: its numbers would mean other syscalls.
"""

from __future__ import annotations

import ctypes
import errno
import socket
import struct

from agentrun.sandbox import syscalls

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
}
_SYS_IOCTL = 16
_SYS_SOCKET = 41
_SYS_CLONE = 56
_SYS_CLONE3 = 435
_TIOCSTI = 0x5412  # push bytes into a terminal's input queue: a keystroke-injection escape
_TIOCLINUX = 0x541C  # the console's selection paste, same class


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _ret_errno(err: int) -> int:
    return _RET_ERRNO | (err & 0xFFFF)


def build_filter(*, block_unix_sockets: bool = True) -> bytes:
    """The filter program as packed ``struct sock_filter`` instructions."""
    eperm = _ret_errno(errno.EPERM)
    prog: list[bytes] = [
        _insn(_LD_W_ABS, _OFF_ARCH),
        _insn(_JEQ_K, AUDIT_ARCH_X86_64, jt=1, jf=0),
        _insn(_RET_K, RET_KILL_PROCESS),
        _insn(_LD_W_ABS, _OFF_NR),
        _insn(_JGE_K, _X32_SYSCALL_BIT, jt=0, jf=1),
        _insn(_RET_K, RET_KILL_PROCESS),
    ]
    # One "if nr == N: return EPERM" pair per denied syscall; A still holds nr throughout.
    for nr in sorted(DENIED.values()):
        prog += [_insn(_JEQ_K, nr, jt=0, jf=1), _insn(_RET_K, eperm)]
    prog += [_insn(_JEQ_K, _SYS_CLONE3, jt=0, jf=1), _insn(_RET_K, _ret_errno(errno.ENOSYS))]
    # clone(flags, ...): refuse any namespace flag (the low 32 bits hold every CLONE_NEW*).
    prog += [
        _insn(_JEQ_K, _SYS_CLONE, jt=0, jf=4),
        _insn(_LD_W_ABS, _arg_lo(0)),
        _insn(_JSET_K, syscalls.CLONE_NS_FLAGS, jt=0, jf=1),
        _insn(_RET_K, eperm),
        _insn(_RET_K, RET_ALLOW),
    ]
    # ioctl(fd, TIOCSTI|TIOCLINUX, ...): the request is compared on its low 32 bits.
    prog += [
        _insn(_JEQ_K, _SYS_IOCTL, jt=0, jf=5),
        _insn(_LD_W_ABS, _arg_lo(1)),
        _insn(_JEQ_K, _TIOCSTI, jt=1, jf=0),
        _insn(_JEQ_K, _TIOCLINUX, jt=0, jf=1),
        _insn(_RET_K, eperm),
        _insn(_RET_K, RET_ALLOW),
    ]
    if block_unix_sockets:
        # socket(AF_UNIX, ...): the only way to reach a host daemon's socket from an isolated
        # netns. socketpair(2) (anonymous, used by subprocess and git) stays allowed.
        prog += [
            _insn(_JEQ_K, _SYS_SOCKET, jt=0, jf=4),
            _insn(_LD_W_ABS, _arg_lo(0)),
            _insn(_JEQ_K, socket.AF_UNIX, jt=0, jf=1),
            _insn(_RET_K, eperm),
            _insn(_RET_K, RET_ALLOW),
        ]
    prog.append(_insn(_RET_K, RET_ALLOW))
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


def install(program: bytes) -> None:
    """Load the filter on the calling thread; children inherit it across fork and exec.

    Needs no_new_privs (set first by the caller) or CAP_SYS_ADMIN.
    """
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    syscalls.prctl(syscalls.PR_SET_SECCOMP, syscalls.SECCOMP_MODE_FILTER, ctypes.addressof(prog))
