"""Which confinement layers this machine and user can have, found cheaply and cached.

A probe is a hint (for the run's init event before the jail starts, ``agentrun sandbox status``
and skipping tests honestly); the jail itself reports what it actually put in force, and that is
what fail-closed decisions use.

Probing forks four children to try namespaces (~6 ms), on the path of every session start, so
the answer is also kept on disk (``$AGENTRUN_HOME/cache/probe.json``) under a key naming what it
depends on: the boot, kernel, user, the namespaces and confinement this process already runs in,
and the sysctls that gate user namespaces. A process already under a seccomp filter is never
served from the cache: no one can read what its filter refuses. Anything else changing can at
worst make the init event claim a layer the jail then fails to set up, and then every Bash call
refuses.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import agentrun
from agentrun.core.home import agentrun_home

LAYERS = (
    "landlock",
    "landlock_scopes",
    "seccomp",
    "socket_allowlist",
    "userns",
    "netns",
    "pidns",
    "mountns",
    "cgroup",
    "rlimits",
    "caps",
    "no_new_privs",
    "constructed-root",
    "git-protected",
)


def _try_unshare(*flag_sets: int) -> list[str]:
    """Unshare each of ``flag_sets`` in its own throwaway child, all at once; for each, "" on
    success, else the reason. (Children run concurrently: a new netns alone takes ~2 ms, and
    the probe sits on the path of every session start.)"""
    from agentrun.jail import syscalls

    syscalls.libc()  # load libc before fork, so the child only makes the syscall
    pids = []
    for flags in flag_sets:
        pid = os.fork()
        if pid == 0:
            try:
                syscalls.unshare(flags)
                os._exit(0)
            except OSError as e:
                os._exit(e.errno or 1)
            finally:
                os._exit(99)
        pids.append(pid)
    reasons = []
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        reasons.append("" if code == 0 else f"unshare failed: {os.strerror(code)}")
    return reasons


_SYSCTLS = (
    "/proc/sys/kernel/random/boot_id",
    "/proc/sys/user/max_user_namespaces",
    "/proc/sys/kernel/unprivileged_userns_clone",
    "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
    "/proc/sys/kernel/seccomp/actions_avail",
    "/proc/self/cgroup",
    "/proc/self/attr/current",  # the LSM label (an AppArmor profile can forbid namespaces)
)
_STATUS_FIELDS = ("Seccomp:", "NoNewPrivs:", "CapEff:")

_details: dict[str, tuple[bool, str]] | None = None


def cache_key() -> dict[str, object] | None:
    """What the probe's answer depends on (a few /proc reads); None when it cannot be known."""
    key: dict[str, object] = {
        "agentrun": agentrun.__version__,
        "kernel": os.uname().release,
        "euid": os.geteuid(),
    }
    for path in _SYSCTLS:
        with contextlib.suppress(OSError):
            key[path] = Path(path).read_text()
    for ns in ("user", "mnt", "pid", "net", "cgroup"):
        with contextlib.suppress(OSError):
            key[f"ns/{ns}"] = str(Path(f"/proc/self/ns/{ns}").readlink())
    try:
        status = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    fields = [line.split() for line in status if line.startswith(_STATUS_FIELDS)]
    if ["Seccomp:", "0"] not in fields:
        return None  # a filter may refuse what the probe tries, and two filters look alike
    key["status"] = fields
    return key


def cache_path() -> Path:
    return agentrun_home() / "cache" / "probe.json"


def _load_cached(key: dict[str, object]) -> dict[str, tuple[bool, str]] | None:
    try:
        saved = json.loads(cache_path().read_text())
        if saved["key"] != key:
            return None
        details = {str(k): (bool(v[0]), str(v[1])) for k, v in saved["layers"].items()}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # absent, unreadable or from another version: probe again
    return details if tuple(details) == LAYERS else None


def _save(key: dict[str, object], details: dict[str, tuple[bool, str]]) -> None:
    path = cache_path()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps({"key": key, "layers": details}))
        tmp.replace(path)  # whole or not at all: a concurrent start never reads half


def probe_details(*, fresh: bool = False) -> dict[str, tuple[bool, str]]:
    """Each layer: (available, why or why not). Cached in this process and on disk; ``fresh``
    probes again and rewrites the cache (``agentrun sandbox status`` does)."""
    global _details
    if _details is not None and not fresh:
        return _details
    key = cache_key()
    details = None if fresh or key is None else _load_cached(key)
    if details is None:
        details = _probe_now()
        if key is not None:
            _save(key, details)
    _details = details
    return details


def _probe_now() -> dict[str, tuple[bool, str]]:
    from agentrun.jail import cgroups, landlock, syscalls

    out: dict[str, tuple[bool, str]] = {}
    abi = landlock.abi_version()
    ok = abi >= landlock.MINIMUM_ABI
    out["landlock"] = (ok, f"ABI {abi}" + ("" if ok else f" (need >= {landlock.MINIMUM_ABI})"))
    scoped = ok and bool(landlock.scopes(abi))
    out["landlock_scopes"] = (
        scoped,
        "abstract unix sockets and signals kept inside the jail"
        if scoped
        else f"ABI {abi} (need >= {landlock.SCOPES_ABI})",
    )
    seccomp_ok = syscalls.SUPPORTED_ARCH and Path("/proc/self/status").exists()
    out["seccomp"] = (
        seccomp_ok,
        "x86_64 filter (no setuid/setgid modes, no 32-bit ABIs)"
        if seccomp_ok
        else "filter built for x86_64 only",
    )
    out["socket_allowlist"] = (
        seccomp_ok,
        "families inet, inet6, netlink route, unix (no host socket)"
        if seccomp_ok
        else "needs the seccomp filter",
    )
    root = os.geteuid() == 0
    extra = 0 if root else syscalls.CLONE_NEWUSER
    namespaces = (
        ("netns", syscalls.CLONE_NEWNET),
        ("pidns", syscalls.CLONE_NEWPID),
        ("mountns", syscalls.CLONE_NEWNS),
    )
    userns, *reasons = _try_unshare(
        syscalls.CLONE_NEWUSER, *(flag | extra for _, flag in namespaces)
    )
    out["userns"] = (not userns, userns or "user namespaces allowed")
    for (layer, _), why in zip(namespaces, reasons, strict=True):
        out[layer] = (not why, why or ("as root" if root else "inside a user namespace"))
    if not root:
        out["cgroup"] = (False, "not delegated to an unprivileged user (RLIMIT_NPROC instead)")
    elif (cgroups.ROOT / "cgroup.controllers").is_file() and cgroups._v2_root() is not None:
        out["cgroup"] = (True, "cgroup v2 pids+memory")
    elif all(os.access(cgroups.ROOT / c, os.W_OK) for c in ("pids", "memory")):
        out["cgroup"] = (True, "cgroup v1 pids+memory")
    else:
        out["cgroup"] = (False, "no writable pids+memory cgroup")
    out["rlimits"] = (True, "setrlimit")
    out["caps"] = (True, "capabilities dropped" if root else "no capabilities held")
    out["no_new_privs"] = (True, "prctl(PR_SET_NO_NEW_PRIVS)")
    mounts_ok = out["mountns"][0]
    out["constructed-root"] = (
        mounts_ok,
        "pivot_root into a read-only tmpfs" if mounts_ok else "needs a mount namespace",
    )
    out["git-protected"] = (
        mounts_ok,
        "read-only binds, inotify" if mounts_ok else "needs a mount namespace",
    )
    return out


def probe() -> dict[str, bool]:
    """Each layer in :data:`LAYERS`: whether this machine and user can have it."""
    return {layer: ok for layer, (ok, _) in probe_details().items()}
