"""The resource limits of a jailed session (cgroup) and of each process in it (rlimits)."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class JailLimits:
    """Resource limits of a session (cgroup) and of each process in it (rlimits)."""

    pids: int = 512
    memory: int = 2 << 30
    file_size: int = 1 << 30
    address_space: int = 4 << 30
    cpu_seconds: int = 900
    open_files: int = 1024
    shm_size: int = 256 << 20

    def rlimits(self) -> dict[str, int]:
        limits = {
            "RLIMIT_FSIZE": self.file_size,
            "RLIMIT_AS": self.address_space,
            "RLIMIT_CPU": self.cpu_seconds,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
        }
        if os.geteuid() != 0:
            # uid 0 ignores RLIMIT_NPROC (the cgroup bounds it instead); the count is per real
            # uid, so it also covers this user's processes outside the jail.
            limits["RLIMIT_NPROC"] = self.pids
        return limits
