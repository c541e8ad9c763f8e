"""Background jobs of a Bash session (``run_in_background: true``).

A job's stdout and stderr go to a log file in the session's tmp dir, which the model reads with
BashOutput (only what is new since its last look, with the job's status), or with Read or
``cat``/``tail`` in a later Bash call. When the job ends, a last line gives its exit code, so
the log alone tells "still running" from "done". Jobs run until they finish, KillShell stops
them, or the session closes; ``close()`` kills each one with its whole process tree.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from agentrun.core.errors import SandboxUnavailableError
from agentrun.core.protocols import SpawnedProcess
from agentrun.core.types import ToolResult
from agentrun.tools.joblog import JobLog, open_reader

Spawn = Callable[[Sequence[str], int], SpawnedProcess]
"""Starts an argv with stdout+stderr on the given fd, in the session's cwd and environment."""


def _create_log(directory: Path, name: str) -> int:
    """Create a job's log for writing, in a directory the jailed commands can write to.

    The runtime is not confined, so nothing a command planted there may redirect it: the
    directory is opened without following a symlink, any entry of that name is removed, and
    the log is created exclusively (O_EXCL also refuses a symlink put back in between).
    Otherwise a command could point ``bash_2.log`` at ``~/.bashrc`` and have the runtime
    truncate it and write the next job's output into it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=dir_fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        return os.open(name, flags, 0o600, dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


_EXIT_LINE = 'printf "\\n[agentrun: background job exited with code %s]\\n" "$?"'


@dataclass(frozen=True)
class BackgroundJob:
    id: str
    command: str
    log_path: Path
    process: SpawnedProcess
    log: JobLog
    killed: threading.Event = field(default_factory=threading.Event)
    """Set when KillShell (not the command itself) ended the job."""

    def status(self) -> tuple[str, int | None]:
        """``running``, ``completed`` (with the exit status) or ``killed``."""
        code = self.process.poll()
        if self.killed.is_set():
            return "killed", code
        if code is None:
            return "running", None
        return "completed", code


class BackgroundJobs:
    """The jobs of one session, and their log directory (created on first use)."""

    def __init__(self, log_dir: Path) -> None:
        self._dir = log_dir
        self._jobs: list[BackgroundJob] = []
        self._count = 0
        self._lock = threading.Lock()
        self._closed = False

    @property
    def jobs(self) -> tuple[BackgroundJob, ...]:
        with self._lock:
            return tuple(self._jobs)

    def start(
        self,
        command: str,
        *,
        spawn: Spawn,
        bash: str,
        cwd: Path,
        notes: Sequence[str] = (),
        on_error: Callable[[Exception], ToolResult],
    ) -> ToolResult:
        with self._lock:
            if self._closed:
                return ToolResult("The shell session has ended; no command can run.", True)
            self._count += 1
            job_id = f"bash_{self._count}"
        log_path = self._dir / f"{job_id}.log"
        script = f"trap {shlex.quote(_EXIT_LINE)} EXIT\neval {shlex.quote(command)}"
        try:
            fd = _create_log(self._dir, log_path.name)
        except OSError as e:
            return on_error(e)
        try:
            log = JobLog(open_reader(fd))
        except OSError as e:
            os.close(fd)
            return on_error(e)
        try:
            process = spawn([bash, "-c", script], fd)
        except (SandboxUnavailableError, OSError) as e:
            log.close()
            return on_error(e)
        finally:
            os.close(fd)
        if not self._add(BackgroundJob(job_id, command, log_path, process, log)):
            # close() ran while we were spawning: this job must not outlive the session.
            process.kill()
            log.close()
            return ToolResult("The shell session has ended; no command can run.", True)
        text = (
            f"Started in the background as {job_id}, in {cwd}.\n"
            f'Where you have them, BashOutput (bash_id "{job_id}") reads its new output and '
            f'status and KillShell (shell_id "{job_id}") stops it. Its output (stdout and '
            f"stderr) is written to {log_path}: Read, `tail` or `cat` can show it too. When "
            "the job ends, "
            "a last line '[agentrun: background job exited with code N]' is added. "
            "It keeps running until it finishes, is killed, or the session ends."
        )
        if notes:
            text += "\n\n" + "\n".join(notes)
        return ToolResult(text)

    def _add(self, job: BackgroundJob) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._jobs.append(job)
            return True

    def get(self, job_id: str) -> BackgroundJob | None:
        """The job called ``job_id`` (``bash_3``), or None."""
        with self._lock:
            return next((job for job in self._jobs if job.id == job_id), None)

    def kill(self, job: BackgroundJob) -> bool:
        """Kill ``job`` and its whole process tree; False when it had already ended (what
        it left running is swept all the same)."""
        running = job.process.poll() is None and not job.killed.is_set()
        if running:
            job.killed.set()
        job.process.kill()
        return running

    def close(self) -> None:
        """Kill every job with everything it started. Idempotent."""
        with self._lock:
            self._closed = True
            jobs, self._jobs = self._jobs, []
        for job in jobs:
            job.process.kill()
            job.log.close()
