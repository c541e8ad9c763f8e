"""The Bash tool's session: one shell state (working directory, background jobs) per session.

Each call is a fresh ``bash -c`` started through the :class:`Sandbox` (so the jail plugs in
here) with a small wrapper: ``eval`` the command, and on EXIT write ``pwd -P`` to a state file.
Spawning costs about a millisecond, and a fresh process per call means a hung or poisoned shell
can never leak into the next call; only the working directory carries over, as in Claude Code
(exported variables do not). A ``cd`` that leaves the session's roots is undone.

stdout and stderr share one pipe, so they stay in the order they were written. The pipe is read
in chunks into an :class:`OutputBuffer`, so memory stays bounded however much a command prints.
When a call ends, for whatever reason, the process's whole tree is killed: nothing a foreground
call starts outlives it. Background jobs live until the session is closed.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import select
import shlex
import shutil
import stat
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from agentrun.core.errors import SandboxUnavailableError
from agentrun.core.pathutil import is_within
from agentrun.core.types import ToolResult
from agentrun.jail.fileerrors import os_error_reason
from agentrun.tools.background import BackgroundJobs
from agentrun.tools.output import OutputBuffer, drain, format_result, read_available
from agentrun.tools.sandbox_hints import sandbox_hints
from agentrun.tools.specs import DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS

if TYPE_CHECKING:
    from agentrun.core.protocols import Sandbox, SpawnedProcess
    from agentrun.tools.spill import Spill

log = logging.getLogger(__name__)

_SLICE_S = 0.05  # how often a waiting call looks at its cancel event and deadline
_PIPE_SIZE = 1 << 20  # a bigger pipe means fewer wake-ups when a command floods its output
_DRAIN_S = 1.0  # after the kill, how long to wait for the pipe's last bytes

# Variables a command may see from the runtime's environment, and nothing else. Secrets
# (ANTHROPIC_API_KEY above all) never make it into a shell.
_PASSED = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "USER", "LOGNAME")
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# No command may wait for a human: `git commit` without -m opened vim on the output pipe and hung
# until the timeout (2 minutes by default). With `true` as the editor git goes on with the message
# it has, or aborts an empty one at once and says so; pagers just print.
_NON_INTERACTIVE = {
    "GIT_EDITOR": "true",
    "EDITOR": "true",
    "VISUAL": "true",
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
}


def build_env(
    *, home: Path, tmp_dir: Path, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment of every Bash command: an allowlist, never the runtime's secrets.

    ``PATH``, ``LANG``, ``LC_ALL``/``LC_CTYPE``, ``TERM``, ``TZ`` and ``USER``/``LOGNAME`` come
    from the runtime when set; ``HOME`` and ``TMPDIR`` point at the session's own directories;
    editors and pagers are non-interactive (``_NON_INTERACTIVE``); ``extra`` (what the user
    configured) is added last, except any ``ANTHROPIC_*`` variable.
    """
    env = {name: os.environ[name] for name in _PASSED if os.environ.get(name)}
    env.update(_NON_INTERACTIVE)
    env.setdefault("PATH", _DEFAULT_PATH)
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmp_dir)
    for name, value in (extra or {}).items():
        if not name or "=" in name or "\0" in name or "\0" in value:
            raise ValueError(f"invalid environment variable for Bash: {name!r}")
        if name.upper().startswith("ANTHROPIC_"):
            log.warning("not passing %s to Bash: ANTHROPIC_* variables never reach commands", name)
            continue
        env[name] = value
    return env


Outcome = Literal["exit", "timeout", "cancel"]


class BashSession:
    """The shell state of one session: current directory and background jobs.

    Calls are serialised. ``close()`` kills everything still running (background jobs
    included) and makes later calls fail politely; it may be called from another thread.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        *,
        cwd: Path,
        tmp_dir: Path,
        env: Mapping[str, str] | None = None,
        roots: Sequence[Path] = (),
    ) -> None:
        self._sandbox = sandbox
        self._start = Path(cwd).resolve()
        self._roots = tuple(Path(r).resolve() for r in roots) or (self._start,)
        if not any(is_within(self._start, root) for root in self._roots):
            raise ValueError(f"working directory {self._start} is outside the shell's roots")
        self._cwd = self._start
        self._tmp = Path(tmp_dir)
        self._tmp.mkdir(parents=True, exist_ok=True)
        if env is None:
            home = self._tmp / "home"
            home.mkdir(exist_ok=True)
            env = build_env(home=home, tmp_dir=self._tmp)
        self._env = dict(env)
        self._bash = shutil.which("bash", path=self._env.get("PATH")) or "/bin/bash"
        self._state = self._tmp / f".agentrun-cwd-{os.getpid()}-{id(self):x}"
        self._jobs = BackgroundJobs(self._tmp / "bash-jobs")
        self._run_lock = threading.Lock()
        self._current: SpawnedProcess | None = None
        self._closed = False
        self.spill: Spill | None = None
        """Where an output past the limit is saved whole (None: it is only cut)."""

    @property
    def cwd(self) -> Path:
        """The directory the next command starts in."""
        return self._cwd

    @property
    def jobs(self) -> BackgroundJobs:
        """The session's background jobs (BashOutput and KillShell act on them)."""
        return self._jobs

    def run(
        self,
        command: str,
        *,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        cancel: threading.Event | None = None,
    ) -> ToolResult:
        """Run ``command`` to completion (or timeout/cancel) and describe the outcome."""
        timeout_ms = max(1, min(int(timeout_ms), MAX_TIMEOUT_MS))
        with self._run_lock:
            if self._closed:
                return ToolResult("The shell session has ended; no command can run.", True)
            if cancel is not None and cancel.is_set():
                return ToolResult("The command was interrupted before it started.", True)
            if "\0" in command:
                return _NUL_ERROR
            notes: list[str] = []
            cwd = self._checked_cwd(notes)
            with contextlib.suppress(FileNotFoundError):
                self._state.unlink()
            trap = f"pwd -P >| {shlex.quote(str(self._state))} 2>/dev/null"
            script = f"trap {shlex.quote(trap)} EXIT\neval {shlex.quote(command)}"
            read_fd, write_fd = os.pipe()
            os.set_blocking(read_fd, False)
            try:
                with contextlib.suppress(OSError):
                    fcntl.fcntl(read_fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
                proc = self._sandbox.spawn(
                    [self._bash, "-c", script], cwd=cwd, env=self._env, stdout=write_fd
                )
            except (SandboxUnavailableError, OSError) as e:
                os.close(read_fd)
                return _spawn_error(e)
            finally:
                os.close(write_fd)
            self._current = proc
            if self._closing():  # close() ran during the spawn and could not see this process
                proc.kill()
            spill = self.spill
            buffer = (
                OutputBuffer(limit=max(200, spill.threshold), spill=lambda: spill.open("bash"))
                if spill is not None
                else OutputBuffer()
            )
            try:
                try:
                    outcome, status = _wait(
                        proc,
                        read_fd,
                        buffer,
                        deadline=time.monotonic() + timeout_ms / 1000,
                        cancel=cancel,
                    )
                finally:
                    # Reap first (in _wait), then sweep: whatever the command left running dies
                    # with the call, also when reading failed.
                    proc.kill()
                if status is None:
                    status = proc.wait(5)
                drain(read_fd, buffer, deadline=time.monotonic() + _DRAIN_S)
            finally:
                os.close(read_fd)
                self._current = None
            self._update_cwd(notes)
            notes += self._sandbox.notices()
            output = buffer.text()
            if outcome == "exit" and status:  # a failed command: what to do instead
                notes += sandbox_hints(
                    output, mode=self._sandbox.mode, no_network="netns" in self._sandbox.enforced
                )
            return format_result(outcome, status, output, timeout_ms=timeout_ms, notes=notes)

    def start_background(self, command: str) -> ToolResult:
        """Start ``command`` without waiting; its output goes to a log file in the tmp dir."""
        with self._run_lock:
            if self._closed:
                return ToolResult("The shell session has ended; no command can run.", True)
            if "\0" in command:
                return _NUL_ERROR
            notes: list[str] = []
            cwd = self._checked_cwd(notes)
            return self._jobs.start(
                command,
                spawn=lambda argv, fd: self._sandbox.spawn(argv, cwd=cwd, env=self._env, stdout=fd),
                bash=self._bash,
                cwd=cwd,
                notes=notes,
                on_error=_spawn_error,
            )

    def close(self) -> None:
        """Kill every process of the session, background jobs included. Idempotent."""
        self._closed = True
        current = self._current
        if current is not None:
            current.kill()
        self._jobs.close()
        with contextlib.suppress(OSError):
            self._state.unlink()

    def _closing(self) -> bool:
        return self._closed

    def _checked_cwd(self, notes: list[str]) -> Path:
        if not self._cwd.is_dir():
            notes.append(f"{self._cwd} no longer exists; the shell started in {self._start}.")
            self._cwd = self._start
        return self._cwd

    def _update_cwd(self, notes: list[str]) -> None:
        saved = _read_state_file(self._state)
        if saved is None:
            return  # the command replaced the trap or exec'd; keep the previous directory
        if not saved.endswith("\n"):
            return  # cut short (killed while writing): not trustworthy
        new = Path(saved[:-1])
        if not new.is_absolute():
            return
        if any(is_within(new, root) for root in self._roots):
            self._cwd = new
        else:
            allowed = ", ".join(str(r) for r in self._roots)
            notes.append(
                f"Shell cwd was reset to {self._start}: {new} is outside the directories "
                f"the shell may stay in ({allowed})."
            )
            self._cwd = self._start


_STATE_MAX = 8192


def _read_state_file(path: Path) -> str | None:
    """The cwd state file's text, read the way a file the jail controls must be read.

    The command can replace it with a symlink to something it may not read itself, a FIFO or
    /dev/zero; the runtime (unconfined) must neither read a secret on its behalf nor hang or
    fill memory. So: no symlinks, no blocking, regular files of one link only, bounded size.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_size > _STATE_MAX:
            return None
        data = os.read(fd, _STATE_MAX + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > _STATE_MAX:
        return None
    return data.decode(errors="surrogateescape")


_NUL_ERROR = ToolResult("The command contains a NUL character, which bash cannot run.", True)


def _spawn_error(e: Exception) -> ToolResult:
    if isinstance(e, SandboxUnavailableError):
        return ToolResult(
            f"Bash cannot run: the sandbox layer '{e.layer}' is not available ({e}). "
            "Nothing was executed; use the Read, Write, Edit, Glob and Grep tools instead.",
            True,
        )
    reason = os_error_reason(e) if isinstance(e, OSError) else type(e).__name__
    return ToolResult(
        f"Bash could not start the command ({reason}). Nothing was run; try again, or use the "
        "Read, Write, Edit, Glob and Grep tools.",
        True,
    )


def _wait(
    proc: SpawnedProcess,
    fd: int,
    buffer: OutputBuffer,
    *,
    deadline: float,
    cancel: threading.Event | None,
) -> tuple[Outcome, int | None]:
    """Read output until the process exits, the deadline passes or ``cancel`` is set."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    eof = False
    while True:
        status = proc.poll()
        if status is not None:
            return "exit", status
        if cancel is not None and cancel.is_set():
            return "cancel", None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "timeout", None
        wait_s = min(_SLICE_S, remaining)
        if eof:
            # EOF can come before the exit (coreutils close stdout in atexit).
            status = proc.wait(wait_s)
            if status is not None:
                return "exit", status
        elif poller.poll(wait_s * 1000):
            eof = read_available(fd, buffer)
