"""Which confinement layers this machine and user can have, found cheaply and cached.

A probe is a hint (for ``agentrun sandbox status`` and for skipping tests honestly); the jail
itself reports what it actually put in force, and that is what fail-closed decisions use.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from agentrun.sandbox import cgroups, landlock, syscalls

LAYERS = (
    "landlock",
    "seccomp",
    "userns",
    "netns",
    "pidns",
    "mountns",
    "cgroup",
    "rlimits",
    "caps",
    "no_new_privs",
)


def _try_unshare(*flag_sets: int) -> list[str]:
    """Unshare each of ``flag_sets`` in its own throwaway child, all at once; for each, "" on
    success, else the reason. (Children run concurrently: a new netns alone takes ~2 ms, and
    the probe sits on the path of every session start.)"""
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


@functools.cache
def probe_details() -> dict[str, tuple[bool, str]]:
    """Each layer: (available, why or why not)."""
    out: dict[str, tuple[bool, str]] = {}
    abi = landlock.abi_version()
    ok = abi >= landlock.MINIMUM_ABI
    out["landlock"] = (ok, f"ABI {abi}" + ("" if ok else f" (need >= {landlock.MINIMUM_ABI})"))
    seccomp_ok = syscalls.SUPPORTED_ARCH and Path("/proc/self/status").exists()
    out["seccomp"] = (seccomp_ok, "x86_64 filter" if seccomp_ok else "filter built for x86_64 only")
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
    return out


def probe() -> dict[str, bool]:
    """Each layer in :data:`LAYERS`: whether this machine and user can have it."""
    return {layer: ok for layer, (ok, _) in probe_details().items()}
