"""The jail's constructed root: a read-only tmpfs holding only what commands need.

P1 (:mod:`agentrun.jail.init`) builds it right after unsharing the mount namespace, then
``pivot_root``\\ s into it and detaches the host's root. What is in it:

* the system trees (``/usr``, ``/bin``, ``/sbin``, ``/lib*``, ``/etc``, ``/opt``), the runtime's
  own interpreter and code, and the read roots: bound read-only, recursively
  (``mount_setattr(AT_RECURSIVE)``: a plain read-only remount would leave submounts writable);
* the write roots: bound read-write (nosuid, nodev), with the protected paths inside them bound
  read-only on top and agentrun's state dirs covered;
* a fresh ``/proc`` (``/proc/sys`` read-only), ``/sys`` read-only, a minimal ``/dev`` (the
  harmless devices bound read-only, so even their owner cannot chmod them; a private
  ``/dev/shm``), private ``/tmp`` and ``/var/tmp``, and empty ``/run`` and ``/var``.

Everything else of the host is *absent* (ENOENT): ``/run``, ``/var/lib``, other users' homes,
``/root`` (except runtime paths), ``/dev/log``. That is what makes host pathname UNIX sockets
unreachable: a read-only mount does not stop ``connect()``/``sendto()`` to a socket inode, but
a name that is not in the view cannot be reached. Sockets found inside the write roots at the
start are covered too (:attr:`View.hidden`). And since no mount outside the write roots and the
private tmp dirs is writable, chmod, utimes, xattrs, attribute flags and link/rename there fail
with EROFS, in every mode, whoever the jail runs as.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentrun.core.pathutil import is_within
from agentrun.jail import syscalls

LAYER = "constructed-root"
"""The layer name a jail reports once its commands run in the constructed root; it also means
"no host pathname socket is reachable", which the seccomp filter may rely on."""

SYSTEM_TREES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_DEV_LINKS = {
    "fd": "/proc/self/fd",
    "stdin": "/proc/self/fd/0",
    "stdout": "/proc/self/fd/1",
    "stderr": "/proc/self/fd/2",
}

# include/uapi/linux/mount.h, fcntl.h; x86_64 syscall numbers (mount_setattr is 442 everywhere).
_SYS_PIVOT_ROOT = 155
_SYS_UMOUNT2 = 166
_SYS_MOUNT_SETATTR = 442
_MNT_DETACH = 2
_AT_FDCWD = -100
_AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8


@dataclass(frozen=True)
class View:
    """What the jail's root holds (all paths absolute and resolved)."""

    build_dir: Path
    """An empty host directory the new root is mounted on while it is built."""
    private_tmp: Path
    private_var_tmp: Path
    read_only: Sequence[Path]
    """Trees bound read-only (runtime paths, read roots); skipped when inside a writable one."""
    writable: Sequence[Path]
    protected: Sequence[Path] = field(default=())
    """Paths inside the write roots bound read-only on top (``.git`` at any depth, ...)."""
    reopened: Sequence[Path] = field(default=())
    """Existing paths inside :attr:`protected` bound read-write again on top (an explicit allow
    rule named them: ``.claude/agents``)."""
    hidden: Sequence[Path] = field(default=())
    """Paths inside the roots covered by an empty read-only tmpfs (a file: by ``/dev/null``)."""
    shm_size: int = 64 << 20
    new_sysfs: bool = True
    """A fresh sysfs (right with a new network namespace); else the host's, read-only."""
    extra_files: Sequence[Path] = field(default=())
    """Single files outside the trees above that commands need (``/etc/resolv.conf``'s target)."""


class _MountAttr(ctypes.Structure):
    _fields_ = (
        ("attr_set", ctypes.c_uint64),
        ("attr_clr", ctypes.c_uint64),
        ("propagation", ctypes.c_uint64),
        ("userns_fd", ctypes.c_uint64),
    )


def set_attrs(path: str, attrs: int, *, recursive: bool, clear: int = 0) -> None:
    """Add mount attributes (read-only, nosuid...) to the mount at ``path`` (and every mount
    below it when ``recursive``), and ``clear`` others. Adding is allowed even on mounts a user
    namespace locked; clearing only what this namespace set itself."""
    attr = _MountAttr(attrs, clear, 0, 0)
    syscalls.syscall(
        _SYS_MOUNT_SETATTR,
        ctypes.c_int(_AT_FDCWD),
        os.fsencode(path),
        ctypes.c_uint(_AT_RECURSIVE if recursive else 0),
        ctypes.byref(attr),
        ctypes.c_size_t(ctypes.sizeof(attr)),
        what=f"mount_setattr {path}",
    )


def _mount_point(target: str, *, directory: bool) -> None:
    if directory:
        Path(target).mkdir(parents=True, exist_ok=True)
        return
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    if not os.path.lexists(target):
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644))


def _bind(source: str, target: str, attrs: int) -> None:
    """Bind ``source`` (recursively) at ``target``, then set ``attrs`` on the whole bind: the
    host's trees are all read-only by then (see :func:`build`), so a writable bind (no
    MOUNT_ATTR_RDONLY in ``attrs``) clears it."""
    _mount_point(target, directory=Path(source).is_dir())
    syscalls.mount(source, target, None, syscalls.MS_BIND | syscalls.MS_REC, None)
    clear = 0 if attrs & MOUNT_ATTR_RDONLY else MOUNT_ATTR_RDONLY
    set_attrs(target, attrs, recursive=True, clear=clear)


def _make_dev(dev: str, shm_size: int) -> None:
    Path(dev).mkdir()
    nosuid_noexec = syscalls.MS_NOSUID | syscalls.MS_NOEXEC
    syscalls.mount("tmpfs", dev, "tmpfs", nosuid_noexec, "mode=755,size=64k")
    for name in DEVICES:
        if Path(f"/dev/{name}").exists():
            # Read-only mounts still let a device be written; they stop chmod on the host's node.
            _bind(f"/dev/{name}", f"{dev}/{name}", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID)
    for name, target in _DEV_LINKS.items():
        Path(f"{dev}/{name}").symlink_to(target)
    Path(f"{dev}/shm").mkdir()
    flags = syscalls.MS_NOSUID | syscalls.MS_NODEV
    syscalls.mount("tmpfs", f"{dev}/shm", "tmpfs", flags, f"mode=1777,size={shm_size}")
    set_attrs(dev, MOUNT_ATTR_RDONLY, recursive=False)


def _layered(view: View) -> list[tuple[Path, bool]]:
    """The trees to bind, ``(path, writable)``, parents before children, without those an
    earlier bind already shows the same way (a runtime path under /usr, a venv in the
    workspace: it stays as writable as the workspace)."""
    rw = view.writable
    entries = [(p, False) for p in view.read_only if not any(is_within(p, w) for w in rw)]
    entries += [(p, True) for p in view.writable]
    entries.sort(key=lambda e: len(e[0].parts))
    system = [Path(s) for s in SYSTEM_TREES if not Path(s).is_symlink()]
    done: list[tuple[Path, bool]] = [(s, False) for s in system]
    out: list[tuple[Path, bool]] = []
    for path, writable in dict.fromkeys(entries):
        covering = [w for p, w in done if is_within(path, p)]
        if covering and covering[-1] == writable:
            continue
        done.append((path, writable))
        out.append((path, writable))
    return out


def build(view: View) -> None:
    """Build the root, pivot into it and detach the host's. Raises OSError on any failure
    (the caller reports the layer missing, and Bash refuses)."""
    # Nothing done from here on may propagate back to the host's mount table.
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE, None)
    # This namespace's copies of the host's mounts, read-only first: P1's own executable and
    # libraries stay on them after the pivot (detached, but reachable as /proc/1/exe, where a
    # chmod would land on the host's interpreter). Every bind below starts read-only too.
    set_attrs("/", MOUNT_ATTR_RDONLY, recursive=True)
    new = str(view.build_dir)
    syscalls.mount("tmpfs", new, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NODEV, "mode=755")

    def at(path: Path | str) -> str:  # where a host path goes in the new root
        return new + str(path)

    for tree in SYSTEM_TREES:
        src = Path(tree)
        if src.is_symlink():  # merged /usr: /bin -> usr/bin
            Path(at(src)).symlink_to(src.readlink())
        elif src.is_dir():
            _bind(tree, at(src), MOUNT_ATTR_RDONLY)
    _proc_and_sys(at, new_sysfs=view.new_sysfs)
    _make_dev(at("/dev"), view.shm_size)
    for empty in ("/run", "/var"):
        Path(at(empty)).mkdir(mode=0o755)
    _bind(str(view.private_tmp), at("/tmp"), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
    _bind(str(view.private_var_tmp), at("/var/tmp"), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
    for path, writable in _layered(view):
        attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV if writable else MOUNT_ATTR_RDONLY
        _bind(str(path), at(path), attrs)
    for extra in view.extra_files:
        if extra.is_file() and not os.path.lexists(at(extra)):
            _bind(str(extra), at(extra), MOUNT_ATTR_RDONLY)
    for p in view.protected:
        if os.path.lexists(p) and not p.is_symlink():
            _bind(str(p), at(p), MOUNT_ATTR_RDONLY)
    for p in view.reopened:
        # No symlink anywhere on the way (a repository's `.claude` -> /etc would bind /etc/...).
        if os.path.lexists(p) and os.path.realpath(p) == str(p):
            _bind(str(p), at(p), MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)
    for p in view.hidden:
        _cover(p, at(p))
    _pivot(new)
    set_attrs("/", MOUNT_ATTR_RDONLY, recursive=False)


def _proc_and_sys(at: Callable[[str], str], *, new_sysfs: bool) -> None:
    nosuid_nodev = syscalls.MS_NOSUID | syscalls.MS_NODEV
    proc = at("/proc")
    Path(proc).mkdir()
    # /proc shows the PID namespace of whoever mounts it: P1's.
    syscalls.mount("proc", proc, "proc", nosuid_nodev | syscalls.MS_NOEXEC, None)
    # uid 0 without capabilities still owns /proc/sys files (DAC lets the owner write): sysctls
    # such as core_pattern must not be writable whatever Landlock says.
    for sub in ("sys", "sysrq-trigger"):
        path = f"{proc}/{sub}"
        if Path(path).exists():
            syscalls.mount(path, path, None, syscalls.MS_BIND | syscalls.MS_REC, None)
            set_attrs(path, MOUNT_ATTR_RDONLY, recursive=True)
    sys_dir = at("/sys")
    if new_sysfs:
        # sysfs shows the network namespace of whoever mounted it: a fresh one lists only lo,
        # and no longer shows the host's cgroup mounts.
        Path(sys_dir).mkdir()
        flags = nosuid_nodev | syscalls.MS_NOEXEC | syscalls.MS_RDONLY
        syscalls.mount("sysfs", sys_dir, "sysfs", flags, None)
    elif Path("/sys").is_dir():
        _bind("/sys", sys_dir, MOUNT_ATTR_RDONLY)


def _cover(path: Path, target: str) -> None:
    if path.is_symlink() or not path.exists():
        return
    if path.is_dir():
        flags = syscalls.MS_NOSUID | syscalls.MS_NODEV | syscalls.MS_NOEXEC | syscalls.MS_RDONLY
        # Empty and listable: `git status` or `find .` see nothing rather than an error.
        syscalls.mount("tmpfs", target, "tmpfs", flags, "size=4k,mode=555")
    else:
        syscalls.mount("/dev/null", target, None, syscalls.MS_BIND, None)
        set_attrs(target, MOUNT_ATTR_RDONLY, recursive=False)


def _pivot(new: str) -> None:
    os.chdir(new)
    # pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves only
    # the new root (pivot_root(2), "NOTES").
    syscalls.syscall(_SYS_PIVOT_ROOT, b".", b".", what="pivot_root")
    syscalls.syscall(_SYS_UMOUNT2, b".", ctypes.c_int(_MNT_DETACH), what="umount2 old root")
    os.chdir("/")
