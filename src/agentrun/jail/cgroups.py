"""One cgroup per session (v1 ``pids`` + ``memory``, or v2), where the runtime may create one.

Per-call cgroups cost ~13 ms each on v1 (research §3), so one per session holds the whole jail:
``pids.max`` stops a fork bomb even for uid 0 (which ignores RLIMIT_NPROC), the memory limit
OOM-kills inside the jail instead of the host. Names carry the owner's pid, so the next start can
remove the cgroups of a runtime that was SIGKILLed (:func:`sweep`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from agentrun.jail import syscalls

ROOT = Path("/sys/fs/cgroup")
PREFIX = "agentrun-"


def _write(path: Path, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def _v2_root() -> Path | None:
    """A pure cgroup v2 hierarchy with pids and memory available, else None."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file():
        available = controllers.read_text().split()
        if {"pids", "memory"} <= set(available):
            return ROOT
    return None


@dataclass(frozen=True)
class Cgroup:
    paths: tuple[Path, ...]
    version: int

    def add(self, pid: int) -> None:
        for p in self.paths:
            _write(p / "cgroup.procs", str(pid))

    def pids(self) -> set[int]:
        found: set[int] = set()
        for p in self.paths:
            with contextlib.suppress(OSError):
                found.update(int(x) for x in (p / "cgroup.procs").read_text().split())
        return found

    def remove(self) -> None:
        """Kill everything still inside, then remove the directories (retrying: rmdir fails with
        EBUSY until the last task is gone)."""
        for p in self.paths:
            if self.version == 2 and (p / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    _write(p / "cgroup.kill", "1")
        deadline = time.monotonic() + 5
        while True:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            left = []
            for p in self.paths:
                try:
                    p.rmdir()
                except FileNotFoundError:
                    pass
                except OSError:
                    left.append(p)
            if not left or time.monotonic() > deadline:
                return
            time.sleep(0.01)


def create(name: str, *, pids_max: int, memory_max: int) -> Cgroup:
    """Create and limit the cgroup ``name``; OSError says why it is not possible here."""
    if os.geteuid() != 0:
        raise PermissionError("cgroups are not delegated to this unprivileged user")
    v2 = _v2_root()
    if v2 is not None:
        with contextlib.suppress(OSError):
            _write(v2 / "cgroup.subtree_control", "+pids +memory")
        path = v2 / name
        path.mkdir()
        cg = Cgroup((path,), 2)
        try:
            _write(path / "pids.max", str(pids_max))
            _write(path / "memory.max", str(memory_max))
            with contextlib.suppress(OSError):
                _write(path / "memory.swap.max", "0")
        except OSError:
            cg.remove()
            raise
        return cg
    pids, memory = ROOT / "pids", ROOT / "memory"
    if not (pids.is_dir() and memory.is_dir()):
        raise FileNotFoundError("no cgroup v2 with pids+memory and no v1 pids/memory hierarchy")
    made: list[Path] = []
    try:
        for base in (pids, memory):
            (base / name).mkdir()
            made.append(base / name)
        _write(pids / name / "pids.max", str(pids_max))
        _write(memory / name / "memory.limit_in_bytes", str(memory_max))
    except OSError:
        Cgroup(tuple(made), 1).remove()
        raise
    return Cgroup(tuple(made), 1)


def owner_of(name: str) -> int | None:
    """The runtime pid encoded in an ``agentrun-<pid>-<token>`` name."""
    parts = name.split("-")
    return int(parts[1]) if len(parts) >= 3 and parts[1].isdigit() else None


def sweep() -> int:
    """Remove the cgroups left by runtimes that are gone; how many were removed."""
    removed = 0
    candidates: list[Path] = []
    for base in (ROOT, ROOT / "pids", ROOT / "memory"):
        with contextlib.suppress(OSError):
            candidates += [p for p in base.iterdir() if p.name.startswith(PREFIX) and p.is_dir()]
    for path in candidates:
        owner = owner_of(path.name)
        if owner is None or syscalls.pid_alive(owner):
            continue
        Cgroup((path,), 2 if path.parent == ROOT else 1).remove()
        removed += 1
    return removed
