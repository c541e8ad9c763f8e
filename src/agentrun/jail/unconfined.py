"""A Sandbox with no jail: plain subprocesses, for ``danger-full-access`` and for tests.

It confines nothing (``enforced == ()`` says so), but it still keeps the cleanup promise every
sandbox makes: ``kill()`` and ``close()`` leave no process behind. A process group alone is not
enough for that, because a command can ``setsid`` its children out of the group, and once their
parent exits they are re-parented to init and out of reach of a ``/proc`` parent walk. So every
process started here carries a private marker variable in its environment, which its
descendants inherit; killing sweeps the group, the parent tree and every marked process.
A process that clears its own environment *and* leaves the group can still escape; only the
kernel jail's PID namespace closes that hole.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from agentrun.core.errors import SandboxUnavailableError
from agentrun.jail.policy import SandboxPolicy

log = logging.getLogger(__name__)

MARKER_VAR = "AGENTRUN_SANDBOX_PROC"
"""Environment variable naming the sandbox and spawn a process descends from."""

_MAX_SWEEPS = 200


@dataclass(frozen=True)
class _ProcInfo:
    pid: int
    ppid: int
    pgid: int
    marker: str | None


def _read(path: str, size: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def _start_ticks(pid: int) -> int:
    """When ``pid`` started, in clock ticks since boot (0 if it cannot be read)."""
    try:
        stat = _read(f"/proc/{pid}/stat", 4096)
        return int(stat[stat.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return 0


def _pid_window(first: int | None) -> Callable[[int], bool]:
    """Which pids may belong to processes started at or after pid ``first`` was allocated.

    Pids are handed out in increasing order, wrapping at ``pid_max``, so a descendant's pid
    lies between ``first`` and the last pid allocated. Reading only those turns a sweep of a
    busy machine's whole /proc into a handful of reads. (A call that forks through the whole
    pid space twice defeats this; the sandbox's final sweep in ``close()`` reads everything.)
    """
    if first is None:
        return lambda pid: True
    try:
        last = int(_read("/proc/sys/kernel/ns_last_pid", 32))
    except (OSError, ValueError):
        return lambda pid: True
    if last >= first:
        return lambda pid: first <= pid <= last
    return lambda pid: pid >= first or pid <= last  # wrapped around pid_max once


def _scan_processes(*, since: int = 0, first_pid: int | None = None) -> list[_ProcInfo]:
    """Every live (non-zombie) process we can see, with its marker if it carries one.

    Only pids allocated since ``first_pid`` are looked at, and environments (the costly
    part) are not read for processes that started before ``since`` (clock ticks since boot):
    neither can descend from a spawn made after them.
    """
    found: list[_ProcInfo] = []
    prefix = MARKER_VAR.encode() + b"="
    in_window = _pid_window(first_pid)
    # os.listdir, not Path.iterdir: this runs after every Bash call and Path objects cost time.
    for name in os.listdir("/proc"):  # noqa: PTH208
        if not name.isdigit() or not in_window(int(name)):
            continue
        try:
            stat = _read(f"/proc/{name}/stat", 4096)
            # The command name may contain spaces and parentheses; fields follow the last ')'.
            fields = stat[stat.rindex(b")") + 2 :].split()
            if fields[0] in (b"Z", b"X"):
                continue
            older = int(fields[19]) < since
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
        try:
            environ = b"" if older else _read(f"/proc/{name}/environ", 1 << 16)
        except OSError:
            # Not ours to read (or setuid): no marker, but it still counts for the tree walk.
            environ = b""
        marker = None
        for entry in environ.split(b"\0"):
            if entry.startswith(prefix):
                marker = entry[len(prefix) :].decode(errors="replace")
                break
        found.append(_ProcInfo(int(name), int(fields[1]), int(fields[2]), marker))
    return found


def _select_targets(
    procs: list[_ProcInfo], *, leader: int | None, pgid: int | None, match: str, prefix: bool
) -> set[int]:
    """The processes to kill: marked ones, the group ``pgid``, and all their descendants."""

    def matches(p: _ProcInfo) -> bool:
        if p.marker is None:
            return False
        return p.marker.startswith(match) if prefix else p.marker == match

    roots = {p.pid for p in procs if matches(p)}
    if pgid is not None:
        roots |= {p.pid for p in procs if p.pgid == pgid}
    if leader is not None:
        roots.add(leader)
    children: dict[int, list[int]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p.pid)
    targets: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in targets:
            continue
        targets.add(pid)
        stack.extend(children.get(pid, ()))
    live = {p.pid for p in procs}
    # Never ourselves or init, whatever a marker or a reused pid might claim.
    return (targets & live) - {os.getpid(), 1}


def kill_tree(
    *,
    leader: int | None,
    pgid: int | None,
    match: str,
    prefix: bool = False,
    since: int = 0,
    first_pid: int | None = None,
) -> None:
    """SIGKILL until a sweep finds nothing: forks racing the kill are caught by the next round.

    ``leader``/``pgid`` are only trustworthy while the leader is unreaped (its pid, and so its
    group id, cannot be reused until then); callers pass None otherwise and rely on markers.
    """
    for sweep in range(_MAX_SWEEPS):
        targets = _select_targets(
            _scan_processes(since=since, first_pid=first_pid),
            leader=leader,
            pgid=pgid,
            match=match,
            prefix=prefix,
        )
        if not targets:
            return
        if pgid is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        for pid in targets:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        # Killed processes take a moment to turn into zombies; don't spin on them.
        time.sleep(min(0.0005 * (sweep + 1), 0.02))
    log.warning("processes matching %s survived %d kill sweeps", match, _MAX_SWEEPS)


class UnconfinedProcess:
    """One process started by :class:`UnconfinedSandbox` (a :class:`SpawnedProcess`)."""

    def __init__(self, popen: subprocess.Popen[bytes], marker: str) -> None:
        self._popen = popen
        self._marker = marker
        # Read while the child surely exists (unreaped): every descendant starts no earlier.
        self.start_ticks = _start_ticks(popen.pid)
        self._spawned_at = time.monotonic()
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def marker(self) -> str:
        return self._marker

    def poll(self) -> int | None:
        return self._popen.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        if timeout is None or self._popen.returncode is not None:
            return self._popen.wait()
        # Popen.wait(timeout) polls with sleeps (a millisecond or more of lag on every call);
        # a pidfd wakes us the moment the process exits.
        try:
            pidfd = os.pidfd_open(self._popen.pid)
        except OSError:
            pidfd = -1
        if pidfd < 0:
            try:
                return self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        try:
            poller = select.poll()
            poller.register(pidfd, select.POLLIN)
            poller.poll(max(0.0, timeout) * 1000)
        finally:
            os.close(pidfd)
        return self._popen.poll()

    def kill(self) -> None:
        """Kill the process, its group, its descendants and every process carrying its marker."""
        with self._lock:
            unreaped = self._popen.returncode is None
            # start_new_session made the process its own group leader: pgid == pid.
            group = self._popen.pid if unreaped else None
            kill_tree(
                leader=group,
                pgid=group,
                match=self._marker,
                since=self.start_ticks,
                # Past a few seconds the pid space may have wrapped twice: read all of /proc.
                first_pid=self._popen.pid if time.monotonic() - self._spawned_at < 10 else None,
            )
            if unreaped:
                self._popen.wait()


class UnconfinedSandbox:
    """The :class:`agentrun.core.protocols.Sandbox` that enforces nothing.

    The mode is the policy's (normally ``danger-full-access``); ``enforced`` is always empty, so
    a caller that needs confinement can see that it has none.
    """

    def __init__(self, policy: SandboxPolicy, *, tmp_dir: Path) -> None:
        self._policy = policy
        self.tmp_dir = tmp_dir
        self._token = os.urandom(8).hex()
        self._count = 0
        self._live: list[UnconfinedProcess] = []
        self._lock = threading.Lock()
        self._closed = False
        self._first_ticks: int | None = None

    @property
    def mode(self) -> str:
        return self._policy.mode

    @property
    def enforced(self) -> tuple[str, ...]:
        return ()

    @property
    def policy(self) -> SandboxPolicy:
        return self._policy

    def spawn(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], stdout: int
    ) -> UnconfinedProcess:
        with self._lock:
            if self._closed:
                raise SandboxUnavailableError("the sandbox session has ended", layer="session")
            self._count += 1
            marker = f"{self._token}.{self._count}"
            # Finished processes are dropped here so a long session's list stays short.
            self._live = [p for p in self._live if p.poll() is None]
        # The marker goes first: the sweep reads only the start of each environment.
        full_env = {MARKER_VAR: marker, **{k: v for k, v in env.items() if k != MARKER_VAR}}
        popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stdout,
            close_fds=True,
            start_new_session=True,
        )
        process = UnconfinedProcess(popen, marker)
        with self._lock:
            self._live.append(process)
            if self._first_ticks is None:
                self._first_ticks = process.start_ticks
        return process

    def notices(self) -> list[str]:
        return []  # nothing is guarded without confinement

    def close(self) -> None:
        """Kill every process this sandbox started, and everything they started. Idempotent."""
        with self._lock:
            self._closed = True
            live, self._live = self._live, []
        for process in live:
            process.kill()
        # Orphans of processes that already finished are found by their marker alone.
        if self._first_ticks is not None:
            kill_tree(
                leader=None,
                pgid=None,
                match=f"{self._token}.",
                prefix=True,
                since=self._first_ticks,
            )
