"""The local backend: N worker processes started once, each importing the runtime (and the SDK,
when a task needs it) once and then running task after task. A worker that dies mid-task is
replaced and its task rerun from scratch in a fresh checkout.

Workers sit in their own process group, so a terminal's Ctrl-C reaches the batch only; the batch
forwards one SIGINT to each busy worker (the run's own handler turns it into an "interrupted"
result) and kills what has not answered by the deadline. A worker dies with the batch
(PR_SET_PDEATHSIG), so a killed batch leaves no worker running on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from agentrun.batch.runner import STATUS_FAILED, STATUS_INTERRUPTED

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from agentrun.batch.tasks import Task

Line = dict[str, Any]


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    task: Task | None = None
    attempts: dict[str, int] = field(default_factory=dict)


def _worker_main(conn: Connection, work_root: str, keep: bool, sandbox: str, preload: bool) -> None:
    os.setpgrp()
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # idle: only a forwarded SIGINT mid-task counts
    if sandbox != "danger-full-access":
        from agentrun.jail import zygote

        # Each task's jail is a fork of this template (a fresh exec with a clean environment,
        # started before the SDK is loaded): no interpreter start per jail. Started first, so
        # its own start-up runs on the other core while this worker imports the runtime.
        zygote.start()
    # Load once what every task needs: the runtime, its tools and models (and the SDK if asked).
    import agentrun.batch.runner as runner
    import agentrun.models.scripted
    import agentrun.runner.api
    import agentrun.tools.registry

    if preload:
        from agentrun.models.anthropic import preload_sdk

        preload_sdk()
    del agentrun
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        signal.signal(signal.SIGINT, signal.default_int_handler)
        line = runner.run_task(task, work_root, keep=keep, sandbox=sandbox)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        line["worker_pid"] = os.getpid()
        try:
            conn.send(line)
        except (BrokenPipeError, OSError):
            return


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the batch died before the call
            os._exit(1)


class LocalBackend:
    """Runs tasks on ``workers`` local processes; see the module docstring."""

    def __init__(
        self,
        workers: int,
        work_root: str,
        *,
        keep: bool = False,
        sandbox: str = "workspace-write",
        preload_sdk: bool = False,
        max_retries: int = 2,
    ) -> None:
        self.size = workers
        self.work_root = work_root
        self.keep = keep
        self.sandbox = sandbox
        self.preload_sdk = preload_sdk
        self.max_retries = max_retries
        self._ctx = multiprocessing.get_context("spawn")  # fresh state; never a forked lock
        self._workers: list[_Worker] = []
        self._attempts: dict[str, int] = {}

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_worker_main,
            args=(child, self.work_root, self.keep, self.sandbox, self.preload_sdk),
            daemon=True,
            name="agentrun-batch-worker",
        )
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self._workers.append(worker)
        return worker

    def free(self) -> int:
        idle = sum(1 for w in self._workers if w.task is None)
        return idle + self.size - len(self._workers)

    def busy(self) -> int:
        return sum(1 for w in self._workers if w.task is not None)

    def running(self) -> list[Task]:
        return [w.task for w in self._workers if w.task is not None]

    def submit(self, task: Task) -> None:
        idle = [w for w in self._workers if w.task is None]
        worker = idle[0] if idle else self._start()
        worker.task = task
        worker.conn.send(task)

    def wait(self, timeout: float) -> list[tuple[Task, Line]]:
        """Results of tasks that ended within ``timeout`` seconds (rerunning lost ones)."""
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            return []
        ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
        done: list[tuple[Task, Line]] = []
        for worker in busy:
            task = worker.task
            assert task is not None
            if worker.conn in ready:
                try:
                    line = worker.conn.recv()
                except (EOFError, OSError):
                    line = None
                if line is not None:
                    worker.task = None
                    done.append((task, line))
                    continue
            elif worker.process.sentinel not in ready:
                continue
            lost = self._lost(worker)
            if lost is not None:
                done.append(lost)
        return done

    def _lost(self, worker: _Worker) -> tuple[Task, Line] | None:
        """A worker died mid-task: replace it; rerun the task, or fail it past the retries."""
        task = worker.task
        assert task is not None
        self._bury(worker)
        _remove_checkout(self.work_root, task)
        tries = self._attempts[task.id] = self._attempts.get(task.id, 0) + 1
        if tries > self.max_retries:
            code = worker.process.exitcode
            return task, _line(task, STATUS_FAILED, f"worker lost {tries} times (exit {code})")
        self.submit(task)
        return None

    def _bury(self, worker: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        self._workers.remove(worker)

    def interrupt(self, deadline: float = 30.0) -> list[tuple[Task, Line]]:
        """Stop every running task: SIGINT, collect what answers by ``deadline``, kill the rest."""
        for worker in self._workers:
            if worker.task is not None and worker.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signal.SIGINT)
        done: list[tuple[Task, Line]] = []
        end = time.monotonic() + deadline
        while self.busy() and time.monotonic() < end:
            done.extend(self.wait(min(1.0, max(0.0, end - time.monotonic()))))
        for worker in [w for w in self._workers if w.task is not None]:
            task = worker.task
            assert task is not None
            self._bury(worker)
            if not self.keep:
                _remove_checkout(self.work_root, task)
            done.append((task, _line(task, STATUS_INTERRUPTED, "interrupted")))
        return done

    def close(self) -> None:
        for worker in list(self._workers):
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in list(self._workers):
            worker.process.join(10)
            self._bury(worker)


def _remove_checkout(work_root: str, task: Task) -> None:
    from pathlib import Path

    from agentrun.batch import worktree

    worktree.remove(worktree.checkout_dir(Path(work_root), task.id), repo=task.repo)


def _line(task: Task, status: str, message: str) -> Line:
    return {
        "id": task.id,
        "status": status,
        "subtype": "error_during_execution",
        "is_error": True,
        "result": message,
        "num_turns": 0,
        "usage": {},
        "total_cost_usd": None,
        "duration_ms": 0,
        "session_id": None,
        "transcript": None,
        "patch": "",
        "patch_stats": None,
    }
